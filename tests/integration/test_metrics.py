"""GET /metrics after a known sequence of requests, read by a strict parser
of the Prometheus text format (0.0.4)."""

import re

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
    assert value(s, "callbackd_oldest_ready_age_seconds") >= 0
    assert "6660001" not in text and "6660002" not in text
