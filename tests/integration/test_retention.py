"""Retention: personal fields of callbacks closed longer than
retention_days ago are erased, as events; the reports stay the same."""

import signal

from harness import wait_for


def test_old_closed_callbacks_lose_personal_data_and_reports_stay(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s",
                             "shutdown_grace = 10s\nretention_days = 30\nretention_check = 1s"))
    d.start()
    tel, agent, mgr = d.token("telephony"), d.token("agent"), d.token("manager")
    made = []
    for i in range(3):
        st, _, cb, _ = d.req("POST", "/v1/callbacks", {
            "phone": f"0231 77700{i}", "topic": "general", "site": "dortmund",
            "name": "Erika Mustermann", "customer_ref": "BG-1", "note": "privat",
            "call_id": f"pbx-{i}"}, tel)
        assert st == 201
        made.append(cb["id"])
    old, recent, still_open = made
    for cid in (old, recent):
        st, _, _, _ = d.req("POST", f"/v1/callbacks/{cid}/attempts",
                            {"result": "reached", "note": "vertraulich"}, agent)
        assert st == 201
    # the first one was closed 40 days ago, with all its times
    t.sql(f"""UPDATE callbacks SET requested_at = requested_at - interval '41 days',
                  received_at = received_at - interval '41 days',
                  due_at = due_at - interval '41 days',
                  first_attempt_at = first_attempt_at - interval '40 days',
                  reached_at = reached_at - interval '40 days',
                  closed_at = closed_at - interval '40 days' WHERE id = '{old}'""")
    q = "/v1/reports/sla?from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z&group_by=site,day"
    before = d.req("GET", q, token=mgr)[2]
    wait_for("erasure", lambda: t.scalar(
        f"SELECT erased_at IS NOT NULL FROM callbacks WHERE id = '{old}'") == "t")
    # call_id too: it joins to the PBX's call records
    row = t.sql(f"SELECT phone IS NULL, name IS NULL, customer_ref IS NULL, note IS NULL, "
                f"call_id IS NULL, state, first_attempt_at IS NOT NULL FROM callbacks "
                f"WHERE id = '{old}'")
    assert row == [["t", "t", "t", "t", "t", "completed", "t"]], row
    assert t.scalar(f"SELECT count(*) FROM callback_keys WHERE callback_id = '{old}'") == "0"
    assert t.scalar(f"SELECT count(*) FROM attempts WHERE callback_id = '{old}' "
                    "AND note IS NOT NULL") == "0"
    assert t.scalar(f"SELECT count(*) FROM events WHERE callback_id = '{old}' "
                    "AND kind = 'personal_data_erased'") == "1"
    for cid in (recent, still_open):
        assert t.scalar(f"SELECT name FROM callbacks WHERE id = '{cid}'") == "Erika Mustermann"
    assert d.req("GET", q, token=mgr)[2] == before
    st, _, got, _ = d.req("GET", f"/v1/callbacks/{old}", token=agent)
    assert st == 200 and got["phone"] is None and got["name"] is None
    assert got["attempts"][0]["note"] is None


def _retention(d, days, check="1s"):
    with open(d.conf) as f:
        text = f.read()
    head, _, rest = text.partition("shutdown_grace = 10s")
    rest = "\n".join(x for x in rest.split("\n") if not x.startswith("retention_"))
    with open(d.conf, "w") as f:
        f.write(f"{head}shutdown_grace = 10s\nretention_days = {days}\n"
                f"retention_check = {check}{rest}")


def _closed(t, d, tel, agent, phone, days_ago):
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": phone, "topic": "general", "site": "dortmund",
        "name": "Erika Mustermann"}, tel)
    assert st == 201, cb
    assert d.req("POST", f"/v1/callbacks/{cb['id']}/attempts", {"result": "reached"},
                 agent)[0] == 201
    _age(t, cb["id"], days_ago)
    return cb["id"]


def _age(t, cb_id, days_ago):
    t.sql(f"""UPDATE callbacks SET requested_at = requested_at - interval '{days_ago} days',
                  received_at = received_at - interval '{days_ago} days',
                  due_at = due_at - interval '{days_ago} days',
                  first_attempt_at = first_attempt_at - interval '{days_ago} days',
                  reached_at = reached_at - interval '{days_ago} days',
                  closed_at = closed_at - interval '{days_ago} days' WHERE id = '{cb_id}'""")


def _checks(d):
    for line in d.req("GET", "/metrics")[3].decode().split("\n"):
        if line.startswith("callbackd_retention_checks_total "):
            return int(line.split()[1])
    raise AssertionError("no callbackd_retention_checks_total")


def _two_checks_pass(d):
    """Returns once two checks have run after this call: whatever they
    would erase is erased by then."""
    n = _checks(d)
    wait_for("two retention checks", lambda: _checks(d) >= n + 2)


def _erased(t, cb_id):
    return t.scalar(f"SELECT erased_at IS NOT NULL FROM callbacks WHERE id = '{cb_id}'") == "t"


def test_a_reload_to_zero_stops_erasure(t):
    """retention_days = 0 means keep: a reload from 1 to 0 erased, within
    half a second, every callback closed more than 0 days ago."""
    d = t.daemon(start=False)
    _retention(d, 1)
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    old = _closed(t, d, tel, agent, "0231 7770101", 3)
    fresh = _closed(t, d, tel, agent, "0231 7770102", 0)
    wait_for("erasure", lambda: _erased(t, old))
    assert "retention at start: the personal data of callbacks closed more than 1 day " \
        in d.log_tail(200)
    _retention(d, 0)
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: "retention after the reload: off" in d.log_tail(20))
    _age(t, fresh, 3)  # now old enough for any retention but "keep"
    _two_checks_pass(d)
    assert not _erased(t, fresh)
    assert t.scalar(f"SELECT name FROM callbacks WHERE id = '{fresh}'") == "Erika Mustermann"


def test_a_reload_from_zero_erases_and_says_so(t):
    """Started with 0 and reloaded to 1, a callback closed three days ago
    was never erased, and nothing said why."""
    d = t.daemon(start=False)
    _retention(d, 0)
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    old = _closed(t, d, tel, agent, "0231 7770103", 3)
    assert "retention at start: off" in d.log_tail(200)
    _two_checks_pass(d)
    assert not _erased(t, old)
    _retention(d, 1)
    d.proc.send_signal(signal.SIGHUP)
    wait_for("erasure", lambda: _erased(t, old))
    log = d.log_tail(40)
    assert "retention: the reload widens what is erased: from the next run on, callbacks " \
        "closed more than 1 day ago (was off)" in log, log
    assert "erased the personal data of 1 callback closed more than 1 day ago" in log
    metrics = d.req("GET", "/metrics")[3].decode()
    assert "callbackd_retention_erased_total 1" in metrics
