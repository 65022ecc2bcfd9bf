"""Connection limits: a client that sends its request one byte at a time
is cut off at request_timeout while others are served, and connections
beyond max_connections are answered 503 and closed while those within go
on working."""

import socket
import time

from harness import wait_for


def daemon_with(t, **settings):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    extra = "".join(f"\n{k} = {v}" for k, v in settings.items())
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s" + extra))
    d.start()
    return d


def connect(d):
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.settimeout(10)
    return s


def closed(s):
    """True when the daemon has ended the connection (EOF or reset)."""
    try:
        s.settimeout(0.05)
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
    finally:
        s.settimeout(10)


def metrics(d):
    return d.req("GET", "/metrics")[3].decode()


def cut(d, reason):
    """callbackd_http_connections_cut_total for that reason."""
    key = f'callbackd_http_connections_cut_total{{reason="{reason}"}} '
    line = [x for x in metrics(d).splitlines() if x.startswith(key)]
    assert len(line) == 1, line
    return int(line[0][len(key):])


def test_slow_client_is_cut_off_and_others_are_served(t):
    d = daemon_with(t, request_timeout="2s")
    tok = d.token("telephony")
    slow = connect(d)
    request = (b"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\nContent-Type: "
               b"application/json\r\nContent-Length: 60\r\n\r\n" + b"{" * 60)
    started = time.monotonic()
    cut_after = None
    sent = 0
    # one byte every 200 ms: never idle for evhttp's inactivity timeout,
    # never done within request_timeout; bounded by count and by time
    while sent < len(request) and time.monotonic() - started < 10:
        try:
            slow.send(request[sent:sent + 1])
        except OSError:
            cut_after = time.monotonic() - started
            break
        sent += 1
        if closed(slow):
            cut_after = time.monotonic() - started
            break
        # meanwhile another client is served at once
        if sent % 5 == 0:
            st = d.req("POST", "/v1/callbacks", {"phone": f"0231 {7000000 + sent}",
                       "topic": "general", "site": "dortmund"}, tok, timeout=5)[0]
            assert st == 201, st
        time.sleep(0.2)
    slow.close()
    assert cut_after is not None, f"still open after {sent} bytes"
    assert 1.8 <= cut_after <= 5, cut_after
    assert sent < len(request)
    assert cut(d, "request_timeout") == 1


def test_idle_keep_alive_connection_is_closed_after_the_timeout(t):
    d = daemon_with(t, request_timeout="1s")
    s = connect(d)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = s.recv(4096)
    assert first.startswith(b"HTTP/1.1 200"), first
    # the answer went out: the next request has a second of its own
    time.sleep(0.5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    wait_for("idle connection closed", lambda: closed(s), timeout=5)
    s.close()


def test_connections_beyond_the_cap_get_503_and_the_rest_are_served(t):
    d = daemon_with(t, max_connections=4, request_timeout="30s")
    held = [connect(d) for _ in range(3)]
    # the fourth is within the cap: served (the scrape is that fourth)
    wait_for("three held open, one asking",
             lambda: "\ncallbackd_http_connections 4\n" in metrics(d))
    held.append(connect(d))
    extra = connect(d)
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b"}"):
        chunk = extra.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert b"too_many_connections" in answer and b"Retry-After: 1" in answer
    wait_for("refused one closed", lambda: closed(extra))
    extra.close()
    # the held ones still work
    held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert held[0].recv(4096).startswith(b"HTTP/1.1 200")
    for s in held:
        s.close()
    # with room again, new clients are served, and the refusal was counted
    wait_for("served again", lambda: d.req("GET", "/healthz")[0] == 200)
    # the one refused, and maybe a retry above while the closes were on
    # their way
    assert cut(d, "max_connections") >= 1
    assert cut(d, "request_timeout") == 0
