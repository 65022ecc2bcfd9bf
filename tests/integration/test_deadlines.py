"""Nothing waits forever on Redis or PostgreSQL. A Redis that stalls
(DEBUG SLEEP, SIGSTOP) or a table that a session keeps locked made
requests hang as long as the stall lasted, /readyz said ready and nothing
was logged. Now every wait has a deadline: past it the client gets 503
with Retry-After (a committed intake still 201), /readyz says which
server is slow, the log says so once and again when it recovers, and
callbackd_timeouts_total counts the timeouts."""

import os
import re
import signal
import socket
import threading
import time

from harness import wait_for

BODY = {"topic": "general", "site": "dortmund"}


def configured(t, **keys):
    """A daemon (not started) with extra keys: section -> lines."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    for section, lines in keys.items():
        text = text.replace(f"[{section}]\n", f"[{section}]\n{lines}\n", 1)
    with open(d.conf, "w") as f:
        f.write(text)
    return d


def redis_answers(t, timeout=0.3):
    """Whether Redis answers a PING within timeout."""
    try:
        with socket.create_connection(("127.0.0.1", t.redis.port), timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def timeouts(d, server):
    st, _, _, raw = d.req("GET", "/metrics")
    assert st == 200, raw
    m = re.search(r'^callbackd_timeouts_total\{server="%s"\} (\d+)$' % server,
                  raw.decode(), re.M)
    return int(m.group(1)) if m else None


def caseworker(d):
    admin = d.token("admin")
    assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    return d.token("caseworker", caseworker="anna")


def test_redis_sleep_answers_intake_and_claim_within_redis_timeout(t):
    d = configured(t, redis="timeout = 1s")
    d.start()
    tel, cw = d.token("telephony"), caseworker(d)
    assert timeouts(d, "redis") == 0
    sleeper = threading.Thread(target=t.redis.cli, args=("DEBUG", "SLEEP", "5"))
    sleeper.start()
    try:
        wait_for("redis asleep", lambda: not redis_answers(t))
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550201"),
                             tel, timeout=4)
        assert st == 201, cb  # committed: a success, the rebuild indexes it
        st, hdrs, err, _ = d.req("POST", "/v1/queue/claim", None, cw, timeout=4)
        assert st == 503 and hdrs.get("retry-after"), (st, err)
        assert d.req("GET", "/readyz")[2]["checks"]["redis"] in ("slow", "unreachable")
        assert timeouts(d, "redis") >= 1
        # all of it while Redis was still asleep
        assert sleeper.is_alive()
    finally:
        sleeper.join(15)
    wait_for("ready again", lambda: d.req("GET", "/readyz")[0] == 200, timeout=20)
    wait_for("indexed by the rebuild", lambda: cb["id"] in t.ready(), timeout=20)
    log = d.log_tail(200)
    assert log.count("redis: no reply within 1 s") == 1, log
    assert "redis: answers in time again" in log, log


def test_redis_stopped_bounds_intake_and_claims_until_it_continues(t):
    d = configured(t, redis="timeout = 1s")
    d.start()
    tel, cw = d.token("telephony"), caseworker(d)
    t.redis.proc.send_signal(signal.SIGSTOP)
    try:
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550202"),
                             tel, timeout=5)
        assert st == 201, cb
        st, hdrs, _, _ = d.req("POST", "/v1/queue/claim", None, cw, timeout=5)
        assert st == 503 and hdrs.get("retry-after")
        wait_for("not ready", lambda: d.req("GET", "/readyz")[2]["checks"]["redis"]
                 in ("slow", "unreachable"), timeout=5)
        assert d.req("GET", "/readyz")[0] == 503
        assert timeouts(d, "redis") >= 1
    finally:
        t.redis.proc.send_signal(signal.SIGCONT)
    wait_for("ready again", lambda: d.req("GET", "/readyz")[0] == 200, timeout=20)
    wait_for("indexed by the rebuild", lambda: cb["id"] in t.ready(), timeout=20)
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
    assert st == 200 and got["callback"]["id"] == cb["id"], (st, got)
    assert "redis: answers in time again" in d.log_tail(200)


def test_locked_table_answers_503_within_the_statement_timeout(t):
    d = configured(t, postgres="statement_timeout = 1s\nlock_timeout = 500ms")
    d.start()
    tel, cw = d.token("telephony"), caseworker(d)
    agent = d.token("agent")
    st, _, old, _ = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550203"), tel)
    assert st == 201
    wait_for("indexed", lambda: old["id"] in t.ready())
    assert timeouts(d, "postgres") == 0
    locker = t.pg.session(t.db)
    locker.stdin.write("BEGIN;\nLOCK TABLE callbacks IN ACCESS EXCLUSIVE MODE;\n"
                       "SELECT 'held';\n")
    locker.stdin.flush()
    wait_for("lock", lambda: locker.stdout.readline().strip() == "held", timeout=15)
    try:
        for method, path, body, token in (
                ("POST", "/v1/callbacks", dict(BODY, phone="0231 5550204"), tel),
                ("GET", f"/v1/callbacks/{old['id']}", None, agent),
                ("POST", "/v1/queue/claim", None, cw)):
            st, hdrs, err, _ = d.req(method, path, body, token, timeout=5)
            assert st == 503 and hdrs.get("retry-after"), (path, st, err)
            assert err["error"]["code"] == "unavailable", err
        # /metrics answers in time too, without the gauges it could not read
        assert timeouts(d, "postgres") >= 3
        ready = d.req("GET", "/readyz")
        assert ready[0] == 503 and ready[2]["checks"]["postgres"] == "slow", ready
    finally:
        locker.stdin.write("ROLLBACK;\n\\q\n")
        locker.stdin.flush()
        locker.wait(10)
    # ready once a query answered in time with none late for a while
    wait_for("ready again", lambda: d.req("GET", f"/v1/callbacks/{old['id']}", None,
             agent)[0] == 200 and d.req("GET", "/readyz")[0] == 200, timeout=10)
    assert t.scalar("SELECT count(*) FROM callbacks WHERE phone = '+492315550204'") == "0"
    assert t.scalar(f"SELECT state FROM callbacks WHERE id = '{old['id']}'") == "queued"
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
    assert st == 200 and got["callback"]["id"] == old["id"], (st, got)
    log = d.log_tail(200)
    assert log.count("postgres: a query ran past 1 s") == 1, log
    assert "postgres: queries answer in time again" in log, log


def test_intake_of_a_client_gone_while_queued_is_not_written(t):
    d = configured(t, postgres="statement_timeout = 20s\nlock_timeout = 20s",
                   daemon="debug = yes")
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("pool_size = 4", "pool_size = 2"))
    d.start()
    tel = d.token("telephony")
    assert d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550205"), tel)[0] == 201
    locker = t.pg.session(t.db)
    locker.stdin.write("BEGIN;\nLOCK TABLE callbacks IN ACCESS EXCLUSIVE MODE;\n"
                       "SELECT 'held';\n")
    locker.stdin.flush()
    wait_for("lock", lambda: locker.stdout.readline().strip() == "held", timeout=15)
    first = {}

    def waits():
        first["r"] = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550207"),
                           tel, timeout=30)
    th = threading.Thread(target=waits)
    try:
        th.start()
        wait_for("the first intake waits on the lock", lambda: int(t.scalar(
            "SELECT count(*) FROM pg_locks WHERE NOT granted")) >= 1)
        # the second intake queues behind it, and its client leaves
        body = '{"phone": "0231 5550206", "topic": "general", "site": "dortmund"}'
        with socket.create_connection(("127.0.0.1", d.port), 5) as s:
            s.sendall((f"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\n"
                       f"Authorization: Bearer {tel}\r\n"
                       f"Content-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
            # nothing outside shows it queued: give it the time to be read
            # (too short a pause only lets the test pass without proving it)
            time.sleep(0.5)
    finally:
        locker.stdin.write("ROLLBACK;\n\\q\n")
        locker.stdin.flush()
        locker.wait(10)
        th.join(30)
    assert first["r"][0] == 201, first
    # one more intake, queued after the one that left: once it is answered,
    # the one before it has had its turn
    assert d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550208"), tel)[0] == 201
    assert t.scalar("SELECT count(*) FROM callbacks WHERE phone = '+492315550206'") == "0"
    assert t.scalar("SELECT count(*) FROM callbacks WHERE phone = '+492315550207'") == "1"
    assert "client of /v1/callbacks went away before its request was sent" \
        in d.log_tail(50)


def test_a_statement_the_server_never_answers_gives_up_its_connection(t):
    """The server's statement_timeout cannot help when the server itself
    does not run (a stopped backend, a dead link): the daemon gives up a
    second after statement_timeout, drops the connection and connects
    again."""
    d = configured(t, postgres="statement_timeout = 1s\nlock_timeout = 1s")
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    st, _, old, _ = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550209"), tel)
    assert st == 201
    mine = f"application_name = 'callbackd' AND datname = '{t.db}'"
    wait_for("pool", lambda: t.scalar(f"SELECT count(*) FROM pg_stat_activity WHERE {mine}")
             == "4")
    pids = [int(r[0]) for r in t.sql(f"SELECT pid FROM pg_stat_activity WHERE {mine}")]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        st, hdrs, err, _ = d.req("GET", f"/v1/callbacks/{old['id']}", None, agent,
                                 timeout=8)
        assert st == 503 and hdrs.get("retry-after"), (st, err)
        assert d.req("GET", "/readyz")[2]["checks"]["postgres"] in ("slow", "unreachable")
    finally:
        t.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (%s)"
              % ",".join(map(str, pids)))
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    wait_for("ready again", lambda: d.req("GET", f"/v1/callbacks/{old['id']}", None,
             agent)[0] == 200 and d.req("GET", "/readyz")[0] == 200, timeout=20)
    assert timeouts(d, "postgres") >= 1
    log = d.log_tail(200)
    assert re.search(r"postgres: connection \d lost: no answer within 2000 ms", log), log
    assert log.count("postgres: a query ran past 1 s") == 1, log


def test_requests_waiting_for_a_held_connection_do_not_wait_their_turn_out(t):
    """With every connection held up, requests queued for one waited for
    each statement ahead of them to run out its time: the third behind a
    lock on a pool of one would answer after three statement_timeouts.
    Now a request that waited a statement_timeout for a connection fails."""
    d = configured(t, postgres="statement_timeout = 1500ms\nlock_timeout = 0")
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("pool_size = 4", "pool_size = 1"))
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    st, _, old, _ = d.req("POST", "/v1/callbacks", dict(BODY, phone="0231 5550210"), tel)
    assert st == 201
    path = f"/v1/callbacks/{old['id']}"
    assert d.req("GET", path, None, agent)[0] == 200  # the token is known now
    locker = t.pg.session(t.db)
    locker.stdin.write("BEGIN;\nLOCK TABLE callbacks IN ACCESS EXCLUSIVE MODE;\n"
                       "SELECT 'held';\n")
    locker.stdin.flush()
    wait_for("lock", lambda: locker.stdout.readline().strip() == "held", timeout=15)
    results = [None] * 3

    def get(i):
        try:
            results[i] = d.req("GET", path, None, agent, timeout=3.5)[0]
        except Exception as e:  # noqa: BLE001 - the test looks at it
            results[i] = e
    threads = [threading.Thread(target=get, args=(i,)) for i in range(3)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(10)
    finally:
        locker.stdin.write("ROLLBACK;\n\\q\n")
        locker.stdin.flush()
        locker.wait(10)
    assert results == [503, 503, 503], results
