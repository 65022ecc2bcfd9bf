"""HTTP as clients expect it: HEAD answers like GET without a body, so a
keep-alive connection stays in step; 405 says which methods a resource
takes (Allow); OPTIONS answers in JSON terms, not libevent's HTML page;
an empty body is called empty."""

import json
import os
import socket

from test_limits import daemon_with


def read_answer(s, buf, method):
    """Reads one answer off the socket s (bytes already read in buf[0]):
    (status, headers, body). A HEAD answer has no body whatever its
    Content-Length says; any other has Content-Length bytes."""
    while b"\r\n\r\n" not in buf[0]:
        chunk = s.recv(65536)
        assert chunk, f"connection closed mid-answer: {buf[0]!r}"
        buf[0] += chunk
    head, buf[0] = buf[0].split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), f"out of step: {head!r}"
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = 0 if method == "HEAD" or status in (204, 304) else \
        int(headers["content-length"])
    while len(buf[0]) < n:
        chunk = s.recv(65536)
        assert chunk, "connection closed mid-body"
        buf[0] += chunk
    body, buf[0] = buf[0][:n], buf[0][n:]
    return status, headers, body


def exchange(d, requests):
    """Sends each (method, path, headers) on one keep-alive connection,
    one after the other, and returns the answers; what is left over after
    the last answer must be nothing."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    buf = [b""]
    out = []
    try:
        for method, path, headers in requests:
            h = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{h}\r\n".encode())
            out.append(read_answer(s, buf, method))
        s.settimeout(0.3)
        try:
            extra = s.recv(65536)
        except socket.timeout:
            extra = b""
        assert buf[0] + extra == b"", f"bytes after the last answer: {buf[0] + extra!r}"
    finally:
        s.close()
    return out


def test_head_answers_like_get_without_a_body_on_one_connection(t):
    d = t.daemon()
    agent = d.token("agent")
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 4440001",
                         "topic": "general", "site": "dortmund"}, agent)
    assert st == 201
    auth = {"Authorization": f"Bearer {agent}"}
    for path, headers in (("/healthz", None), (f"/v1/callbacks/{cb['id']}", auth),
                          ("/v1/callbacks?limit=5", auth)):
        (hs, hh, hb), (gs, gh, gb), (h2, _, _) = exchange(
            d, [("HEAD", path, headers), ("GET", path, headers), ("HEAD", path, headers)])
        assert (hs, gs, h2) == (200, 200, 200), (path, hs, gs, h2)
        assert hb == b"" and gb and json.loads(gb)
        assert hh["content-type"] == gh["content-type"] == "application/json"
        assert int(hh["content-length"]) == int(gh["content-length"]) == len(gb), path
    # refusals to a HEAD have no body either
    (st, h, body), (st2, _, _) = exchange(d, [("HEAD", "/v1/callbacks", None),
                                              ("GET", "/healthz", None)])
    assert (st, body, st2) == (401, b"", 200)
    (st, h, body), (st2, _, _) = exchange(d, [("HEAD", "/v1/nothing", None),
                                              ("GET", "/healthz", None)])
    assert (st, body, st2) == (404, b"", 200)


def test_head_on_a_page_sends_no_file(t):
    www = os.path.join(t.cluster.tmp, f"{t.db}-www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("<!doctype html><title>callbackd</title>" + "x" * 5000)
    d = daemon_with(t, www=www)
    (hs, hh, hb), (gs, gh, gb) = exchange(d, [("HEAD", "/", None), ("GET", "/", None)])
    assert (hs, gs) == (200, 200) and hb == b"" and gb.startswith(b"<!doctype html>")
    assert int(hh["content-length"]) == len(gb) and hh["etag"] == gh["etag"]


def allowed(h):
    return {m.strip() for m in h["allow"].split(",")}


def test_405_says_which_methods_are_allowed(t):
    d = t.daemon()
    agent = d.token("agent")
    for method, path, allow in (
            ("DELETE", "/v1/callbacks", {"GET", "HEAD", "POST", "OPTIONS"}),
            ("PUT", "/v1/queue/claim", {"POST", "OPTIONS"}),
            ("PATCH", "/v1/caseworkers/mueller", {"GET", "HEAD", "PUT", "OPTIONS"}),
            ("GET", "/v1/callbacks/x/attempts", {"POST", "OPTIONS"}),
            ("TRACE", "/v1/callbacks", {"GET", "HEAD", "POST", "OPTIONS"})):
        st, h, err, _ = d.req(method, path, token=agent)
        assert st == 405, (method, path, st)
        assert err["error"]["code"] == "method_not_allowed"
        assert allowed(h) == allow, (method, path, h.get("allow"))
    # a refusal's body has its length, whatever the method: the next
    # answer on the connection is read in step
    (st, h, body), (st2, _, _) = exchange(d, [("CONNECT", "example.com:443", None),
                                              ("GET", "/healthz", None)])
    assert (st, st2) == (405, 200) and json.loads(body)["error"]["code"] == \
        "method_not_allowed"


def test_options_answers_with_allow_not_an_html_page(t):
    d = t.daemon()
    st, h, _, raw = d.req("OPTIONS", "/v1/callbacks")
    assert st == 204 and raw == b"", (st, raw)
    assert allowed(h) == {"GET", "HEAD", "POST", "OPTIONS"}
    st, h, _, _ = d.req("OPTIONS", "/v1/callbacks/0b6c/heartbeat")
    assert st == 204 and allowed(h) == {"POST", "OPTIONS"}
    st, h, err, _ = d.req("OPTIONS", "/v1/nothing")
    assert st == 404 and h["content-type"] == "application/json"
    assert err["error"]["code"] == "not_found"
    # and it leaves the connection in step
    (st, _, _), (st2, _, _) = exchange(d, [("OPTIONS", "/v1/queue", None),
                                           ("GET", "/healthz", None)])
    assert (st, st2) == (204, 200)


def test_an_empty_body_is_called_empty(t):
    d = t.daemon()
    tel = d.token("telephony")
    st, _, err, _ = d.req("POST", "/v1/callbacks", b"", tel,
                          {"Content-Type": "application/json"})
    assert st == 400 and err["error"]["code"] == "invalid_json", err
    assert "empty" in err["error"]["message"] and "-1" not in err["error"]["message"]
    st, _, err, _ = d.req("POST", "/v1/callbacks", b'{"phone": ', tel,
                          {"Content-Type": "application/json"})
    assert st == 400 and err["error"]["code"] == "invalid_json"
    assert "-1" not in err["error"]["message"], err
