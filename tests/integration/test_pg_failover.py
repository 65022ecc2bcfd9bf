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


class Intake:
    """Intake from several threads, bounded in count and time, as a
    telephony system sends it: each request with its own Idempotency-Key,
    sent again with that key until it is acknowledged."""

    def __init__(self, d, tel):
        self.d, self.tel = d, tel
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}      # key -> (id, status)
        self.answers = []    # (sent, answered, status, retry_after), monotonic
        self.no_answer = 0
        self.deadline = time.monotonic() + RUN_S
        self.threads = [threading.Thread(target=self.worker, args=(i,))
                        for i in range(WORKERS)]

    def worker(self, i):
        for k in range(PER_WORKER):
            key, phone = f"fo-{i}-{k}", f"0231 8{i}{k:05d}"
            for _ in range(400):
                if self.stop.is_set() or time.monotonic() > self.deadline:
                    return
                sent = time.monotonic()
                try:
                    st, h, body, _ = _intake(self.d, self.tel, phone, key)
                except (OSError, http.client.HTTPException):
                    with self.lock:
                        self.no_answer += 1
                    time.sleep(0.05)
                    continue
                with self.lock:
                    self.answers.append((sent, time.monotonic(), st, h.get("retry-after")))
                    if st in (200, 201):
                        self.acked[key] = (body["id"], st)
                if st in (200, 201):
                    break
                time.sleep(0.05)

    def start(self):
        for th in self.threads:
            th.start()

    def finish(self):
        self.stop.set()
        for th in self.threads:
            th.join(30)

    def since(self, at, statuses):
        """Answers of these statuses to requests sent after at."""
        with self.lock:
            return [a for a in self.answers if a[0] > at and a[2] in statuses]


def _failover(t, sync):
    mode = "sync" if sync else "async"
    pair = harness.PostgresPair(t.cluster.tmp, f"{t.db}-{mode}", sync=sync)
    try:
        pair.start()
        _db(pair, t)
        d = _daemon(t, pair, daemon=("lease = 3s", "retention_days = 1",
                                     "retention_check = 1s"))
        d.start()
        a, b = pair.primary, pair.standby
        admin, tel, agent = d.token("admin"), d.token("telephony"), d.token("agent")
        assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                     "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
        cw = d.token("caseworker", caseworker="anna")

        # alerts that go out before the failover
        quick = [_intake(d, tel, f"0231 55500{i}", f"q-{i}", "quick")[2]["id"]
                 for i in range(2)]
        wait_for("alerts sent", lambda: a.scalar(t.db, "SELECT count(*) FROM alerts "
                 "WHERE sent_at IS NOT NULL") == "4", timeout=30)
        wait_for("alerts in syslog", lambda: all(
            _alert_levels(t, q) == ["at_risk", "breached"] for q in quick), timeout=10)

        intake = Intake(d, tel)
        intake.start()
        st, _, replay, _ = _intake(d, tel, "0231 5559999", "replay-me")
        assert st == 201, replay

        # claims whose leases (3 s) run out across the failover
        for i in range(3):
            assert _intake(d, tel, f"0231 55510{i}", f"g-{i}", "general")[0] == 201
        claimed = []
        for _ in range(3):
            st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
            assert st == 200, got
            claimed.append(got["callback"]["id"])
        # closed callbacks that retention erases around the failover
        closed = []
        for i in range(3):
            cb = _intake(d, agent, f"0231 55520{i}", f"c-{i}", "housing_approval")[2]
            assert d.req("POST", f"/v1/callbacks/{cb['id']}/cancel", {}, agent)[0] == 200
            closed.append(cb["id"])
        ids = ",".join(f"'{i}'" for i in closed)
        a.psql(t.db, "UPDATE callbacks SET closed_at = now() - interval '2 days' "
               f"WHERE id IN ({ids})")
        # what happened up to here is on the standby; the load goes on
        pair.caught_up()
        wait_for("load", lambda: len(intake.acked) >= 20, timeout=20)

        crashed = time.monotonic()
        a.crash()
        down = time.monotonic()
        wait_for("503 in the gap", lambda: intake.since(down, (503,)), timeout=20)
        promoting = time.monotonic()
        b.promote()
        promoted = time.monotonic()
        wait_for("ready again", lambda: d.req("GET", "/readyz")[0] == 200, timeout=30)
        wait_for("201 after the gap", lambda: intake.since(promoted, (201,)), timeout=30)
        wait_for("load after", lambda: len(intake.since(promoted, (200, 201))) >= 20,
                 timeout=30)
        intake.finish()

        first_ok = min(x[1] for x in intake.since(down, (200, 201)))
        statuses = {}
        for x in intake.answers:
            statuses[x[2]] = statuses.get(x[2], 0) + 1
        rows = {r[0]: r[1] for r in b.psql(t.db, "SELECT id, phone FROM callbacks")}
        lost = [k for k, (i, _) in intake.acked.items() if i not in rows]
        twice = b.scalar(t.db, "SELECT count(*) FROM (SELECT phone FROM callbacks "
                         "WHERE phone IS NOT NULL GROUP BY phone HAVING count(*) > 1) x")
        print(f"     {mode}: gap {first_ok - crashed:.1f} s from the crash to the first "
              f"acknowledged intake (promotion {promoted - promoting:.1f} s, then "
              f"{first_ok - promoted:.1f} s); acknowledged {len(intake.acked)}, lost "
              f"{len(lost)}, duplicates {twice}, no answer {intake.no_answer}, "
              f"statuses {statuses}")

        bad = {s: n for s, n in statuses.items() if s not in (200, 201, 503)}
        assert not bad, bad
        assert all(x[3] for x in intake.answers if x[2] == 503), "503 without Retry-After"
        assert twice == "0"
        if sync:
            assert lost == [], lost
        # what the new primary does not have leaves the queue index
        gone = {intake.acked[k][0] for k in lost}
        wait_for("lost ones out of the index", lambda: not gone & set(t.ready()), timeout=30)
        # a telephony retry across the failover replays
        st, _, again, _ = _intake(d, tel, "0231 5559999", "replay-me")
        assert st == 200 and again["replayed"] and again["id"] == replay["id"], (st, again)

        # each lapsed lease handled once, each closed callback erased once
        ids = ",".join(f"'{i}'" for i in claimed)
        wait_for("leases lapsed", lambda: b.scalar(t.db, "SELECT count(*) FROM callbacks "
                 f"WHERE id IN ({ids}) AND state = 'queued'") == "3", timeout=30)
        assert b.psql(t.db, "SELECT lapsed_leases, (SELECT count(*) FROM events e WHERE "
                      "e.callback_id = c.id AND e.kind = 'lease_expired') FROM callbacks c "
                      f"WHERE id IN ({ids})") == [["1", "1"]] * 3
        ids = ",".join(f"'{i}'" for i in closed)
        wait_for("erased", lambda: b.scalar(t.db, "SELECT count(*) FROM callbacks "
                 f"WHERE id IN ({ids}) AND erased_at IS NOT NULL") == "3", timeout=30)
        assert b.psql(t.db, "SELECT count(*) FROM events WHERE kind = "
                      f"'personal_data_erased' AND callback_id IN ({ids}) "
                      "GROUP BY callback_id") == [["1"]] * 3

        # the alert timer works on the new primary, and sends nothing twice
        q = _intake(d, tel, "0231 5559998", "q-after", "quick")[2]["id"]
        wait_for("alerts after", lambda: _alert_levels(t, q) == ["at_risk", "breached"],
                 timeout=30)
        for old in quick:
            assert _alert_levels(t, old) == ["at_risk", "breached"], old
        ids = ",".join(f"'{i}'" for i in quick)
        assert b.scalar(t.db, "SELECT count(*) FROM alerts WHERE sent_at IS NOT NULL "
                        f"AND callback_id IN ({ids})") == "4"
        assert "postgres: connection" in d.log_tail(400)
    finally:
        pair.stop()


def _alert_levels(t, cb_id):
    out = []
    for line in t.cluster.syslog.lines():
        if f'callback="{cb_id}"' in line:
            out.append("breached" if 'level="breached"' in line else "at_risk"
                       if 'level="at_risk"' in line else line)
    return out


def test_failover_with_synchronous_standby_loses_nothing_acknowledged(t):
    _failover(t, sync=True)


def test_failover_with_asynchronous_standby_recovers_without_duplicates(t):
    _failover(t, sync=False)


def test_callback_lost_in_asynchronous_failover_leaves_the_queue(t):
    """An intake acknowledged by a primary whose asynchronous standby had
    not received it is gone after the failover, but the queue index still
    offered it: every claim reaching it was answered 503, and the lease
    sweeper and the peek kept meeting it, until an operator rebuilt the
    index. Now the daemon rebuilds the index when it finds itself on
    another PostgreSQL server, and the lost callback leaves the queue."""
    pair = harness.PostgresPair(t.cluster.tmp, f"{t.db}-lost", sync=False)
    try:
        pair.start()
        _db(pair, t)
        d = _daemon(t, pair)
        d.start()
        admin, tel = d.token("admin"), d.token("telephony")
        assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                     "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
        cw = d.token("caseworker", caseworker="anna")
        kept = _intake(d, tel, "0231 5553001", "kept", "general")[2]["id"]
        pair.caught_up()
        # the standby stops receiving: what the primary commits now is lost
        pair.standby.stop()
        st, _, lost, _ = _intake(d, tel, "0231 5553002", "lost", "general")
        assert st == 201, lost
        wait_for("indexed", lambda: lost["id"] in t.ready())
        pair.primary.crash()
        pair.standby.start()
        pair.standby.promote()
        wait_for("ready again", lambda: d.req("GET", "/readyz")[0] == 200, timeout=30)
        assert pair.standby.scalar(t.db, "SELECT count(*) FROM callbacks WHERE id = "
                                   f"'{lost['id']}'") == "0"
        wait_for("lost callback out of the queue", lambda: lost["id"] not in t.ready(),
                 timeout=30)
        assert kept in t.ready()
        got = []
        for _ in range(2):
            st, _, body, _ = d.req("POST", "/v1/queue/claim", None, cw)
            assert st in (200, 204), (st, body)
            got.append(body["callback"]["id"] if st == 200 else None)
        assert got == [kept, None], got
    finally:
        pair.stop()
