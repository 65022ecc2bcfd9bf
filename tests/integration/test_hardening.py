"""Small holes closed: a body larger than max_body is refused before it is
read, whoever sends it; API answers are never cached; a requested_at
decades old is refused; a tampered Redis cannot hand a callback to a
caseworker who may not claim it."""

import datetime
import os
import socket
import uuid

from harness import wait_for
from test_claims import World, iso
from test_limits import daemon_with


def test_a_body_over_max_body_without_a_token_is_refused_unread(t):
    """evhttp read up to 1 MiB before anyone asked for a token: here the
    headers alone, announcing max_body + 1 bytes, get 413 at once."""
    d = t.daemon()
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    try:
        s.sendall(b"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/json\r\nContent-Length: 16385\r\n\r\n")
        answer = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            pass
    finally:
        s.close()
    # not a byte of the body was sent: the answer came from the headers,
    # and the connection was closed after it
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"\r\nConnection: close\r\n" in answer, answer
    # max_body itself is still taken (and then asks for a token)
    st = d.req("POST", "/v1/callbacks", b"x" * 16384,
               headers={"Content-Type": "application/json"})[0]
    assert st == 401, st


def test_api_answers_say_no_store_and_pages_keep_their_etag(t):
    www = os.path.join(t.cluster.tmp, f"{t.db}-www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<!doctype html><title>callbackd</title>")
    d = daemon_with(t, www=www)
    agent, admin, mgr = d.token("agent"), d.token("admin"), d.token("manager")
    st, h, cb, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 4440101",
                         "topic": "general", "site": "dortmund", "name": "Erika"}, agent)
    assert st == 201 and h.get("cache-control") == "no-store", h
    for path, tok in ((f"/v1/callbacks/{cb['id']}", agent), ("/v1/callbacks", agent),
                      ("/v1/callbacks", None), ("/v1/nothing", agent),
                      ("/v1/reports/sla?format=csv", mgr)):
        st, h, _, _ = d.req("GET", path, token=tok)
        assert h.get("cache-control") == "no-store", (path, st, h)
    st, h, _, _ = d.req("POST", "/v1/tokens", {"role": "agent", "label": "x"}, admin)
    assert st == 201 and h.get("cache-control") == "no-store", (st, h)
    st, h, _, _ = d.req("GET", "/index.html")
    assert st == 200 and h.get("cache-control") == "no-cache" and h.get("etag"), (st, h)


def test_requested_at_older_than_max_request_age_is_refused(t):
    d = daemon_with(t, max_request_age="2d")
    tel = d.token("telephony")
    now = datetime.datetime.now(datetime.timezone.utc)
    base = {"phone": "0231 4440201", "topic": "general", "site": "dortmund"}
    st, _, body, _ = d.req("POST", "/v1/callbacks", dict(
        base, requested_at=iso(now - datetime.timedelta(days=3))), tel)
    assert st == 422, (st, body)
    err = body["error"]
    assert err["code"] == "invalid_time" and err["field"] == "requested_at", err
    assert "2d" in err["message"] and "max_request_age" in err["message"], err
    assert t.scalar("SELECT count(*) FROM callbacks") == "0"
    st, _, body, _ = d.req("POST", "/v1/callbacks", dict(
        base, requested_at="1990-01-01T00:00:00Z"), tel)
    assert st == 422 and body["error"]["code"] == "invalid_time", (st, body)
    # in the future beyond the clock skew: refused as well
    st, _, body, _ = d.req("POST", "/v1/callbacks", dict(
        base, requested_at=iso(now + datetime.timedelta(hours=1))), tel)
    assert st == 422 and body["error"]["field"] == "requested_at", (st, body)
    st, _, body, _ = d.req("POST", "/v1/callbacks", dict(
        base, requested_at=iso(now - datetime.timedelta(days=1))), tel)
    assert st == 201, (st, body)


def test_requested_at_a_month_old_is_refused_by_default(t):
    d = t.daemon()
    tel = d.token("telephony")
    now = datetime.datetime.now(datetime.timezone.utc)
    st, _, body, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 4440202", "topic": "general", "site": "dortmund",
        "requested_at": iso(now - datetime.timedelta(days=31))}, tel)
    assert st == 422 and body["error"]["code"] == "invalid_time", (st, body)
    assert "30d" in body["error"]["message"], body


def test_a_tampered_index_cannot_hand_a_callback_to_the_wrong_caseworker(t):
    w = World(t)
    w.caseworker("anna", site="dortmund")
    foreign = w.create(site="soest", name="Erika")
    assigned = w.create()
    # someone with Redis access moves soest's callback into anna's queue
    route = t.key("q:dortmund:general:de")
    score = t.zset("q:soest:general:de")[foreign["id"]]
    t.redis.eval_hex("return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])",
                     [route], [str(score - 10), uuid.UUID(foreign["id"]).hex], (2,))
    assert foreign["id"] in t.zset("q:dortmund:general:de")
    st, _, q, _ = w.d.req("GET", "/v1/queue", token=w.cw["anna"])
    assert st == 200, (st, q)
    assert [c["id"] for c in q["callbacks"]] == [assigned["id"]], q
    st, _, c, _ = w.claim("anna")
    assert st == 200 and c["callback"]["id"] == assigned["id"], (st, c)
    assert w.claim("anna")[0] == 204
    assert w.state(foreign["id"]) == "queued"
    assert t.scalar(f"SELECT count(*) FROM events WHERE callback_id = '{foreign['id']}' "
                    "AND kind = 'claimed'") == "0"
    # the daemon said so and put it back where it belongs
    wait_for("log", lambda: f"callback {foreign['id']}: in the queue of caseworker anna"
             in w.d.log_tail(100))
    wait_for("re-synced", lambda: foreign["id"] in t.zset("q:soest:general:de")
             and foreign["id"] not in t.zset("q:dortmund:general:de"))
