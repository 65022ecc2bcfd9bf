"""Retention: personal fields of callbacks closed longer than
retention_days ago are erased, as events; the reports stay the same."""

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
            "name": "Erika Mustermann", "customer_ref": "BG-1", "note": "privat"}, tel)
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
    row = t.sql(f"SELECT phone IS NULL, name IS NULL, customer_ref IS NULL, note IS NULL, "
                f"state, first_attempt_at IS NOT NULL FROM callbacks WHERE id = '{old}'")
    assert row == [["t", "t", "t", "t", "completed", "t"]], row
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
