"""What a lease proves, against real PostgreSQL and Redis: a lease that
is not the current one is lost, whoever holds the callback now; attempts
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
