"""GET /metrics after a known sequence of requests, read by a strict parser
of the Prometheus text format (0.0.4)."""

import json
import re
import time

from harness import wait_for

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
SAMPLE = re.compile(rf'^({NAME})(\{{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\}})? '
                    r'(-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')


def parse(text):
    """Returns {(name, frozenset(labels)): value}; fails on anything the
    format does not allow."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    types, helps, samples = {}, set(), {}
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"TYPE twice: {line}"
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels = m.group(1), m.group(3) or ""
            family = re.sub(r"_(bucket|sum|count)$", "", name) \
                if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
            assert family in types, f"sample before its TYPE: {line}"
            if types[family] == "counter":
                assert name.endswith("_total"), line
            pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
            key = (name, pairs)
            assert key not in samples, f"duplicate sample: {line}"
            samples[key] = float(m.group(4))
    for name, kind in types.items():
        assert name.startswith("callbackd_"), name
        assert name in helps, f"no HELP for {name}"
    return samples


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def test_metrics_after_known_requests(t):
    d = t.daemon()
    tel = d.token("telephony")
    body = {"phone": "0231 6660001", "topic": "general", "site": "dortmund"}
    assert d.req("POST", "/v1/callbacks", body, tel,
                 {"Idempotency-Key": "m1"})[0] == 201
    assert d.req("POST", "/v1/callbacks", dict(body, phone="0231 6660002"), tel)[0] == 201
    assert d.req("POST", "/v1/callbacks", body, tel, {"Idempotency-Key": "m1"})[0] == 200
    assert d.req("POST", "/v1/callbacks", body)[0] == 401
    st, h, _, raw = d.req("GET", "/metrics")
    assert st == 200 and h["content-type"].startswith("text/plain; version=0.0.4")
    text = raw.decode()
    s = parse(text)
    assert value(s, "callbackd_http_requests_total", route="/v1/callbacks", status="201") == 2
    assert value(s, "callbackd_http_requests_total", route="/v1/callbacks", status="200") == 1
    assert value(s, "callbackd_http_requests_total", route="/v1/callbacks", status="401") == 1
    assert value(s, "callbackd_http_request_duration_seconds_count",
                 route="/v1/callbacks") == 4
    inf = value(s, "callbackd_http_request_duration_seconds_bucket",
                route="/v1/callbacks", le="+Inf")
    assert inf == 4
    buckets = sorted((float(dict(k[1])["le"]), v) for k, v in s.items()
                     if k[0] == "callbackd_http_request_duration_seconds_bucket"
                     and dict(k[1])["route"] == "/v1/callbacks" and dict(k[1])["le"] != "+Inf")
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
    assert value(s, "callbackd_queue_depth", site="dortmund", topic="general",
                 state="queued") == 2
    assert value(s, "callbackd_up", server="postgres") == 1
    assert value(s, "callbackd_up", server="redis") == 1
    wait_for("first rebuild counted", lambda: value(
        parse(d.req("GET", "/metrics")[3].decode()), "callbackd_queue_rebuilds_total") >= 1)
    assert "6660001" not in text and "6660002" not in text


SITES = ("dortmund", "soest")
TOPICS = ("housing_approval", "benefits", "general", "quick")


def test_queue_depth_has_every_configured_site_topic_and_state(t):
    """A site with nothing waiting shows 0, not "no data": every configured
    site, topic and open state is a series, also at zero."""
    d = t.daemon()
    tel = d.token("telephony")
    assert d.req("POST", "/v1/callbacks", {"phone": "0231 6660011", "topic": "general",
                                           "site": "dortmund"}, tel)[0] == 201
    s = parse(d.req("GET", "/metrics")[3].decode())
    depth = {tuple(sorted(dict(k[1]).items())): v for k, v in s.items()
             if k[0] == "callbackd_queue_depth"}
    want = {tuple(sorted({"site": site, "topic": topic, "state": state}.items()))
            for site in SITES for topic in TOPICS for state in ("queued", "claimed")}
    assert set(depth) == want, sorted(set(depth) ^ want)
    assert value(s, "callbackd_queue_depth", site="dortmund", topic="general",
                 state="queued") == 1
    assert sum(depth.values()) == 1


def test_metrics_and_bad_token_floods_do_not_starve_intake(t):
    """Anonymous requests cost intake nothing it needs: while threads flood
    GET /metrics and random bearer tokens, every intake is answered 201,
    and the gauges behind /metrics are read from PostgreSQL a few times,
    not once a scrape."""
    import http.client
    import secrets
    import threading
    import time

    d = t.daemon()
    tel = d.token("telephony")
    results = {"intake": [], "metrics": [], "token": []}
    lock = threading.Lock()

    def keep(kind, st):
        with lock:
            results[kind].append(st)

    def conn():
        return http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)

    def intake(n):
        c = conn()
        for i in range(40):
            body = json.dumps({"phone": f"0231 77{n:02d}{i:03d}", "topic": "general",
                               "site": "soest"})
            c.request("POST", "/v1/callbacks", body=body, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {tel}"})
            r = c.getresponse()
            r.read()
            keep("intake", r.status)
        c.close()

    def scrape():
        c = conn()
        for _ in range(60):
            c.request("GET", "/metrics")
            r = c.getresponse()
            r.read()
            keep("metrics", r.status)
        c.close()

    def bad_token(n):
        c = conn()
        for _ in range(60):
            # a random token of our shape, or none at all
            c.request("GET", "/v1/session", headers={
                "Authorization": "Bearer cbd_" + secrets.token_hex(32)} if n % 2 else {})
            r = c.getresponse()
            r.read()
            keep("token", r.status)
        c.close()

    started = time.monotonic()
    threads = [threading.Thread(target=intake, args=(n,)) for n in range(4)] + \
        [threading.Thread(target=scrape) for _ in range(6)] + \
        [threading.Thread(target=bad_token, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    elapsed = time.monotonic() - started
    assert results["intake"] == [201] * 160, sorted(set(results["intake"]))
    assert results["metrics"] == [200] * 360, sorted(set(results["metrics"]))
    assert results["token"] == [401] * 360, sorted(set(results["token"]))
    assert t.scalar("SELECT count(*) FROM callbacks WHERE site = 'soest'") == "160"
    queries = value(parse(d.req("GET", "/metrics")[3].decode()),
                    "callbackd_metrics_gauge_queries_total")
    # the first scrapes came together with nothing read yet: they shared one
    # reading; then one reading per 5 s at most, whatever the scrape rate
    # (and perhaps one more for the scrape just now)
    assert 1 <= queries <= 2 + elapsed / 5, (queries, elapsed)


def metrics_listen_daemon(t):
    """A daemon with /metrics on a port of its own."""
    from harness import free_port

    d = t.daemon(start=False)
    port = free_port()
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("[daemon]\n", f"[daemon]\nmetrics_listen = 127.0.0.1:{port}\n"))
    d.start()
    return d, port


def on_port(port, method, path, headers=None):
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_metrics_listen_serves_metrics_there_and_not_on_the_api_port(t):
    d, port = metrics_listen_daemon(t)
    st, h, raw = on_port(port, "GET", "/metrics")
    assert st == 200 and h["content-type"].startswith("text/plain; version=0.0.4")
    s = parse(raw.decode())
    assert value(s, "callbackd_up", server="postgres") == 1
    st, h, raw = on_port(port, "HEAD", "/metrics")
    assert st == 200 and raw == b"" and int(h["content-length"]) > 0
    st, h, raw = on_port(port, "POST", "/metrics")
    assert st == 405 and h["allow"] == "GET, HEAD, OPTIONS", (st, h)
    assert json.loads(raw)["error"]["code"] == "method_not_allowed"
    assert on_port(port, "GET", "/v1/callbacks")[0] == 404
    assert on_port(port, "GET", "/readyz")[0] == 404
    # the API port keeps /healthz and /readyz, and has no /metrics
    st, _, err, _ = d.req("GET", "/metrics")
    assert st == 404 and err["error"]["code"] == "not_found"
    assert d.req("GET", "/healthz")[0] == 200 and d.req("GET", "/readyz")[0] == 200


def test_paced_requests_whose_clients_left_are_let_go(t):
    """Scrapes and unknown tokens beyond the pace wait their turn; a
    client that hangs up meanwhile leaves nothing behind, and the daemon
    answers the next ones and stops cleanly."""
    import secrets
    import socket

    d = t.daemon()
    tel = d.token("telephony")
    for i in range(300):
        with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            else:
                s.sendall(b"GET /v1/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cbd_"
                          + secrets.token_hex(32).encode() + b"\r\n\r\n")
    assert d.req("GET", "/metrics")[0] == 200
    assert d.req("POST", "/v1/callbacks", {"phone": "0231 6660021", "topic": "general",
                                           "site": "dortmund"}, tel)[0] == 201
    # every one of them was let go: nothing is in flight any more
    assert d.stop() == 0


def test_oldest_ready_age_is_that_of_the_oldest_claimable_request(t):
    """The age of the oldest callback a caseworker could claim now, from
    when the caller called: not one that waits for its window."""
    d = t.daemon()
    tel = d.token("telephony")
    now = time.time()
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7200))
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    older = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 10800))
    for body in ({"phone": "0231 6660021", "requested_at": old},
                 {"phone": "0231 6660022"},
                 # older still, but waiting for its window: not claimable
                 {"phone": "0231 6660023", "requested_at": older,
                  "window": {"not_before": later}}):
        assert d.req("POST", "/v1/callbacks", dict(body, topic="general", site="dortmund"),
                     tel)[0] == 201
    age = value(parse(d.req("GET", "/metrics")[3].decode()),
                "callbackd_oldest_ready_age_seconds")
    assert 7200 <= age < 7200 + (time.time() - now) + 5, age


def test_ready_target_used_is_the_largest_share_among_claimable_callbacks(t):
    """The share of its target the claimable callback furthest into it has
    used: of a 48 h request made 36 h ago, 0.75, whatever a younger one or
    one waiting for its window has used; 0 when nothing is ready."""
    d = t.daemon()
    tel = d.token("telephony")
    ratio = lambda: value(parse(d.req("GET", "/metrics")[3].decode()),  # noqa: E731
                          "callbackd_ready_target_used_ratio")
    assert ratio() == 0
    now = time.time()
    stamp = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - s))  # noqa: E731
    for body in ({"phone": "0231 6660031", "requested_at": stamp(36 * 3600)},
                 {"phone": "0231 6660032", "requested_at": stamp(3600)},
                 # further into its target, but waiting for its window
                 {"phone": "0231 6660033", "requested_at": stamp(47 * 3600),
                  "window": {"not_before": stamp(-3600)}}):
        assert d.req("POST", "/v1/callbacks", dict(body, topic="general", site="dortmund"),
                     tel)[0] == 201
    # the gauges are read at most every 5 s: wait for a reading after the intake
    got = wait_for("a reading with the callbacks", lambda: ratio() or None, timeout=15)
    assert 0.75 <= got < 0.75 + (time.time() - now + 5) / (48 * 3600), got
