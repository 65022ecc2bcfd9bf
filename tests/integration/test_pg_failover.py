"""PostgreSQL with a streaming standby: a daemon whose conninfo names both
hosts (target_session_attrs=read-write) follows the primary through a
failover under intake load. The primary is stopped as by a power cut
(pg_ctl stop -m immediate) and the standby promoted (pg_ctl promote);
intake answers 503 with Retry-After in the gap and 201 after it. With
synchronous replication nothing acknowledged is lost; with asynchronous
replication the loss is measured and printed (it depends on timing);
either way nothing is there twice, a retry with the same Idempotency-Key
replays, the alerts that went out do not go out again, and the lease
sweeper and retention act once on each callback. A connection that finds
itself on a read-only server is dropped and made again, not kept
answering errors."""

import http.client
import os
import threading
import time

import harness
from harness import wait_for

WORKERS = 4          # intake threads
PER_WORKER = 2000    # at most this many requests each
RUN_S = 60           # and at most this long in all


def _db(pair, t):
    pair.primary.createdb(t.db)


def _daemon(t, pair, name="d", conninfo=None, daemon=()):
    """A daemon of this test on the pair (not the shared PostgreSQL),
    migrated there when it is the first."""
    d = t.cluster.daemon(t.db, t.prefix, name)
    d.configure(conninfo=conninfo or pair.conninfo(t.db), daemon=daemon)
    if not t.daemons:
        d.migrate()
    t.daemons.append(d)
    return d


def _intake(d, tel, phone, key, topic="benefits"):
    return d.req("POST", "/v1/callbacks", {"phone": phone, "topic": topic,
                                           "site": "dortmund"}, tel,
                 {"Idempotency-Key": key}, timeout=10)


def _until_503(d, tel, tag):
    """Sends intakes until one is answered 503 (bounded); every answer
    before it must be 201. Returns the 503's headers."""
    seen = []

    def once():
        st, h, body, _ = _intake(d, tel, f"0231 7{tag}{len(seen):05d}", f"{tag}-{len(seen)}")
        seen.append(st)
        assert st in (201, 503), (st, body)
        return h if st == 503 else None
    return wait_for("intake answers 503", once, timeout=20)


def test_read_only_server_is_left_and_retried(t):
    """A daemon whose conninfo leads it to a read-only server (a standby,
    or a primary set to default_transaction_read_only) kept its
    connections and answered every write with an error, while /readyz
    said 200. Now such a connection is dropped at once and made again
    until the server accepts writes: /readyz says read_only, intake 503
    with Retry-After, and 201 once the server is writable."""
    pair = harness.PostgresPair(t.cluster.tmp, f"{t.db}-ro", sync=False)
    try:
        pair.start()
        _db(pair, t)
        a = pair.primary
        d1 = _daemon(t, pair, conninfo=f"host=127.0.0.1 port={a.port} dbname={t.db} "
                     "user=callbackd")
        d1.start()
        tel = d1.token("telephony")
        assert _intake(d1, tel, "0231 6000001", "ro-1")[0] == 201
        pair.caught_up()

        # on the standby alone, without target_session_attrs
        d2 = _daemon(t, pair, "d2", conninfo=f"host=127.0.0.1 port={pair.standby.port} "
                     f"dbname={t.db} user=callbackd")
        d2.start(wait_ready=False)
        wait_for("read_only", lambda: d2.req("GET", "/readyz")[2]["checks"]["postgres"]
                 == "read_only", timeout=20)
        st, h, body, _ = _intake(d2, tel, "0231 6000002", "ro-2")
        assert st == 503 and h.get("retry-after"), (st, body)

        # the primary turns read-only under a daemon connected to it
        a.psql("postgres", "ALTER SYSTEM SET default_transaction_read_only = on")
        a.psql("postgres", "SELECT pg_reload_conf()")
        try:
            h = _until_503(d1, tel, "1")
            assert h.get("retry-after"), h
            wait_for("read_only", lambda: d1.req("GET", "/readyz")[2]["checks"]["postgres"]
                     == "read_only", timeout=20)
        finally:
            a.psql("postgres", "ALTER SYSTEM RESET default_transaction_read_only")
            a.psql("postgres", "SELECT pg_reload_conf()")
        wait_for("ready", lambda: d1.req("GET", "/readyz")[0] == 200, timeout=20)
        assert _intake(d1, tel, "0231 6000003", "ro-3")[0] == 201
        log = d1.log_tail(200)
        assert "read-only" in log, log

        pair.standby.promote()
        wait_for("ready", lambda: d2.req("GET", "/readyz")[0] == 200, timeout=20)
        assert _intake(d2, tel, "0231 6000004", "ro-4")[0] == 201
    finally:
        pair.stop()
