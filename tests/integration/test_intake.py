"""Intake against real PostgreSQL and Redis: commit before 201, idempotent
replays, merging, validation, roles, outages of either server, shutdown."""

import datetime
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

import harness
from harness import wait_for

H = 3600 * 1000
BASE = {"phone": "0231 1234567", "topic": "general", "site": "dortmund"}


def ms(ts):
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
               .timestamp() * 1000)


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def setup(t, roles=("telephony",)):
    d = t.daemon()
    return d, {r: d.token(r) for r in roles}


def count(t, table="callbacks"):
    return int(t.scalar(f"SELECT count(*) FROM {table}"))


def post(d, tok, body, **headers):
    return d.req("POST", "/v1/callbacks", body, tok, headers)


# ---- creation ------------------------------------------------------------

def test_create_commits_row_event_and_ready_entry(t):
    d, tok = setup(t, ("agent",))
    st, h, cb, _ = post(d, tok["agent"], BASE)
    assert st == 201, (st, cb)
    assert h["location"] == f"/v1/callbacks/{cb['id']}"
    assert cb["phone"] == "+492311234567" and cb["state"] == "queued"
    assert cb["merged"] is False and cb["replayed"] is False
    assert cb["language"] == "de" and cb["request_count"] == 1
    assert t.sql(f"SELECT state, phone FROM callbacks WHERE id = '{cb['id']}'") == \
        [["queued", "+492311234567"]]
    assert t.sql(f"SELECT kind FROM events WHERE callback_id = '{cb['id']}'") == \
        [["created"]]
    ready = t.ready()
    assert ready == {cb["id"]: ms(cb["due_at"])}, ready
    rec = t.record(cb["id"])
    assert rec["state"] == "r" and rec["route"] == t.key("q:dortmund:general:de"), rec
    assert rec["score"] == 2 * ms(cb["due_at"]) + 1 and rec["token"] == "", rec


def test_due_at_is_target_after_requested_at(t):
    d, tok = setup(t, ("agent",))
    req = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=30)
    st, _, cb, _ = post(d, tok["agent"], dict(BASE, requested_at=iso(req)))
    assert st == 201
    assert ms(cb["requested_at"]) == ms(iso(req))
    assert ms(cb["due_at"]) - ms(cb["requested_at"]) == 48 * H
    st, _, urgent, _ = post(d, tok["agent"], dict(
        BASE, phone="0231 7654321", topic="housing_approval", urgent=True))
    assert st == 201
    assert ms(urgent["due_at"]) - ms(urgent["requested_at"]) == 2 * H


def test_future_not_before_waits_instead_of_ready(t):
    d, tok = setup(t)
    nb = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)
    st, _, cb, _ = post(d, tok["telephony"], dict(BASE, window={"not_before": iso(nb)}))
    assert st == 201, cb
    assert t.zset("waiting") == {cb["id"]: ms(iso(nb))}
    assert t.ready() == {}


def test_get_returns_callback_with_attempts(t):
    d, tok = setup(t, ("telephony", "agent", "manager"))
    _, _, cb, _ = post(d, tok["telephony"], dict(BASE, name="Erika", note="Wohnung"))
    for role in ("agent", "manager"):
        st, _, got, _ = d.req("GET", f"/v1/callbacks/{cb['id']}", token=tok[role])
        assert st == 200
        assert got["id"] == cb["id"] and got["attempts"] == []
        assert got["name"] == "Erika" and got["note"] == "Wohnung"
    st, _, err, _ = d.req("GET", "/v1/callbacks/00000000-0000-0000-0000-000000000000",
                          token=tok["agent"])
    assert st == 404 and err["error"]["code"] == "not_found"
    st, _, err, _ = d.req("GET", "/v1/callbacks/not-a-uuid", token=tok["agent"])
    assert st == 404 and err["error"]["code"] == "not_found"


# ---- idempotency ---------------------------------------------------------

def test_replayed_key_returns_same_callback(t):
    d, tok = setup(t)
    st1, _, a, _ = post(d, tok["telephony"], BASE, **{"Idempotency-Key": "k-1"})
    st2, _, b, _ = post(d, tok["telephony"], BASE, **{"Idempotency-Key": "k-1"})
    assert (st1, st2) == (201, 200)
    assert a["id"] == b["id"] and b["replayed"] is True and b["merged"] is False
    assert b["request_count"] == 1
    assert count(t) == 1 and count(t, "events") == 1


def test_replayed_call_id_returns_same_callback(t):
    d, tok = setup(t)
    body = dict(BASE, call_id="pbx-4711")
    st1, _, a, _ = post(d, tok["telephony"], body)
    st2, _, b, _ = post(d, tok["telephony"], body)
    assert (st1, st2) == (201, 200)
    assert a["id"] == b["id"] and b["replayed"] is True
    assert count(t) == 1 and count(t, "events") == 1


def test_concurrent_replays_make_one_callback(t):
    d, tok = setup(t)
    n = 20
    barrier = threading.Barrier(n)
    results = [None] * n

    def one(i):
        barrier.wait(10)
        results[i] = post(d, tok["telephony"], BASE, **{"Idempotency-Key": "same"})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    codes = sorted(r[0] for r in results)
    assert codes == [200] * (n - 1) + [201], codes
    assert len({r[2]["id"] for r in results}) == 1
    assert count(t) == 1 and count(t, "events") == 1
    assert len(t.ready()) == 1


# ---- merging -------------------------------------------------------------

def test_same_phone_and_topic_merge(t):
    d, tok = setup(t, ("agent",))
    first = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    st, _, a, _ = post(d, tok["agent"], dict(
        BASE, topic="housing_approval", requested_at=iso(first)))
    assert st == 201
    assert ms(a["due_at"]) == ms(iso(first)) + 48 * H
    # the same number written another way, now urgent
    st, _, b, _ = post(d, tok["agent"], dict(
        BASE, phone="+49 231 123-4567", topic="housing_approval", urgent=True))
    assert st == 200 and b["merged"] is True and b["id"] == a["id"]
    assert b["request_count"] == 2 and b["urgent"] is True
    assert b["requested_at"] == a["requested_at"]
    # the urgent target runs from the first request
    assert ms(b["due_at"]) == ms(iso(first)) + 2 * H
    assert t.ready() == {a["id"]: ms(b["due_at"])}
    # a later non-urgent request does not take urgency away
    st, _, c, _ = post(d, tok["agent"], dict(BASE, topic="housing_approval"))
    assert st == 200 and c["urgent"] is True and c["request_count"] == 3
    assert c["due_at"] == b["due_at"]
    assert count(t) == 1
    # the urgent merge moved the due time up: an event of its own
    assert t.sql("SELECT kind FROM events ORDER BY id") == \
        [["created"], ["merged"], ["due_moved"], ["merged"]]


def test_a_raising_merge_plans_its_alerts_from_the_first_request(t):
    d, tok = setup(t, ("agent",))
    first = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=30)
    first_ms = ms(iso(first))

    def plan(cb_id):
        at, warn = t.sql("SELECT cbd_ms(alert_at), alert_warn::text FROM callbacks "
                         f"WHERE id = '{cb_id}'")[0]
        return int(at), [(float(f), int(w)) for f, w in json.loads(warn)]

    st, _, a, _ = post(d, tok["agent"], dict(
        BASE, topic="housing_approval", site="soest", requested_at=iso(first)))
    assert st == 201
    assert plan(a["id"]) == (first_ms + 24 * H, [
        (0.5, first_ms + 24 * H), (0.75, first_ms + 36 * H),
        (0.9, first_ms + int(43.2 * H))])
    # urgent, from another site: the urgent target (2 h) from the first
    # request moves every warning and the breach, at the first's site
    st, _, b, _ = post(d, tok["agent"], dict(BASE, topic="housing_approval", urgent=True))
    assert st == 200 and b["merged"] is True and b["site"] == "soest"
    assert ms(b["due_at"]) == first_ms + 2 * H
    assert plan(a["id"]) == (first_ms + H, [
        (0.5, first_ms + H), (0.75, first_ms + int(1.5 * H)),
        (0.9, first_ms + int(1.8 * H))])


def test_other_topic_is_a_second_callback(t):
    d, tok = setup(t)
    _, _, a, _ = post(d, tok["telephony"], BASE)
    st, _, b, _ = post(d, tok["telephony"], dict(BASE, topic="benefits"))
    assert st == 201 and b["id"] != a["id"]
    assert count(t) == 2


# ---- bad input -----------------------------------------------------------

BAD = [
    (dict(BASE, colour="red"), 400, "unknown_field", "colour"),
    ({"topic": "general", "site": "dortmund"}, 400, "missing_field", "phone"),
    (dict(BASE, phone=2311234567), 400, "invalid_type", "phone"),
    (dict(BASE, phone="call me maybe"), 422, "invalid_phone", "phone"),
    (dict(BASE, phone="12345678"), 422, "invalid_phone", "phone"),
    (dict(BASE, phone="0" * 33), 400, "too_long", "phone"),
    (dict(BASE, topic="parking"), 422, "unknown_topic", "topic"),
    (dict(BASE, site="paris"), 422, "unknown_site", "site"),
    (dict(BASE, language="Deutsch"), 422, "invalid_language", "language"),
    (dict(BASE, urgent="yes"), 400, "invalid_type", "urgent"),
    (dict(BASE, name="x" * 201), 400, "too_long", "name"),
    (dict(BASE, customer_ref="x" * 65), 400, "too_long", "customer_ref"),
    (dict(BASE, note="x" * 2001), 400, "too_long", "note"),
    (dict(BASE, call_id="x" * 129), 400, "too_long", "call_id"),
    (dict(BASE, assignee="x" * 65), 400, "too_long", "assignee"),
    (dict(BASE, requested_at="24.11.2026 10:00"), 422, "invalid_time", "requested_at"),
    (dict(BASE, requested_at="2099-01-01T00:00:00Z"), 422, "invalid_time", "requested_at"),
    (dict(BASE, window={"not_before": "soon"}), 422, "invalid_time", "window.not_before"),
    (dict(BASE, window={"not_after": "2026-02-30T10:00:00Z"}), 422, "invalid_time",
     "window.not_after"),
    (dict(BASE, window={"not_before": "2099-01-02T00:00:00Z",
                        "not_after": "2099-01-01T00:00:00Z"}), 422, "invalid_window", "window"),
    (dict(BASE, window={"not_after": "2020-01-01T00:00:00Z"}), 422, "invalid_window", "window"),
    ([1, 2], 400, "not_an_object", None),
]


def assert_nothing_written(t):
    assert count(t) == 0, "a row was written"
    assert count(t, "events") == 0, "an event was written"
    assert t.ready() == {}
    assert t.zset("waiting") == {}


def test_every_validation_error_has_its_code_and_field(t):
    d, tok = setup(t)
    for body, status, code, field in BAD:
        st, _, err, _ = post(d, tok["telephony"], body)
        assert st == status, (body, st, err)
        assert err["error"]["code"] == code, (body, err)
        assert err["error"]["field"] == field, (body, err)
        assert err["error"]["message"]
    assert_nothing_written(t)


def test_malformed_requests_are_refused(t):
    d, tok = setup(t)
    tk = tok["telephony"]
    st, _, err, _ = d.req("POST", "/v1/callbacks", b'{"phone": "0231', tk,
                          {"Content-Type": "application/json"})
    assert st == 400 and err["error"]["code"] == "invalid_json"
    st, _, err, _ = d.req("POST", "/v1/callbacks", json.dumps(BASE).encode(), tk,
                          {"Content-Type": "text/plain"})
    assert st == 415 and err["error"]["code"] == "unsupported_media_type"
    st, _, err, _ = d.req("POST", "/v1/callbacks", json.dumps(BASE).encode(), tk,
                          {"Content-Type": "application/json; charset=utf-8",
                           "Idempotency-Key": "x" * 129})
    assert st == 400 and err["error"] == {
        "code": "invalid_header", "field": "Idempotency-Key",
        "message": err["error"]["message"]}
    big = dict(BASE, note="x" * 2000, name="y" * 200)
    big["padding"] = "z" * 20000
    # refused from its Content-Length by libevent, before it is read: 413
    # with libevent's page, not JSON (test_hardening)
    st, _, err, _ = post(d, tk, big)
    assert st == 413 and err is None
    st, _, err, _ = d.req("DELETE", "/v1/callbacks", token=tk)
    assert st == 405 and err["error"]["code"] == "method_not_allowed"
    st, _, err, _ = d.req("GET", "/v2/nothing", token=tk)
    assert st == 404
    assert_nothing_written(t)


def test_intake_needs_a_valid_token_of_telephony_or_agent(t):
    d, tok = setup(t, ("telephony", "agent", "manager", "admin"))
    st, h, err, _ = post(d, None, BASE)
    assert st == 401 and err["error"]["code"] == "unauthorized"
    assert h.get("www-authenticate") == "Bearer"
    st, _, err, _ = post(d, "cbd_" + "0" * 64, BASE)
    assert st == 401
    st, _, err, _ = post(d, "not a token", BASE)
    assert st == 401
    st, _, err, _ = post(d, tok["manager"], BASE)
    assert st == 403 and err["error"]["code"] == "forbidden"
    assert_nothing_written(t)
    st, _, cb, _ = post(d, tok["agent"], BASE)
    assert st == 201
    st, _, err, _ = d.req("GET", f"/v1/callbacks/{cb['id']}", token=tok["telephony"])
    assert st == 403
    # tokens are stored hashed: the token itself is nowhere in the table
    for value in tok.values():
        assert t.scalar(f"SELECT count(*) FROM tokens WHERE hash::text LIKE "
                        f"'%{value[4:20]}%' OR label LIKE '%{value}%'") == "0"
    assert t.scalar("SELECT count(*) FROM tokens WHERE length(hash) = 32") == "4"


def test_caseworker_reads_only_assigned(t):
    d, tok = setup(t, ("telephony", "admin"))
    assert d.req("POST", "/v1/caseworkers", {"id": "mueller", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, tok["admin"])[0] == 201
    mine = d.token("caseworker", caseworker="mueller")
    _, _, a, _ = post(d, tok["telephony"], dict(BASE, assignee="mueller"))
    _, _, b, _ = post(d, tok["telephony"], dict(BASE, phone="0231 999888"))
    assert d.req("GET", f"/v1/callbacks/{a['id']}", token=mine)[0] == 200
    assert d.req("GET", f"/v1/callbacks/{b['id']}", token=mine)[0] == 403


# ---- the servers come and go ----------------------------------------------

def test_postgres_down_gives_503_and_writes_nothing(t):
    d, tok = setup(t)
    _, _, kept, _ = post(d, tok["telephony"], BASE)
    before = t.ready()
    t.pg.stop()
    try:
        st, h, err, _ = post(d, tok["telephony"], dict(BASE, phone="0231 555444"))
        assert st == 503 and err["error"]["code"] == "unavailable", (st, err)
        assert int(h["retry-after"]) > 0
        assert t.ready() == before
        assert t.zset("waiting") == {}
        st, _, ready, _ = d.req("GET", "/readyz")
        assert st == 503 and ready["status"] == "not_ready"
        assert ready["checks"]["postgres"] != "ok"
    finally:
        t.pg.start()
    wait_for("intake after restart",
             lambda: post(d, tok["telephony"], dict(BASE, phone="0231 555444"))[0] == 201)
    wait_for("readyz", lambda: d.req("GET", "/readyz")[0] == 200)
    assert count(t) == 2
    assert kept["id"] in t.ready()


def open_ids(t):
    return {r[0]: int(r[1]) for r in t.sql(
        "SELECT id, cbd_ms(due_at) FROM callbacks WHERE state IN ('queued', 'claimed')")}


def make_some(d, tok, n=25):
    for i in range(n):
        st, _, _, _ = post(d, tok, dict(BASE, phone=f"0231 {1000000 + i}",
                                        urgent=i % 3 == 0, topic="housing_approval"))
        assert st == 201


def test_flushall_rebuilds_every_open_callback(t):
    d, tok = setup(t)
    make_some(d, tok["telephony"])
    want = open_ids(t)
    assert t.ready() == want
    assert t.redis.cli("FLUSHALL") == "OK"
    wait_for("rebuild", lambda: t.ready() == want)
    wait_for("marker", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")


def test_a_rebuild_does_not_mark_an_index_emptied_under_it(t):
    """Redis emptied while a rebuild runs: what the rebuild synced before is
    gone, so its end must not mark the index complete (the daemon starts
    again); with its key still there, it does."""
    t.daemon()
    wait_for("marker", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    keys = [t.key("waiting"), t.key("leases"), t.key("flagged"), t.key("index2"),
            t.key("building:test")]
    last = [str(int(time.time() * 1000)), t.prefix, "0", "1", "1"]
    assert t.script("cleanup", keys, last) == "-1"
    assert t.redis.cli("EXISTS", t.key("index2")) == "0"
    t.redis.cli("SET", t.key("building:test"), "1")
    assert t.script("cleanup", keys, last) == "0"
    assert t.redis.cli("EXISTS", t.key("index2")) == "1"
    assert t.redis.cli("EXISTS", t.key("building:test")) == "0"


def test_redis_restart_rebuilds_every_open_callback(t):
    d, tok = setup(t)
    make_some(d, tok["telephony"])
    want = open_ids(t)
    t.redis.stop()
    try:
        st, _, cb, _ = post(d, tok["telephony"], dict(BASE, phone="0231 8888888"))
        assert st == 201, "a committed row is a success even without Redis"
        want[cb["id"]] = ms(cb["due_at"])
    finally:
        t.redis.start()
    wait_for("rebuild", lambda: t.ready() == want)
    wait_for("readyz", lambda: d.req("GET", "/readyz")[0] == 200)


def test_daemon_restart_rebuilds_index(t):
    d, tok = setup(t)
    make_some(d, tok["telephony"], 10)
    assert d.stop() == 0
    t.redis.cli("DEL", *t.redis.routes(t.prefix), t.key("index"))
    d.start()
    wait_for("rebuild", lambda: t.ready() == open_ids(t))


def test_redis_that_may_evict_is_not_ready(t):
    d, tok = setup(t)
    t.redis.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    try:
        st, _, r = wait_for("not ready", lambda: (lambda x: x if x[0] == 503 else None)(
            d.req("GET", "/readyz")))[:3]
        assert r["checks"]["redis"] == "eviction_policy", r
        assert "maxmemory-policy is allkeys-lru, must be noeviction" in d.log_tail(20)
    finally:
        t.redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
    wait_for("ready", lambda: d.req("GET", "/readyz")[0] == 200)


# ---- schema --------------------------------------------------------------

def test_refuses_unknown_schema(t):
    d = t.daemon(start=False)
    t.sql("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    d.proc = subprocess.Popen([harness.CALLBACKD, "-c", d.conf, "-f"],
                              stdout=subprocess.DEVNULL, stderr=open(d.log, "ab"))
    code = d.proc.wait(15)
    d.proc = None
    assert code == 1
    assert "version 999" in d.log_tail() and "needs version" in d.log_tail()


def test_refuses_unmigrated_schema(t):
    d = t.cluster.daemon(t.db, t.prefix)  # not migrated
    out = subprocess.run([harness.CALLBACKD, "-c", d.conf, "-f"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "--migrate" in out.stderr


def test_a_second_migrate_succeeds_and_brings_every_function_back(t):
    """--migrate on a migrated database applies no schema file again and
    re-applies every function and view: one changed or dropped behind the
    daemon's back has the body of this build again."""
    d = t.daemon(start=False)  # the first --migrate
    t.sql("CREATE OR REPLACE FUNCTION cbd_ms(t timestamptz) RETURNS bigint "
          "LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$ SELECT 0::bigint $$")
    t.sql("DROP FUNCTION cbd_iso(timestamptz)")
    t.sql("DROP VIEW sla_callbacks")
    out = d.run("--migrate")
    assert "(0 migrations applied" in out.stdout, out.stdout
    sql_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql")
    assert sorted(t.sql("SELECT version FROM schema_migrations")) == sorted(
        [str(int(f.split("_")[0]))] for f in os.listdir(sql_dir) if f[0].isdigit())
    assert t.scalar("SELECT cbd_ms('1970-01-01 00:00:01+00')") == "1000"
    assert t.scalar("SELECT cbd_iso('1970-01-01 00:00:01+00')") == \
        "1970-01-01T00:00:01.000Z"
    assert t.scalar("SELECT count(*) FROM sla_callbacks") == "0"
    d.start()
    st, _, cb, _ = post(d, d.token("telephony"), BASE)
    assert st == 201, (st, cb)


# ---- the command line ----------------------------------------------------

def test_check_config_names_file_line_and_key(t):
    d = t.daemon(start=False)
    assert d.run("--check-config").stdout.strip() == "config OK"
    with open(d.conf) as f:
        lines = f.read().split("\n")
    n = next(i for i, x in enumerate(lines) if x.startswith("target")) + 1
    lines[n - 1] = "target = 48x"
    bad = os.path.join(d.dir, "bad.ini")
    with open(bad, "w") as f:
        f.write("\n".join(lines))
    out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert f"{bad}:{n}: target:" in out.stderr, out.stderr
    with open(bad, "w") as f:
        f.write("\n".join(lines[:3] + ["colour = red"] + lines[3:]))
    out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and f"{bad}:4: colour:" in out.stderr, out.stderr
    # a business calendar: bad opening hours, unknown state, unknown zone
    with open(d.conf) as f:
        lines = f.read().split("\n")
    for key, value in (("mon", "8-12"), ("state", "XX"), ("timezone", "Mars/Olympus")):
        with open(bad, "w") as f:
            f.write("\n".join(lines + ["[calendar office]", "mon = 08:00-12:00",
                                        f"{key} = {value}"]))
        out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                             capture_output=True, text=True, timeout=10)
        want = f"{bad}:{len(lines) + 3}: {key}:"
        assert out.returncode == 1 and want in out.stderr, (want, out.stderr)
    with open(bad, "w") as f:
        f.write("\n".join(lines).replace("calendar = 24x7", "calendar = office", 1))
    out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and "calendar 'office' is not defined" in out.stderr
    out = subprocess.run([harness.CALLBACKD, "--version"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("callbackd ")


# ---- shutdown ------------------------------------------------------------

def test_sigterm_answers_requests_in_flight(t):
    """Requests held inside PostgreSQL (a lock the test holds) when SIGTERM
    arrives are all answered, and every 201 is committed."""
    d, tok = setup(t)
    n = 12
    locker = t.pg.session(t.db)
    # intake takes an advisory lock per phone+topic: hold them all
    for i in range(n):
        locker.stdin.write("SELECT pg_advisory_lock(hashtextextended("
                           f"'open:+49231{2000000 + i}|general', 0));\n")
    locker.stdin.write("SELECT 'held';\n")
    wait_for("locks", lambda: locker.stdout.readline().strip() == "held", timeout=15)
    results = [None] * n

    def one(i):
        try:
            results[i] = post(d, tok["telephony"],
                              dict(BASE, phone=f"0231 {2000000 + i}"))[:3]
        except Exception as e:
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    # intakes arriving together share one statement: one of them waits on
    # a lock, the others in the daemon behind it
    wait_for("requests waiting on the lock", lambda: int(t.scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
        >= 1)
    time.sleep(0.5)
    d.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # the listener is closed: new connections are refused
    try:
        post(d, tok["telephony"], BASE)
        refused = False
    except (ConnectionRefusedError, http.client.HTTPException, OSError):
        refused = True
    locker.stdin.write("SELECT pg_advisory_unlock_all();\n\\q\n")
    locker.stdin.flush()
    for th in threads:
        th.join(30)
    locker.wait(10)
    code = d.proc.wait(15)
    d.proc = None
    assert code == 0, code
    assert refused, "a new connection was accepted after SIGTERM"
    for r in results:
        assert not isinstance(r, Exception), r
        assert r[0] in (201, 503), r
    created = [r[2]["id"] for r in results if r[0] == 201]
    assert created, "no request was answered with 201"
    for cid in created:
        assert t.scalar(f"SELECT count(*) FROM callbacks WHERE id = '{cid}'") == "1"


def test_rebuild_drops_what_postgres_closed_behind_redis(t):
    d, tok = setup(t)
    _, _, keep, _ = post(d, tok["telephony"], BASE)
    _, _, gone, _ = post(d, tok["telephony"], dict(BASE, phone="0231 4440001"))
    t.index_settled()
    # closed in PostgreSQL without the index hearing of it
    t.sql(f"UPDATE callbacks SET state = 'cancelled', closed_at = now() "
          f"WHERE id = '{gone['id']}'")
    assert gone["id"] in t.ready()
    t.reindex()
    wait_for("rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    assert t.ready() == {keep["id"]: ms(keep["due_at"])}
    assert t.zset("q:dortmund:general:de") == {keep["id"]: 2 * ms(keep["due_at"]) + 1}


def test_oversized_headers_and_pages_are_refused(t):
    d, tok = setup(t, ("telephony", "agent"))
    st, _, _, _ = d.req("GET", "/healthz", headers={"X-Padding": "a" * 20000})
    assert st == 400, st  # evhttp's answer to headers past its limit
    # and the daemon goes on serving
    assert post(d, tok["telephony"], BASE)[0] == 201
    st, _, err, _ = d.req("GET", "/v1/callbacks?limit=201", token=tok["agent"])
    assert st == 400 and err["error"]["field"] == "limit"
    st, _, err, _ = d.req("GET", "/v1/callbacks?limit=200", token=tok["agent"])
    assert st == 200
    # query values are checked before anything reaches PostgreSQL: a cursor
    # whose id is no UUID is the client's mistake (400), not a 503
    for q, field in (("limit=%2B5", "limit"), ("limit=1e2", "limit"),
                     ("cursor=1.xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "cursor"),
                     ("cursor=-1.0b5f3c2e-8a41-4d6b-9c7e-2f1a3b4c5d6e", "cursor")):
        st, _, err, _ = d.req("GET", f"/v1/callbacks?{q}", token=tok["agent"])
        assert st == 400 and err["error"]["field"] == field, (q, st, err)


def test_agents_find_callbacks_by_phone_or_reference(t):
    d, tok = setup(t, ("telephony", "agent"))
    a = post(d, tok["telephony"], dict(BASE, phone="0231 4440001", customer_ref="KD-77"))[2]
    post(d, tok["telephony"], dict(BASE, phone="0231 4440002"))
    b = post(d, tok["telephony"], dict(BASE, phone="+49 231 4440001", topic="benefits"))[2]
    # the number as a caller would type it finds both of that caller's
    st, _, got, _ = d.req("GET", "/v1/callbacks?phone=0231%20444%200001", token=tok["agent"])
    assert st == 200 and sorted(c["id"] for c in got["callbacks"]) == sorted([a["id"], b["id"]])
    st, _, got, _ = d.req("GET", "/v1/callbacks?customer_ref=KD-77", token=tok["agent"])
    assert st == 200 and [c["id"] for c in got["callbacks"]] == [a["id"]]
    st, _, got, _ = d.req("GET", "/v1/callbacks?customer_ref=KD-78", token=tok["agent"])
    assert st == 200 and got["callbacks"] == []
    st, _, err, _ = d.req("GET", "/v1/callbacks?phone=12", token=tok["agent"])
    assert st == 422 and err["error"]["field"] == "phone"


def test_session_says_who_the_token_is(t):
    d, tok = setup(t, ("agent", "admin"))
    topics = ["housing_approval", "benefits", "general", "quick"]
    sites = ["dortmund", "soest"]
    results = ["reached", "no_answer", "busy", "voicemail", "wrong_number",
               "callback_later"]
    languages = ["de", "en", "tr", "ar", "ru", "uk", "pl", "fr"]
    # the words the pages show for them are test_labels'
    said = lambda tok: {k: v for k, v in d.req("GET", "/v1/session", token=tok)[2].items()  # noqa: E731
                        if not k.endswith(("labels", "language_names"))}
    assert said(tok["agent"]) == {
        "role": "agent", "caseworker": None, "topics": topics, "sites": sites,
        "languages": languages, "attempt_results": results}
    assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, tok["admin"])[0] == 201
    cw = d.token("caseworker", caseworker="anna")
    assert said(cw) == {
        "role": "caseworker", "caseworker": "anna", "topics": topics, "sites": sites,
        "languages": languages, "attempt_results": results}
    assert d.req("GET", "/v1/session")[0] == 401


def held_batch(t, d, tok, reqs):
    """Posts the first request (body, headers) while the test holds its
    intake lock, then the rest, so that they wait together; releases the
    lock and returns the answers in order."""
    first = reqs[0][0]
    norm = "+49231" + first["phone"].split(" ", 1)[1].replace(" ", "")
    return t.held(f"SELECT pg_advisory_lock(hashtextextended('open:{norm}|{first['topic']}', 0));",
                  "SELECT pg_advisory_unlock_all();",
                  [lambda r=r: post(d, tok, r[0], **r[1])[:3] for r in reqs])


def phone_reqs(phones):
    return [(dict(BASE, phone=p), {}) for p in phones]


def script_calls(t):
    """How many scripts Redis has run so far (EVAL and EVALSHA)."""
    stats = t.redis.cli("INFO", "commandstats")
    return sum(int(m) for m in re.findall(r"cmdstat_eval(?:sha)?:calls=(\d+)", stats))


def test_concurrent_intakes_share_a_commit(t):
    """Group commit: requests that arrive while a batch is in PostgreSQL go
    in together in the next one, one transaction for many 201s."""
    d, tok = setup(t)
    phones = [f"0231 {3100000 + i}" for i in range(50)]
    # the start-up rebuild's cleanup runs scripts too: let it finish
    wait_for("rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    calls = script_calls(t)
    results = held_batch(t, d, tok["telephony"], phone_reqs(phones))
    calls = script_calls(t) - calls
    assert all(not isinstance(r, Exception) and r[0] == 201 for r in results), results
    assert count(t) == 50
    # their syncs went to Redis together too (a few script calls, not
    # fifty; the daemon's heartbeat and timers make a few more), and every
    # one arrived
    assert calls < 20, calls
    assert len(t.ready()) == 50
    # now() is the transaction's start: one value per transaction. One
    # lane waits on the lock; the second opens once 32 wait, and takes up
    # to 64 each time: a handful of commits, not fifty
    commits = int(t.scalar("SELECT count(DISTINCT created_at) FROM callbacks"))
    print(f"     50 intakes in {commits} transactions, {calls} Redis script calls")
    assert commits <= 8, commits
    # each planned its alerts: the next one is due at the first warning,
    # before the breach
    assert t.sql("SELECT count(*), count(*) FILTER (WHERE alert_at < due_at "
                 "AND jsonb_array_length(alert_warn) = 3) FROM callbacks") == [["50", "50"]]


def test_a_failing_request_fails_alone_in_its_batch(t):
    d, tok = setup(t)
    phones = [f"0231 {3200000 + i}" for i in range(10)]
    # PostgreSQL refuses one of them (a trigger standing in for any error)
    t.sql("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "IF NEW.phone = '+492313200005' THEN RAISE EXCEPTION 'refused'; END IF; "
          "RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON callbacks "
          "FOR EACH ROW EXECUTE FUNCTION refuse()")
    results = held_batch(t, d, tok["telephony"], phone_reqs(phones))
    statuses = [r[0] for r in results]
    assert statuses[5] == 503, statuses
    assert statuses[:5] + statuses[6:] == [201] * 9, statuses
    assert count(t) == 9
    # the retry, once PostgreSQL takes it, is a normal 201
    t.sql("DROP TRIGGER refuse ON callbacks")
    assert post(d, tok["telephony"], dict(BASE, phone=phones[5]))[0] == 201


def test_a_batch_of_new_merged_and_replayed_requests(t):
    """New callbacks of a batch are written together; replays, merges and
    requests that meet in the batch each get what they would get alone."""
    d, tok = setup(t)
    tel = tok["telephony"]

    def req(phone, topic="general", **extra):
        headers = {"Idempotency-Key": extra.pop("key")} if "key" in extra else {}
        return (dict(BASE, phone=phone, topic=topic, **extra), headers)

    st, _, old, _ = post(d, tel, dict(BASE, phone="0231 3300001"), **{"Idempotency-Key": "k-old"})
    assert st == 201
    st, _, open_, _ = post(d, tel, dict(BASE, phone="0231 3300002"))
    assert st == 201
    reqs = [req("0231 3300010"),                       # holds the lock, alone
            req("0231 3300011"),                       # new
            req("0231 3300012", key="k-new"),          # new, with a key
            req("0231 3300001", key="k-old"),          # a replay of old
            req("0231 3300002"),                       # merges into open_
            req("0231 3300014"), req("0231 3300014"),  # meet in the batch
            req("0231 3300015", call_id="pbx-1"),      # the same call twice
            req("0231 3300015", call_id="pbx-1"),
            req("0231 3300017", topic="benefits"),     # two topics: two callbacks
            req("0231 3300017")]
    res = held_batch(t, d, tel, reqs)
    assert not [r for r in res if isinstance(r, Exception)], res
    st = [r[0] for r in res]
    body = [r[2] for r in res]
    assert st[:3] == [201, 201, 201] and st[9:] == [201, 201], st
    assert st[3] == 200 and body[3]["id"] == old["id"] and body[3]["replayed"] is True
    assert st[4] == 200 and body[4]["id"] == open_["id"] and body[4]["merged"] is True
    assert body[4]["request_count"] == 2
    assert sorted(st[5:7]) == [200, 201] and body[5]["id"] == body[6]["id"]
    assert max(b["request_count"] for b in body[5:7]) == 2
    assert sorted(st[7:9]) == [200, 201] and body[7]["id"] == body[8]["id"]
    assert [b["replayed"] for s_, b in zip(st[7:9], body[7:9]) if s_ == 200] == [True]
    assert body[9]["id"] != body[10]["id"]
    ids = {b["id"] for b in body} | {old["id"], open_["id"]}
    assert len(ids) == count(t) == 9
    assert t.sql("SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind") == \
        [["created", "9"], ["merged", "2"]]
    assert t.sql("SELECT key FROM callback_keys ORDER BY key") == \
        [["call:pbx-1"], ["idem:k-new"], ["idem:k-old"]]
    assert t.scalar("SELECT callback_id FROM callback_keys WHERE key = 'idem:k-new'") == body[2]["id"]
    assert set(t.ready()) == ids
    # every new callback carries its alert plan, the first alert due at
    # its first warning (the plan is in ascending order)
    assert t.scalar("SELECT count(*) FROM callbacks WHERE alert_at < due_at "
                    "AND jsonb_array_length(alert_warn) = 3 "
                    "AND alert_at = cbd_ts((alert_warn->0->>1)::bigint)") == "9"


# ---- languages and assignees a caseworker can take -------------------------

def caseworker(d, admin, cid, languages=("de",), topics=("general",), site="dortmund"):
    st, _, body, _ = d.req("POST", "/v1/caseworkers", {
        "id": cid, "site": site, "topics": list(topics), "languages": list(languages)}, admin)
    assert st == 201, (st, body)
    return d.token("caseworker", caseworker=cid)


def test_a_regional_language_tag_is_routed_by_its_primary_language(t):
    d, tok = setup(t, ("agent", "admin"))
    anna = caseworker(d, tok["admin"], "anna", languages=("de", "tr"))
    made = {}
    for i, tag in enumerate(("de-DE", "de-AT", "TR-tr", "De")):
        st, _, cb, _ = post(d, tok["agent"], dict(BASE, phone=f"0231 {4100000 + i}",
                                                      language=tag))
        assert st == 201, (tag, st, cb)
        made[cb["id"]] = cb["language"]
    assert sorted(made.values()) == ["de", "de", "de", "tr"], made
    assert sorted(r[0] for r in t.sql("SELECT language FROM callbacks")) == ["de", "de", "de", "tr"]
    # every one is in the caseworker's queue, and she can claim each
    st, _, q, _ = d.req("GET", "/v1/queue", token=anna)
    assert st == 200 and sorted(c["id"] for c in q["callbacks"]) == sorted(made), q
    for _ in made:
        assert d.req("POST", "/v1/queue/claim", None, anna)[0] == 200
    assert d.req("POST", "/v1/queue/claim", None, anna)[0] == 204


def test_a_language_the_config_does_not_list_is_refused(t):
    d, tok = setup(t)
    for tag in ("xx", "xx-DE", "es"):
        st, _, err, _ = post(d, tok["telephony"], dict(BASE, language=tag))
        assert st == 422, (tag, st, err)
        assert err["error"]["code"] == "invalid_language" and err["error"]["field"] == "language"
        # the message names the languages the hotline takes
        assert "de, en, tr, ar, ru, uk, pl, fr" in err["error"]["message"], err
    assert_nothing_written(t)


def test_the_config_lists_the_languages_and_check_config_refuses_bad_tags(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    for value, ok in (("de, en", True), ("DE , Tr", True), ("de, german", False),
                      ("de-DE", False), ("", False)):
        bad = os.path.join(d.dir, "langs.ini")
        with open(bad, "w") as f:
            f.write(text.replace("[daemon]\n", f"[daemon]\nlanguages = {value}\n", 1))
        out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                             capture_output=True, text=True, timeout=10)
        if ok:
            assert out.returncode == 0, (value, out.stderr)
        else:
            assert out.returncode == 1 and f"{bad}:2: languages:" in out.stderr, \
                (value, out.stderr)
    with open(d.conf, "w") as f:
        f.write(text.replace("[daemon]\n", "[daemon]\nlanguages = de, en\n", 1))
    d.start()
    tel = d.token("telephony")
    assert post(d, tel, dict(BASE, language="en-GB"))[0] == 201
    st, _, err, _ = post(d, tel, dict(BASE, phone="0231 4100101", language="tr"))
    assert st == 422 and err["error"]["code"] == "invalid_language"
    assert "de, en" in err["error"]["message"]


def test_caseworker_languages_are_normalised_and_checked(t):
    d, tok = setup(t, ("admin",))
    st, _, cw, _ = d.req("POST", "/v1/caseworkers", {
        "id": "anna", "site": "dortmund", "topics": ["general"],
        "languages": ["de-DE", "TR", "de"]}, tok["admin"])
    assert st == 201 and cw["languages"] == ["de", "tr"], (st, cw)
    st, _, err, _ = d.req("PUT", "/v1/caseworkers/anna", {
        "site": "dortmund", "topics": ["general"], "languages": ["de", "xx"]}, tok["admin"])
    assert st == 422 and err["error"]["code"] == "invalid_language", (st, err)
    assert err["error"]["field"] == "languages"
    assert t.sql("SELECT languages FROM caseworkers") == [["{de,tr}"]]


def test_an_assignee_must_be_an_active_caseworker(t):
    d, tok = setup(t, ("agent", "admin"))
    caseworker(d, tok["admin"], "anna")
    caseworker(d, tok["admin"], "ben")
    assert d.req("POST", "/v1/caseworkers/ben/deactivate", None, tok["admin"])[0] == 200
    # the common path (group commit) and the urgent one (its own transaction)
    for urgent in (False, True):
        for who in ("nobody", "ben"):
            st, _, err, _ = post(d, tok["agent"], dict(BASE, assignee=who, urgent=urgent))
            assert st == 422, (who, urgent, st, err)
            assert err["error"] == {"code": "unknown_assignee", "field": "assignee",
                                    "message": err["error"]["message"]}
    assert_nothing_written(t)
    st, _, cb, _ = post(d, tok["agent"], dict(BASE, assignee="anna"))
    assert st == 201 and cb["assignee"] == "anna"


def test_an_unknown_assignee_fails_alone_in_its_batch(t):
    d, tok = setup(t, ("telephony", "admin"))
    caseworker(d, tok["admin"], "anna")
    reqs = [(dict(BASE, phone="0231 4200001"), {}),
            (dict(BASE, phone="0231 4200002", assignee="anna"), {}),
            (dict(BASE, phone="0231 4200003", assignee="nobody"), {}),
            (dict(BASE, phone="0231 4200004"), {})]
    res = held_batch(t, d, tok["telephony"], reqs)
    assert [r[0] for r in res] == [201, 201, 422, 201], res
    assert res[2][2]["error"]["code"] == "unknown_assignee"
    assert count(t) == 3


# ---- an idempotency key belongs to one request of one sender ---------------

def assert_conflict(st, body, field):
    assert st == 422, (st, body)
    # the answer names the key, never the callback it was used for
    assert body == {"error": {"code": "idempotency_conflict", "field": field,
                              "message": body["error"]["message"]}}, body


def test_a_key_reused_for_another_request_is_refused(t):
    d, tok = setup(t)
    tel = tok["telephony"]
    st, _, a, _ = post(d, tel, dict(BASE, note="Wohnung"), **{"Idempotency-Key": "k-1"})
    assert st == 201
    for other in (dict(BASE, phone="0231 7777777"), dict(BASE, topic="benefits"),
                  dict(BASE, note="Miete"), dict(BASE, urgent=True)):
        st, _, err, _ = post(d, tel, other, **{"Idempotency-Key": "k-1"})
        assert_conflict(st, err, "Idempotency-Key")
    st, _, b, _ = post(d, tel, dict(BASE, call_id="pbx-1", phone="0231 6666666"))
    assert st == 201
    for urgent in (False, True):
        st, _, err, _ = post(d, tel, dict(BASE, call_id="pbx-1", urgent=urgent))
        assert_conflict(st, err, "call_id")
    # the same request again is still a replay
    st, _, again, _ = post(d, tel, dict(BASE, note="Wohnung"), **{"Idempotency-Key": "k-1"})
    assert st == 200 and again["replayed"] is True and again["id"] == a["id"]
    assert count(t) == 2 and count(t, "events") == 2
    assert t.sql("SELECT request_count FROM callbacks ORDER BY created_at") == [["1"], ["1"]]
    assert count(t, "callback_keys") == 2
    # the log says who reused a key, never the key or the caller
    assert d.stop() == 0
    log = open(d.log).read()
    assert "reused its Idempotency-Key for a different request" in log, log
    assert "k-1" not in log and "pbx-1" not in log and "7777777" not in log


def test_keys_are_scoped_to_the_sending_token(t):
    d, tok = setup(t)
    pbx1, pbx2 = tok["telephony"], d.token("telephony")
    st1, _, a, _ = post(d, pbx1, BASE, **{"Idempotency-Key": "1"})
    st2, _, b, _ = post(d, pbx2, dict(BASE, phone="0231 7777777"), **{"Idempotency-Key": "1"})
    assert (st1, st2) == (201, 201) and a["id"] != b["id"], (a, b)
    st, _, c, _ = post(d, pbx2, dict(BASE, phone="0231 7777777"), **{"Idempotency-Key": "1"})
    assert st == 200 and c["replayed"] is True and c["id"] == b["id"]
    assert count(t) == 2


def test_one_key_twice_in_one_batch(t):
    """Retries arriving together share a batch: the same request twice is
    one callback, another request under the same key is refused."""
    d, tok = setup(t)
    same = (dict(BASE, phone="0231 4300002"), {"Idempotency-Key": "dup"})
    reqs = [(dict(BASE, phone="0231 4300001"), {}), same, same,
            (dict(BASE, phone="0231 4300003"), {"Idempotency-Key": "clash"}),
            (dict(BASE, phone="0231 4300004"), {"Idempotency-Key": "clash"})]
    res = held_batch(t, d, tok["telephony"], reqs)
    st = [r[0] for r in res]
    assert st[0] == 201 and sorted(st[1:3]) == [200, 201], res
    assert res[1][2]["id"] == res[2][2]["id"]
    assert sorted(st[3:]) == [201, 422], res
    assert_conflict(*[(r[0], r[2]) for r in res[3:] if r[0] == 422][0], "Idempotency-Key")
    assert count(t) == 3


# ---- a repeat call adds what the caller said -----------------------------

def test_a_merge_keeps_what_the_repeat_adds(t):
    d, tok = setup(t, ("telephony", "agent", "admin"))
    caseworker(d, tok["admin"], "anna", languages=("tr",))
    caseworker(d, tok["admin"], "ben")
    ag = tok["agent"]
    now = datetime.datetime.now(datetime.timezone.utc)
    hrs = lambda n: iso(now + datetime.timedelta(hours=n))  # noqa: E731
    st, _, a, _ = post(d, ag, dict(BASE, note="Wohnung"))
    assert st == 201 and a["language"] == "de"
    st, _, b, _ = post(d, ag, dict(BASE, note="Miete", customer_ref="KD-1", name="Erika",
                                    language="tr", assignee="anna",
                                    window={"not_before": hrs(1), "not_after": hrs(6)}))
    assert st == 200 and b["merged"] is True and b["id"] == a["id"], b
    assert re.fullmatch(r"Wohnung\n\[\d{4}-\d\d-\d\dT\d\d:\d\dZ\] Miete", b["note"]), b["note"]
    assert (b["customer_ref"], b["name"], b["language"], b["assignee"]) == \
        ("KD-1", "Erika", "tr", "anna"), b
    assert (ms(b["not_before"]), ms(b["not_after"])) == (ms(hrs(1)), ms(hrs(6)))
    # what was set stays; a narrower window narrows it
    st, _, c, _ = post(d, ag, dict(BASE, customer_ref="KD-2", name="Max", language="ar",
                                    assignee="ben",
                                    window={"not_before": hrs(2), "not_after": hrs(5)}))
    assert st == 200 and c["request_count"] == 3
    assert (c["customer_ref"], c["name"], c["language"], c["assignee"], c["note"]) == \
        ("KD-1", "Erika", "tr", "anna", b["note"]), c
    assert (ms(c["not_before"]), ms(c["not_after"])) == (ms(hrs(2)), ms(hrs(5)))
    # a window that would end before it begins changes nothing
    st, _, e, _ = post(d, ag, dict(BASE, window={"not_before": hrs(5.5)}))
    assert (ms(e["not_before"]), ms(e["not_after"])) == (ms(hrs(2)), ms(hrs(5)))
    # the agent finds the caller by the reference given the second time
    st, _, got, _ = d.req("GET", "/v1/callbacks?customer_ref=KD-1", token=tok["agent"])
    assert st == 200 and [x["id"] for x in got["callbacks"]] == [a["id"]]
    # the index follows: assigned to anna, waiting for its window
    assert t.zset("waiting") == {a["id"]: ms(hrs(2))}
    assert t.record(a["id"])["route"] == t.key("q:@anna")
    # every merge is an event that says what changed, without the values
    events = t.sql("SELECT kind, data::text FROM events ORDER BY id")
    assert [k for k, _ in events] == ["created", "merged", "merged", "merged"]
    assert json.loads(events[1][1])["changed"] == \
        ["name", "customer_ref", "note", "language", "assignee", "window"], events
    assert json.loads(events[2][1])["changed"] == ["window"], events
    assert json.loads(events[3][1])["changed"] == [], events
    for _, data in events:
        for personal in ("KD-", "Erika", "Max", "Miete", "Wohnung", "2311234567"):
            assert personal not in data, (personal, data)


def test_a_merge_replaces_only_a_defaulted_language(t):
    d, tok = setup(t, ("agent",))
    ag = tok["agent"]
    st, _, a, _ = post(d, ag, dict(BASE, language="de"))
    st, _, b, _ = post(d, ag, dict(BASE, language="tr", urgent=True))
    assert st == 200 and b["merged"] is True and b["language"] == "de", b
    # defaulted, then given: the given one counts; then given again: kept
    st, _, c, _ = post(d, ag, dict(BASE, phone="0231 4400001"))
    assert c["language"] == "de"
    st, _, e, _ = post(d, ag, dict(BASE, phone="0231 4400001", language="tr", urgent=True))
    assert st == 200 and e["language"] == "tr" and e["urgent"] is True, e
    st, _, f, _ = post(d, ag, dict(BASE, phone="0231 4400001", language="ar"))
    assert st == 200 and f["language"] == "tr", f


def test_appended_notes_stay_within_the_note_limit(t):
    d, tok = setup(t, ("agent",))
    ag = tok["agent"]
    post(d, ag, dict(BASE, note="ä" * 900))  # 1800 bytes
    st, _, b, _ = post(d, ag, dict(BASE, note="ö" * 500))
    assert st == 200 and b["merged"] is True
    assert len(b["note"].encode()) <= 2000, len(b["note"].encode())
    assert b["note"].startswith("ä" * 900 + "\n[") and b["note"].endswith("ö"), b["note"][-30:]
    # no room left at all: the merge still counts, the note stays
    st, _, c, _ = post(d, ag, dict(BASE, note="more"))
    assert st == 200 and c["request_count"] == 3 and c["note"] == b["note"]


def test_erasing_a_callback_erases_the_fingerprints_of_its_keys(t):
    """A fingerprint is a hash of the caller's phone, name and note: when
    retention erases those, the keys that carry it go too."""
    d, tok = setup(t, ("telephony", "agent"))
    st, _, cb, _ = post(d, tok["telephony"], dict(BASE, call_id="pbx-9"),
                        **{"Idempotency-Key": "k-9"})
    _, _, kept, _ = post(d, tok["telephony"], dict(BASE, phone="0231 4500001"),
                         **{"Idempotency-Key": "k-10"})
    assert d.req("POST", f"/v1/callbacks/{cb['id']}/cancel", None, tok["agent"])[0] == 200
    t.sql(f"UPDATE callbacks SET closed_at = now() - interval '200 days' "
          f"WHERE id = '{cb['id']}'")
    assert t.scalar("SELECT cbd_erase_personal('180 days', 10)") == "1"
    assert t.sql("SELECT key FROM callback_keys") == [["idem:k-10"]]
