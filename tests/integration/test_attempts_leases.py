"""Attempts and the work cycle against real PostgreSQL and Redis:
attempts and events name the caseworker who acted."""

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
