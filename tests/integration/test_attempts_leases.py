"""What an attempt counts and what a lease proves, against real PostgreSQL
and Redis: only unanswered attempts use up the caller's attempts and
double the back-off; callback_later stays inside the caller's window; a
lease that is not the current one is lost, whoever holds the callback
now; flagged callbacks are listed and handed back by a manager; attempts
and events name the caseworker who acted."""

import datetime
import time

from harness import wait_for
from test_claims import H, World, iso, ms


def short_lease_daemon(t):
    """A daemon whose leases lapse after a second."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s\nlease = 1s"))
    d.start()
    return d


def bring_forward(t, cb_id):
    """Ends a queued callback's wait now, as if its not_before had come."""
    t.sql(f"UPDATE callbacks SET not_before = now() WHERE id = '{cb_id}'")
    t.zadd("waiting", 0, cb_id)
    wait_for("promotion", lambda: cb_id in t.ready())


def later(hours):
    return iso(datetime.datetime.now(datetime.timezone.utc) +
               datetime.timedelta(hours=hours))


def counts(t):
    return t.sql("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM attempts)")


# ---- only unanswered attempts count -------------------------------------

def test_callback_later_uses_up_no_attempt_and_no_back_off(t):
    w = World(t)
    w.caseworker("anna")
    cb = w.create()
    for n in (1, 2):
        if n > 1:
            bring_forward(t, cb["id"])
        got = w.claim("anna")[2]
        st, _, after, _ = w.act("anna", cb["id"], "attempts", {
            "lease": got["lease"]["token"], "result": "callback_later",
            "not_before": later(1)})
        assert st == 201, (st, after)
        assert after["attempt_count"] == n and after["unanswered_count"] == 0, after
    # the first unanswered attempt after two answered ones: the first
    # back-off (2 h), not the third (8 h), and far from max_attempts (3)
    for n, result in enumerate(["no_answer", "busy"], start=1):
        bring_forward(t, cb["id"])
        got = w.claim("anna")[2]
        before = time.time() * 1000
        st, _, after, _ = w.act("anna", cb["id"], "attempts", {
            "lease": got["lease"]["token"], "result": result})
        assert st == 201, (st, after)
        assert after["state"] == "queued", after
        assert after["attempt_count"] == 2 + n and after["unanswered_count"] == n
        wait_ms = ms(after["not_before"]) - before
        assert abs(wait_ms - 2 * H * 2 ** (n - 1)) < 60_000, (n, wait_ms)
    # the third unanswered one uses them up
    bring_forward(t, cb["id"])
    got = w.claim("anna")[2]
    st, _, after, _ = w.act("anna", cb["id"], "attempts", {
        "lease": got["lease"]["token"], "result": "voicemail"})
    assert st == 201 and after["state"] == "unreachable", after
    assert t.sql(f"SELECT attempt_count, unanswered_count FROM callbacks "
                 f"WHERE id = '{cb['id']}'") == [["5", "3"]]
    st, _, got, _ = w.d.req("GET", f"/v1/callbacks/{cb['id']}", token=w.agent)
    assert got["unanswered_count"] == 3 and len(got["attempts"]) == 5
    assert t.index_faults() == []


def test_agent_callback_later_uses_up_no_attempt(t):
    """The agent's attempts, without a lease, count the same way: the
    back-off after callback_later is the first one."""
    w = World(t)
    cb = w.create()
    st, _, after, _ = w.act(None, cb["id"], "attempts", {
        "result": "callback_later", "not_before": later(1)})
    assert st == 201 and after["unanswered_count"] == 0, (st, after)
    bring_forward(t, cb["id"])
    before = time.time() * 1000
    st, _, after, _ = w.act(None, cb["id"], "attempts", {"result": "no_answer"})
    assert st == 201 and after["state"] == "queued", (st, after)
    assert after["attempt_count"] == 2 and after["unanswered_count"] == 1
    assert abs(ms(after["not_before"]) - before - 2 * H) < 60_000


def test_session_lists_the_attempt_results_the_api_takes(t):
    """GET /v1/session names the attempt results the pages offer: each is
    taken by POST .../attempts, and the refusal of another names the same
    list."""
    w = World(t)
    st, _, session, _ = w.d.req("GET", "/v1/session", token=w.agent)
    assert st == 200, (st, session)
    results = session["attempt_results"]
    assert results == ["reached", "no_answer", "busy", "voicemail",
                       "wrong_number", "callback_later"], results
    for result in results:
        body = {"result": result}
        if result == "callback_later":
            body["not_before"] = later(1)
        st, _, after, _ = w.act(None, w.create()["id"], "attempts", body)
        assert st == 201 and after["attempt_count"] == 1, (result, st, after)
    st, _, err, _ = w.act(None, w.create()["id"], "attempts", {"result": "shouted"})
    assert st == 422 and err["error"]["code"] == "invalid_result", (st, err)
    assert err["error"]["message"] == "result must be one of " + ", ".join(results), err


# ---- callback_later inside the caller's window ----------------------------

def test_callback_later_past_the_window_is_refused(t):
    w = World(t)
    w.caseworker("anna")
    cb = w.create(window={"not_after": later(2)})
    got = w.claim("anna")[2]
    token = got["lease"]["token"]
    before = counts(t)
    for hours in (3, 2):  # past not_after, and just past it
        st, _, err, _ = w.act("anna", cb["id"], "attempts", {
            "lease": token, "result": "callback_later", "not_before": later(hours)})
        assert st == 422, (st, err)
        assert err["error"]["code"] == "invalid_window", err
        assert err["error"]["field"] == "not_before", err
    assert counts(t) == before
    assert w.state(cb["id"]) == "claimed"
    # the lease still holds, and a time inside the window is taken
    st, _, after, _ = w.act("anna", cb["id"], "attempts", {
        "lease": token, "result": "callback_later", "not_before": later(1)})
    assert st == 201 and after["state"] == "queued", (st, after)
    # an agent is refused the same way
    st, _, err, _ = w.act(None, cb["id"], "attempts", {
        "result": "callback_later", "not_before": later(3)})
    assert st == 422 and err["error"]["code"] == "invalid_window", (st, err)
    assert t.scalar("SELECT count(*) FROM attempts") == "1"
    assert t.index_faults() == []


# ---- stale leases ---------------------------------------------------------

LEASE_CALLS = [("heartbeat", {}), ("release", {}), ("attempts", {"result": "reached"})]


def assert_lease_lost(w, cid, cb_id, token):
    for what, body in LEASE_CALLS:
        st, _, err, _ = w.act(cid, cb_id, what, dict(body, lease=token))
        assert st == 409 and err["error"]["code"] == "lease_lost", (what, token, st, err)
        assert err["error"]["field"] == "lease"


def test_a_lease_that_is_not_the_current_one_is_lost(t):
    w = World(t)
    w.caseworker("anna")
    w.caseworker("ben")
    cb = w.create()
    old = w.claim("anna")[2]["lease"]["token"]
    assert w.act("anna", cb["id"], "release", {"lease": old})[0] == 200
    before = counts(t)
    # given back, nobody holds it: the old lease is lost, not "queued"
    assert_lease_lost(w, "anna", cb["id"], old)
    assert counts(t) == before
    # ben holds it now: anna's old lease is still lost, not foreign
    got = w.claim("ben")[2]
    assert got["callback"]["id"] == cb["id"]
    current = got["lease"]["token"]
    before = counts(t)
    assert_lease_lost(w, "anna", cb["id"], old)
    assert_lease_lost(w, "ben", cb["id"], old)
    # something that is no lease at all is lost too, not "no such resource"
    for token in ("bogus", "x" * 40, "0b6c8f9e3c1a4d7e9f00123456789abc"):
        assert_lease_lost(w, "anna", cb["id"], token)
    # the current lease in another caseworker's hands: foreign
    for what, body in LEASE_CALLS:
        st, _, err, _ = w.act("anna", cb["id"], what, dict(body, lease=current))
        assert st == 403 and err["error"]["code"] == "lease_foreign", (what, st, err)
    assert counts(t) == before
    assert t.sql(f"SELECT state, claimed_by, lease_token FROM callbacks "
                 f"WHERE id = '{cb['id']}'") == [["claimed", "ben", current]]
    assert w.act("ben", cb["id"], "heartbeat", {"lease": current})[0] == 200
    assert t.index_faults() == []


def test_a_lapsed_lease_is_lost_once_the_callback_is_queued(t):
    d = short_lease_daemon(t)
    w = World(t, d)
    w.caseworker("anna")
    cb = w.create()
    old = w.claim("anna")[2]["lease"]["token"]
    wait_for("lapse", lambda: t.scalar(
        f"SELECT state = 'queued' AND lapsed_leases = 1 FROM callbacks "
        f"WHERE id = '{cb['id']}'") == "t", timeout=10)
    before = counts(t)
    assert_lease_lost(w, "anna", cb["id"], old)
    assert counts(t) == before


# ---- flagged callbacks ----------------------------------------------------

def test_flagged_callbacks_are_listed_and_a_manager_unflags_them(t):
    d = short_lease_daemon(t)
    w = World(t, d)
    manager = d.token("manager")
    w.caseworker("anna")
    cb = w.create()
    for _ in range(3):
        assert w.claim("anna")[0] == 200
        wait_for("lapse", lambda: t.scalar(
            f"SELECT state = 'queued' FROM callbacks WHERE id = '{cb['id']}'") == "t",
            timeout=10)
    wait_for("flagged", lambda: t.is_member("flagged", cb["id"]))
    other = w.create()
    for token in (manager, w.agent):
        st, _, got, _ = d.req("GET", "/v1/callbacks?flagged=true", token=token)
        assert st == 200 and [c["id"] for c in got["callbacks"]] == [cb["id"]], got
        assert got["callbacks"][0]["flagged"] is True
        st, _, got, _ = d.req("GET", "/v1/callbacks?flagged=false", token=token)
        assert st == 200 and [c["id"] for c in got["callbacks"]] == [other["id"]], got
    for bad in ("yes", "", "1"):
        st, _, err, _ = d.req("GET", f"/v1/callbacks?flagged={bad}", token=manager)
        assert st == 400 and err["error"]["code"] == "invalid_value", (bad, st, err)
        assert err["error"]["field"] == "flagged"
    before = counts(t)
    # an agent may not hand it back; nor is an unflagged one handed back
    st, _, err, _ = d.req("POST", f"/v1/callbacks/{cb['id']}/unflag", None, w.agent)
    assert st == 403 and err["error"]["code"] == "forbidden"
    st, _, err, _ = d.req("POST", f"/v1/callbacks/{other['id']}/unflag", None, manager)
    assert st == 409 and err["error"]["code"] == "wrong_state", (st, err)
    assert counts(t) == before
    st, _, got, _ = d.req("POST", f"/v1/callbacks/{cb['id']}/unflag", None, manager)
    assert st == 200, (st, got)
    assert got["id"] == cb["id"] and got["state"] == "queued"
    assert got["flagged"] is False and got["lapsed_leases"] == 0
    assert t.sql(f"SELECT flagged, lapsed_leases FROM callbacks "
                 f"WHERE id = '{cb['id']}'") == [["f", "0"]]
    mtoken = t.scalar("SELECT 'token:' || id FROM tokens WHERE role = 'manager'")
    assert t.sql(f"SELECT actor, data->>'lapsed_leases' FROM events "
                 f"WHERE callback_id = '{cb['id']}' AND kind = 'unflagged'") == \
        [[mtoken, "3"]]
    # back in its routing set, at its place: before the newer one
    assert not t.is_member("flagged", cb["id"])
    assert cb["id"] in t.ready()
    st, _, err, _ = d.req("POST", f"/v1/callbacks/{cb['id']}/unflag", None, manager)
    assert st == 409 and err["error"]["code"] == "wrong_state", (st, err)
    st, _, got, _ = d.req("POST", "/v1/callbacks/nope/unflag", None, manager)
    assert st == 404, (st, got)
    assert w.claim("anna")[2]["callback"]["id"] == cb["id"]


def test_a_proper_release_resets_the_lapse_count(t):
    w = World(t)
    w.caseworker("anna")
    w.caseworker("ben")
    cb = w.create()
    # two lapses behind it (as the sweep leaves them)
    t.sql(f"UPDATE callbacks SET lapsed_leases = 2 WHERE id = '{cb['id']}'")
    token = w.claim("ben")[2]["lease"]["token"]
    st, _, got, _ = w.act("ben", cb["id"], "release", {"lease": token})
    assert st == 200 and got["lapsed_leases"] == 0, (st, got)
    assert t.scalar(f"SELECT lapsed_leases FROM callbacks WHERE id = '{cb['id']}'") == "0"


# ---- who acted ------------------------------------------------------------

def test_attempts_and_events_name_the_caseworker(t):
    w = World(t)
    w.caseworker("mueller")
    cb = w.create()
    token = w.claim("mueller")[2]["lease"]["token"]
    assert w.act("mueller", cb["id"], "release", {"lease": token})[0] == 200
    token = w.claim("mueller")[2]["lease"]["token"]
    st, _, _, _ = w.act("mueller", cb["id"], "attempts",
                        {"lease": token, "result": "no_answer"})
    assert st == 201
    bring_forward(t, cb["id"])
    st, _, _, _ = w.act(None, cb["id"], "attempts", {"result": "reached"})
    assert st == 201
    agent = t.scalar("SELECT 'token:' || id FROM tokens WHERE role = 'agent'")
    assert t.sql(f"SELECT actor, result FROM attempts WHERE callback_id = '{cb['id']}' "
                 "ORDER BY id") == [["mueller", "no_answer"], [agent, "reached"]]
    tel = t.scalar("SELECT 'token:' || id FROM tokens WHERE role = 'telephony'")
    assert t.sql(f"SELECT kind, actor FROM events WHERE callback_id = '{cb['id']}' "
                 "ORDER BY id") == [
        ["created", tel], ["claimed", "mueller"], ["released", "mueller"],
        ["claimed", "mueller"], ["attempt", "mueller"], ["attempt", agent]]
    st, _, got, _ = w.d.req("GET", f"/v1/callbacks/{cb['id']}", token=w.agent)
    assert [a["actor"] for a in got["attempts"]] == ["mueller", agent]
