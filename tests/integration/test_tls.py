"""TLS on the API port (tls_cert, tls_key): real clients (curl, openssl
s_client, Python's ssl) against a throwaway CA made in the test's folder.
TLS 1.2 and 1.3 only, a SIGHUP serves a new certificate to the next
connection while open ones keep theirs, a client that stalls in the
handshake is cut at request_timeout, and a bad pair stops the start."""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import harness
from harness import wait_for

PHONE = {"phone": "0231 5550190", "topic": "general", "site": "dortmund"}

# Lets any client and server speak TLS 1.0 and 1.1 and weak ciphers, so
# that only the daemon's own minimum can refuse them.
PERMISSIVE = """\
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
"""


def _configure(d, **settings):
    """Adds settings to [daemon] of d's config."""
    with open(d.conf) as f:
        text = f.read()
    extra = "".join(f"\n{k} = {v}" for k, v in settings.items())
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s" + extra, 1))


def tls_daemon(t, start=True, env=None, **settings):
    """A daemon whose API port speaks TLS with a certificate of the test
    CA; d.req speaks TLS to it (harness: d.ca is set)."""
    d = t.daemon(start=False)
    d.ca, d.cert, d.key = harness.tls_files(d.dir)
    _configure(d, tls_cert=d.cert, tls_key=d.key, **settings)
    if start:
        d.start(env=env)
    return d


def curl(d, path, *args):
    """curl over TLS trusting the test CA: (exit code, status, body)."""
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", d.ca,
                          "-w", "\n%{http_code}", *args,
                          f"https://127.0.0.1:{d.port}{path}"],
                         capture_output=True, text=True, timeout=30)
    body, _, status = out.stdout.rpartition("\n")
    return out.returncode, status, body


def fingerprint_of_file(path):
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def tls_connection(d):
    """An HTTPS keep-alive connection, its handshake done."""
    conn = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=10,
                                       context=ssl.create_default_context(cafile=d.ca))
    conn.connect()
    return conn


def served_fingerprint(conn):
    return hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()


def healthz_on(conn):
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    r.read()
    return r.status


def cut_total(d, reason):
    key = f'callbackd_http_connections_cut_total{{reason="{reason}"}} '
    text = d.req("GET", "/metrics")[3].decode()
    line = [x for x in text.splitlines() if x.startswith(key)]
    assert len(line) == 1, line
    return int(line[0][len(key):])


def s_client(d, *args, env=None):
    """openssl s_client: a handshake and nothing else; (exit code, output)."""
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{d.port}",
                          "-CAfile", d.ca, "-verify_return_error", *args],
                         input="", capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, **(env or {})))
    return out.returncode, out.stdout + out.stderr


def test_curl_gets_healthz_and_an_api_call_over_tls(t):
    d = tls_daemon(t)
    assert "listening on 127.0.0.1 port %d (TLS)" % d.port in d.log_tail()
    rc, status, body = curl(d, "/healthz")
    assert (rc, status) == (0, "200"), (rc, status, body)
    tok = d.token("telephony")
    rc, status, body = curl(d, "/v1/callbacks", "-H", f"Authorization: Bearer {tok}",
                            "-H", "Content-Type: application/json",
                            "--data", json.dumps(PHONE))
    assert (rc, status) == (0, "201"), (rc, status, body)
    cb = json.loads(body)
    assert t.scalar(f"SELECT count(*) FROM callbacks WHERE id = '{cb['id']}'") == "1"
    # it is the test CA's certificate: a client that does not trust it refuses
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null",
                          f"https://127.0.0.1:{d.port}/healthz"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 60, (out.returncode, out.stderr)  # peer certificate
    # and plain HTTP is not answered on that port
    with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        for _ in range(100):  # bounded: the daemon ends the connection
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    assert b"HTTP/1.1" not in got, got


def test_the_web_pages_come_whole_over_tls(t):
    """A page goes out as a file segment (sendfile on a plain socket):
    through OpenSSL it must arrive the same, also when it is larger than
    a TLS record and the socket's buffer."""
    www = os.path.join(t.cluster.tmp, f"{t.db}-www")
    os.makedirs(www)
    page = ("<!doctype html><title>callbackd</title>\n" +
            "".join(f"<p>line {i}</p>\n" for i in range(40000))).encode()
    with open(os.path.join(www, "index.html"), "wb") as f:
        f.write(page)
    d = tls_daemon(t, www=www)
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", d.ca,
                          f"https://127.0.0.1:{d.port}/"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert len(page) > 500000 and out.stdout == page, len(out.stdout)


def test_metrics_listen_stays_plain_http_beside_tls(t):
    port = harness.free_port()
    d = tls_daemon(t, metrics_listen=f"127.0.0.1:{port}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    assert r.status == 200 and b"callbackd_up" in r.read()
    conn.close()
    assert curl(d, "/healthz")[:2] == (0, "200")


def test_tls_1_1_is_refused_while_1_2_and_1_3_are_served(t):
    """The client and the daemon's OpenSSL would both take TLS 1.1 (their
    configuration allows it): the daemon's own minimum refuses it."""
    conf = os.path.join(t.cluster.tmp, f"{t.db}-permissive.cnf")
    with open(conf, "w") as f:
        f.write(PERMISSIVE)
    env = {"OPENSSL_CONF": conf}
    d = tls_daemon(t, env=env)
    for flag, proto in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        rc, out = s_client(d, flag, env=env)
        assert rc == 0 and f"New, {proto}, Cipher is " in out and \
            "Cipher is (NONE)" not in out, (flag, rc, out)
    rc, out = s_client(d, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", env=env)
    # the daemon answers the ClientHello with a protocol_version alert
    assert rc != 0 and "alert protocol version" in out, out
    assert "Cipher is (NONE)" in out, out
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", d.ca,
                          "--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0",
                          f"https://127.0.0.1:{d.port}/healthz"],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, **env))
    assert out.returncode == 35, (out.returncode, out.stderr)  # handshake failed
    # and the daemon goes on serving
    assert curl(d, "/healthz")[:2] == (0, "200")


def test_a_tls_reload_serves_a_new_certificate_to_new_connections_only(t):
    d = tls_daemon(t, request_timeout="30s")
    old = fingerprint_of_file(d.cert)
    before = tls_connection(d)
    assert served_fingerprint(before) == old
    assert healthz_on(before) == 200
    # a renewed certificate under the same file names
    fresh = os.path.join(d.dir, "fresh")
    os.makedirs(fresh)
    os.symlink(d.ca, os.path.join(fresh, "ca.pem"))
    os.symlink(d.ca.replace("ca.pem", "ca.key"), os.path.join(fresh, "ca.key"))
    _, cert, key = harness.tls_files(fresh, subject="/CN=callbackd renewed", serial=2)
    os.replace(cert, d.cert)
    os.replace(key, d.key)
    new = fingerprint_of_file(d.cert)
    assert new != old
    said = d.log_tail(1000).count("tls: new connections get the certificate")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: d.log_tail(1000).count(
        "tls: new connections get the certificate") > said)
    assert "subject /CN=callbackd renewed, serial 02" in d.log_tail(5), d.log_tail(5)
    after = tls_connection(d)
    assert served_fingerprint(after) == new
    assert healthz_on(after) == 200
    # the connection opened before still works, on the old certificate
    assert healthz_on(before) == 200
    assert served_fingerprint(before) == old
    assert curl(d, "/healthz")[:2] == (0, "200")
    # a stop with connections open on both contexts frees each once
    assert d.stop() == 0
    before.close()
    after.close()


def test_a_tls_reload_to_a_key_that_does_not_match_keeps_the_old_certificate(t):
    d = tls_daemon(t)
    old = fingerprint_of_file(d.cert)
    other = os.path.join(d.dir, "other")
    os.makedirs(other)
    _, _, wrong_key = harness.tls_files(other)
    with open(wrong_key) as f:
        secret = f.read()
    with open(d.key, "w") as f:
        f.write(secret)
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "SIGHUP: the new configuration is refused" in d.log_tail())
    log = d.log_tail()
    assert f"tls_key: the key in '{d.key}' does not belong to the certificate in " \
        f"'{d.cert}'" in log, log
    assert "PRIVATE KEY" not in log and secret.splitlines()[1] not in log
    conn = tls_connection(d)
    assert served_fingerprint(conn) == old and healthz_on(conn) == 200
    conn.close()


def test_a_client_stalled_in_the_tls_handshake_is_cut_at_request_timeout(t):
    d = tls_daemon(t, request_timeout="2s")
    stalled = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    started = time.monotonic()
    stalled.settimeout(0.2)
    cut_after = None
    # it sends nothing, not even its ClientHello; others are served meanwhile
    while time.monotonic() - started < 10:
        try:
            if stalled.recv(4096) == b"":
                cut_after = time.monotonic() - started
                break
        except socket.timeout:
            assert curl(d, "/healthz")[:2] == (0, "200")
        except OSError:
            cut_after = time.monotonic() - started
            break
    stalled.close()
    assert cut_after is not None, "still open after 10 s"
    assert 1.8 <= cut_after <= 5, cut_after
    assert cut_total(d, "request_timeout") == 1


def test_connections_beyond_the_cap_get_503_through_tls(t):
    d = tls_daemon(t, max_connections=2, request_timeout="30s")
    scrape = lambda: d.req("GET", "/metrics")[3].decode()  # noqa: E731
    # the start's probes are gone: the scrape is the one open connection
    wait_for("nothing else open", lambda: "\ncallbackd_http_connections 1\n" in scrape())
    held = tls_connection(d)
    # the second is within the cap: served (the scrape is that second)
    wait_for("one held open, one asking",
             lambda: "\ncallbackd_http_connections 2\n" in scrape())
    more = tls_connection(d)  # the third, or the second while the scrape is counted
    extra = tls_connection(d)  # the handshake is done before the daemon reads
    extra.request("GET", "/healthz")
    r = extra.getresponse()
    body = r.read()
    assert r.status == 503 and b"too_many_connections" in body, (r.status, body)
    assert r.getheader("Retry-After") == "1"
    extra.close()
    held.request("GET", "/healthz")
    r = held.getresponse()
    assert r.status == 200, (r.status, r.read())
    r.read()
    held.close()
    more.close()
    wait_for("served again", lambda: d.req("GET", "/healthz")[0] == 200)


def test_start_refuses_a_missing_tls_file_a_lone_key_and_a_mismatched_key(t):
    d = t.daemon(start=False)
    _, cert, key = harness.tls_files(d.dir)
    other = os.path.join(d.dir, "other")
    os.makedirs(other)
    _, _, other_key = harness.tls_files(other)
    with open(d.conf) as f:
        base = f.read()
    missing = os.path.join(d.dir, "nothing.pem")
    # a key everyone may read is no secret: refused like a Redis
    # password_file that everyone may read
    open_key = os.path.join(d.dir, "open.key")
    shutil.copyfile(key, open_key)
    os.chmod(open_key, 0o644)
    # a certificate where the key should be, kept as private as a key
    cert_as_key = os.path.join(d.dir, "cert-as-key.pem")
    shutil.copyfile(cert, cert_as_key)
    os.chmod(cert_as_key, 0o600)
    cases = [
        ({"tls_cert": cert, "tls_key": open_key},
         f"tls_key: '{open_key}' is readable by everyone; chmod 0640 it"),
        ({"tls_cert": missing, "tls_key": key},
         f"tls_cert: cannot read '{missing}': No such file or directory"),
        ({"tls_cert": cert, "tls_key": missing},
         f"tls_key: cannot read '{missing}': No such file or directory"),
        ({"tls_cert": cert}, "tls_cert: given without tls_key"),
        ({"tls_key": key}, "tls_key: given without tls_cert"),
        ({"tls_cert": cert, "tls_key": other_key},
         f"tls_key: the key in '{other_key}' does not belong to the certificate "
         f"in '{cert}'"),
        ({"tls_cert": cert, "tls_key": cert_as_key},
         f"tls_key: '{cert_as_key}' holds no PEM private key"),
        ({"tls_cert": key, "tls_key": key}, f"tls_cert: '{key}' holds no PEM certificate"),
    ]
    with open(other_key) as f:
        secret = f.read().splitlines()[1]
    for settings, message in cases:
        with open(d.conf, "w") as f:
            f.write(base)
        _configure(d, **settings)
        line = [i + 1 for i, x in enumerate(open(d.conf).read().split("\n"))
                if x.startswith("tls_")]
        for args in (["--check-config"], ["-f"]):
            out = d.run(*args, check=False)
            assert out.returncode == 1, (args, settings, out.returncode, out.stderr)
            assert message in out.stderr, (args, message, out.stderr)
            assert f"{d.conf}:" in out.stderr and \
                any(f":{n}: tls_" in out.stderr for n in line), out.stderr
            assert secret not in out.stderr and "PRIVATE KEY" not in out.stderr
    # the good pair is taken
    with open(d.conf, "w") as f:
        f.write(base)
    _configure(d, tls_cert=cert, tls_key=key)
    assert d.run("--check-config").stdout.strip() == "config OK"
