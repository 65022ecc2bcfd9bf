"""Daemons sharing one queue: what a daemon killed half-way through leaves
behind is mended by the ones still running. A callback committed in
PostgreSQL but never mirrored into Redis is brought in by a survivor; a
claim Redis took but PostgreSQL never recorded frees itself within
seconds, not after a whole lease."""

import signal
import threading
import time
import uuid

from harness import wait_for
from test_claims import World, ms


def daemons_seen(t):
    return t.redis.zrange(t.key("daemons"))


def forget(t, cb):
    """Takes a callback out of Redis as if its sync had never happened."""
    t.forget(cb["id"], "q:dortmund:general:de")


def test_silent_daemon_work_is_mirrored_by_a_survivor(t):
    w1 = World(t)
    d2 = t.daemon(name="d2")
    w2 = World(t, daemon=d2)
    wait_for("both daemons seen", lambda: len(daemons_seen(t)) == 2)
    old = w2.create()
    cb = w2.create()
    # a start-up rebuild still running would sync back what forget() takes
    t.index_settled()
    d2.proc.send_signal(signal.SIGKILL)
    d2.proc.wait(10)
    d2.proc = None
    forget(t, cb)
    assert cb["id"] not in t.ready()
    # d1 has no reason to rebuild: the marker is there; only the silence
    # of d2 tells it to catch up
    assert t.redis.cli("EXISTS", t.key("index")) == "1"
    wait_for("the survivor mirrors it", lambda: cb["id"] in t.ready(),
             timeout=20)
    assert t.zset("q:dortmund:general:de").get(cb["id"]) is not None
    assert old["id"] in t.ready()
    assert list(daemons_seen(t)) and len(daemons_seen(t)) == 1
    with open(w1.d.log, errors="replace") as f:
        assert "has been silent" in f.read()
    # and it can be claimed
    w1.caseworker("anna")
    assert w1.claim("anna")[2]["callback"]["id"] == old["id"]
    assert w1.claim("anna")[2]["callback"]["id"] == cb["id"]


def test_daemon_stopping_cleanly_leaves_no_catch_up(t):
    w1 = World(t)
    d2 = t.daemon(name="d2")
    wait_for("both daemons seen", lambda: len(daemons_seen(t)) == 2)
    assert d2.stop() == 0
    # it said goodbye: gone at once, not reaped after the silence
    assert len(daemons_seen(t)) == 1
    time.sleep(6)
    with open(w1.d.log, errors="replace") as f:
        assert "has been silent" not in f.read()


def test_claim_never_recorded_frees_itself_in_seconds(t):
    """The daemon is killed while PostgreSQL has not yet recorded a claim
    that Redis already took: the claim never commits, and the callback is
    claimable again after the provisional lease, not after 15 minutes."""
    w1 = World(t)
    d2 = t.daemon(name="d2")
    w2 = World(t, daemon=d2)
    w2.caseworker("anna")
    cb = w2.create()
    # no start-up rebuild may sync over the claim the test is about
    t.index_settled()
    locker = t.pg.session(t.db)
    locker.stdin.write("BEGIN;\n")
    locker.stdin.write(f"SELECT 1 FROM callbacks WHERE id = '{cb['id']}' FOR UPDATE;\n")
    wait_for("row locked", lambda: locker.stdout.readline().strip() == "1", timeout=15)
    result = []

    def claim():
        try:
            result.append(w2.claim("anna")[0])
        except Exception as e:  # the daemon dies under it
            result.append(e)

    th = threading.Thread(target=claim)
    th.start()
    wait_for("claim waiting on the row", lambda: int(t.scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype IN ('tuple', 'transactionid') "
        "AND NOT granted")) >= 1)
    held = t.zset("leases")
    assert cb["id"] in held
    now = time.time() * 1000
    assert held[cb["id"]] <= now + 11000, held[cb["id"]] - now
    d2.proc.send_signal(signal.SIGKILL)
    d2.proc.wait(10)
    d2.proc = None
    th.join(20)
    # the claim's statement dies with the lock holder's help, uncommitted
    locker.stdin.write("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE query LIKE '%cbd_claim%' AND pid <> pg_backend_pid();\n")
    locker.stdin.write("ROLLBACK;\n\\q\n")
    locker.stdin.flush()
    locker.wait(10)
    assert w1.state(cb["id"]) == "queued"
    assert t.scalar("SELECT count(*) FROM events WHERE kind = 'claimed'") == "0"
    wait_for("claimable again", lambda: cb["id"] in t.ready(),
             timeout=20)
    w1.cw["anna"] = w2.cw["anna"]
    got = w1.claim("anna")
    assert got[0] == 200 and got[2]["callback"]["id"] == cb["id"]
    # a recorded claim holds the full lease in Redis
    wait_for("full lease mirrored", lambda: t.zset("leases").get(cb["id"])
             == ms(got[2]["lease"]["until"]))


def test_a_late_sync_from_another_daemon_does_not_age_an_entry(t):
    """Two daemons rebuilding at once: one's sync, sent before the other's
    rebuild began, may run in Redis after that rebuild synced the row. The
    entry must still count as synced since the rebuild began, or the
    rebuild's cleanup drops an open callback from the index."""
    w = World(t)
    # the rebuild at start-up syncs every row again when it runs: let it be
    # done before the record this test reads
    wait_for("the start-up rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    cb = w.create()
    rec = t.record(cb["id"])
    fresh, version = rec["synced_at"], rec["version"]
    late = str(fresh - 60000)
    assert t.script("sync", [t.key("waiting"), t.key("leases"), t.key("flagged"),
                             t.key("q:dortmund:general:de")],
                    [t.prefix, late, uuid.UUID(cb["id"]).hex, "queued",
                     str(2 * ms(cb["due_at"]) + 1), "", "", "", "0", str(version), "4"],
                    hex_at=(3,)) == "ready"
    assert t.record(cb["id"])["synced_at"] == fresh
    # and a rebuild that began before the fresh sync keeps the entry
    t.reindex()
    wait_for("rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    assert cb["id"] in t.ready()
