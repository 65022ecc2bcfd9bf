"""Faults under a bounded load: while workers create, claim and complete
callbacks through the API, the daemon is killed with SIGKILL and started
again, Redis restarts empty, PostgreSQL stops for a few seconds, and one of
two daemons is killed. Afterwards every acknowledged callback is in
PostgreSQL exactly once and, if open, in the queue; nothing was completed
twice; the only error status ever seen is 503."""

import http.client
import os
import re
import signal
import threading
import time

from harness import wait_for

PHASE_S = 3          # load per phase
WORKERS = 4          # creating threads
CLAIMERS = 2         # claiming threads


class Load:
    def __init__(self, t, daemons, tel, cw):
        self.t, self.daemons, self.tel, self.cw = t, daemons, tel, cw
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.acked = {}        # id -> phone
        self.completed = []    # ids completed by us
        self.statuses = {}
        self.no_answer = 0
        self.phase = 0

    def count(self, st):
        with self.lock:
            self.statuses[st] = self.statuses.get(st, 0) + 1

    def create(self, i):
        k = 0
        while not self.stop.is_set() and k < 5000:
            k += 1
            d = self.daemons[(i + k) % len(self.daemons)]
            phone = f"0231 9{self.phase}{i}{k:05d}"
            with self.lock:
                self.sent += 1
            try:
                st, _, body, _ = d.req("POST", "/v1/callbacks", {
                    "phone": phone, "topic": "general", "site": "dortmund"},
                    self.tel, {"Idempotency-Key": f"f{self.phase}-{i}-{k}"}, timeout=10)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.no_answer += 1
                time.sleep(0.05)
                continue
            self.count(st)
            if st in (200, 201):
                with self.lock:
                    self.acked[body["id"]] = phone
            else:
                time.sleep(0.05)

    def claim(self, i):
        k = 0
        while not self.stop.is_set() and k < 5000:
            k += 1
            d = self.daemons[(i + k) % len(self.daemons)]
            try:
                st, _, got, _ = d.req("POST", "/v1/queue/claim", None, self.cw, timeout=10)
                self.count(st)
                if st != 200:
                    time.sleep(0.05)
                    continue
                st, _, done, _ = d.req("POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
                                       {"lease": got["lease"]["token"], "result": "reached"},
                                       self.cw, timeout=10)
                self.count(st)
                if st == 201:
                    with self.lock:
                        self.completed.append(got["callback"]["id"])
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.no_answer += 1
                time.sleep(0.05)

    def run(self, fault):
        self.phase += 1
        self.acked_before = len(self.acked)
        threads = [threading.Thread(target=self.create, args=(i,)) for i in range(WORKERS)]
        threads += [threading.Thread(target=self.claim, args=(i,)) for i in range(CLAIMERS)]
        for th in threads:
            th.start()
        try:
            time.sleep(PHASE_S / 2)
            fault()
            time.sleep(PHASE_S)
        finally:
            self.stop.set()
            for th in threads:
                th.join(60)
        self.stop.clear()


def check(t, load, name):
    ids = t.sql("SELECT id, state FROM callbacks")
    states = dict((r[0], r[1]) for r in ids)
    found = sum(1 for i in load.acked if i in states)
    dups = int(t.scalar("SELECT count(*) FROM (SELECT phone FROM callbacks "
                        "GROUP BY phone HAVING count(*) > 1) x"))
    lost = len(load.acked) - found
    twice = int(t.scalar("SELECT count(*) FROM (SELECT callback_id FROM attempts "
                         "WHERE result = 'reached' GROUP BY callback_id HAVING count(*) > 1) x"))
    print(f"     {name}: sent {load.sent}, acknowledged {len(load.acked)}, found {found}, "
          f"duplicates {dups}, lost {lost}, completed {len(load.completed)}, "
          f"completed twice {twice}, no answer {load.no_answer}, statuses {load.statuses}")
    # a phase in which nothing was acknowledged would prove nothing
    assert len(load.acked) > load.acked_before, (name, "no intake acknowledged")
    assert load.completed, (name, "no callback completed")
    assert lost == 0 and dups == 0 and twice == 0
    assert len(load.completed) == len(set(load.completed))
    bad = {s: n for s, n in load.statuses.items() if s >= 500 and s != 503}
    assert not bad, bad
    # queued callbacks are claimable, claimed ones leased: a daemon killed
    # between claim.lua and the claim's commit leaves only a provisional
    # lease, and one killed after a commit leaves its row to a survivor
    open_ids = {i for i, s in states.items() if s == "queued"}
    claimed = {i for i, s in states.items() if s == "claimed"}
    wait_for("index complete", lambda: open_ids <= set(t.ready())
             | set(t.zset("waiting"))
             and claimed <= set(t.zset("leases")), timeout=30)


def test_faults_under_load(t):
    d1 = t.daemon()
    admin, tel = d1.token("admin"), d1.token("telephony")
    assert d1.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                  "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    cw = d1.token("caseworker", caseworker="anna")
    load = Load(t, [d1], tel, cw)

    def kill9():
        d1.proc.send_signal(signal.SIGKILL)
        d1.proc.wait(10)
        d1.proc = None
        d1.start()
    load.run(kill9)
    check(t, load, "kill -9 and restart")

    def redis_restart():
        t.redis.stop()
        t.redis.start()
    load.run(redis_restart)
    check(t, load, "Redis restarted empty")

    def pg_pause():
        t.pg.stop()
        time.sleep(10)
        t.pg.start()
    load.run(pg_pause)
    wait_for("ready again", lambda: d1.req("GET", "/readyz")[0] == 200, timeout=20)
    check(t, load, "PostgreSQL stopped for 10 s")

    d2 = t.daemon(name="d2")
    load.daemons = [d1, d2]

    def kill_one():
        d2.proc.send_signal(signal.SIGKILL)
        d2.proc.wait(10)
        d2.proc = None
    load.run(kill_one)
    load.daemons = [d1]
    check(t, load, "one of two daemons killed")
    # the lapsed leases of the killed daemon's claims come back by themselves
    assert d1.req("GET", "/readyz")[0] == 200


def test_index_is_mended_when_redis_may_no_longer_evict(t):
    """While Redis' maxmemory-policy allowed eviction, an intake was
    committed and not indexed; when the policy went back to noeviction the
    daemon said the index was usable, yet the callback stayed out of every
    queue until SIGUSR1. Now it is rebuilt as soon as Redis is usable."""
    d = t.daemon()
    tel = d.token("telephony")
    body = {"phone": "0231 5550111", "topic": "general", "site": "dortmund"}
    t.redis.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    try:
        wait_for("not ready", lambda: d.req("GET", "/readyz")[0] == 503)
        st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
        assert st == 201, cb
        assert cb["id"] not in t.ready()
        assert "committed but not indexed" in d.log_tail(20)
    finally:
        t.redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
    wait_for("indexed", lambda: cb["id"] in t.ready())
    assert "index update could not be applied; rebuilding" in d.log_tail(40)
    assert t.index_faults() == []


def _pg_log_count(t, needle):
    with open(os.path.join(t.pg.dir, "log"), errors="replace") as f:
        return f.read().count(needle)


def test_postgres_refusals_are_logged_once_with_their_reason(t):
    """With PostgreSQL refusing connections, the log said only "connection
    N lost"; the reason appeared in /readyz alone. Now the server's reason
    is logged once per change, however often the pool retries, and the
    pool can be found in pg_stat_activity by its application_name."""
    d = t.daemon()
    tel = d.token("telephony")
    assert d.req("POST", "/v1/callbacks", {"phone": "0231 5550112", "topic": "general",
                 "site": "dortmund"}, tel)[0] == 201
    mine = f"application_name = 'callbackd' AND datname = '{t.db}'"
    wait_for("pool", lambda: t.scalar(f"SELECT count(*) FROM pg_stat_activity WHERE {mine}")
             == "4")
    refusal = f'database "{t.db}" is not currently accepting connections'
    before = _pg_log_count(t, refusal)
    t.pg.psql("postgres", f"ALTER DATABASE {t.db} ALLOW_CONNECTIONS false")
    try:
        t.pg.psql("postgres", f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE {mine}")
        # the pool has tried at least three times since
        wait_for("retries", lambda: _pg_log_count(t, refusal) >= before + 3, timeout=30)
        assert d.req("GET", "/readyz")[2]["checks"]["postgres"] == "unreachable"
    finally:
        t.pg.psql("postgres", f"ALTER DATABASE {t.db} ALLOW_CONNECTIONS true")
    wait_for("ready", lambda: d.req("GET", "/readyz")[0] == 200, timeout=30)
    log = d.log_tail(400)
    assert log.count(refusal) == 1, log
    assert re.search(r"postgres: connection \d lost: ", log), log
