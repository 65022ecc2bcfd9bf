"""contrib/haproxy/haproxy.cfg in front of two daemons: real haproxy on a
loopback port, the example's servers replaced by the daemons. Requests
through it reach both; a daemon stopped, or running but not ready
(/readyz 503: the health check), gets no traffic and the other answers
everything; ready again, it is back in the rotation."""

import os
import re
import socket
import subprocess

import harness
from harness import free_port, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "contrib", "haproxy", "haproxy.cfg")


class HAProxy:
    def __init__(self, tmp, servers):
        """servers: name -> port of a daemon on 127.0.0.1."""
        self.dir = os.path.join(tmp, "haproxy")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.sock = os.path.join(self.dir, "admin.sock")
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(EXAMPLE) as f:
            text = f.read()
        out = []
        for line in text.split("\n"):
            word = line.split()[0] if line.split() else ""
            if word in ("chroot", "user", "group", "daemon") or line.startswith("    log /"):
                continue  # runs in the foreground, as the test's user
            if word == "bind":
                line = f"    bind 127.0.0.1:{self.port}"
            elif word == "server":
                continue
            out.append(line)
            if line.startswith("global"):
                out.append(f"    stats socket {self.sock} level admin")
            if line.startswith("backend "):
                # which daemon answered, for the test only
                out.append("    http-response set-header X-Served-By %s")
        out += [f"    server {name} 127.0.0.1:{port} check" for name, port in servers.items()]
        with open(self.cfg, "w") as f:
            f.write("\n".join(out) + "\n")
        self.proc = None

    def check(self, cfg):
        return subprocess.run(["haproxy", "-c", "-f", cfg], capture_output=True,
                              text=True, timeout=30)

    def start(self):
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.cfg],
                                     stdout=open(os.path.join(self.dir, "log"), "ab"),
                                     stderr=subprocess.STDOUT)
        wait_for("haproxy", lambda: os.path.exists(self.sock), timeout=15)

    def stop(self):
        harness.stop_process(self.proc)
        self.proc = None

    def stat(self, server):
        """The server's row of "show stat", by column name."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.sock)
            s.sendall(b"show stat\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        lines = data.decode().split("\n")
        head = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(head, line.split(",")))
            if row.get("pxname") == "callbackd" and row.get("svname") == server:
                return row
        return None


class Through:
    """Requests to the proxy, as harness.Daemon sends them to a daemon."""

    req = harness.Daemon.req

    def __init__(self, port):
        self.port = port


def _served(d, hp, tel, n, tag):
    """n intakes through the proxy; each must be 201. Returns the daemon
    that answered each."""
    by = []
    for i in range(n):
        st, h, body, _ = d.req("POST", "/v1/callbacks", {
            "phone": f"0231 4{tag}{i:05d}", "topic": "general", "site": "dortmund"},
            tel, {"Idempotency-Key": f"hp-{tag}-{i}"})
        assert st == 201, (st, body)
        by.append(h.get("x-served-by"))
    return by


def test_haproxy_sends_traffic_only_to_ready_daemons(t):
    d1, d2 = t.daemon(), t.daemon(name="d2")
    tel = d1.token("telephony")
    hp = HAProxy(t.cluster.tmp, {"app1": d1.port, "app2": d2.port})
    out = hp.check(EXAMPLE)
    assert out.returncode == 0, out.stdout + out.stderr
    out = hp.check(hp.cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    proxy = Through(hp.port)
    hp.start()
    try:
        wait_for("both up", lambda: all(hp.stat(s)["status"] == "UP" for s in ("app1", "app2")),
                 timeout=20)
        assert set(_served(proxy, hp, tel, 10, "1")) == {"app1", "app2"}

        # stopped: the other answers all, also before the check notices
        # (a refused connection goes to the other daemon at once)
        assert d2.stop() == 0
        assert set(_served(proxy, hp, tel, 10, "2")) == {"app1"}
        wait_for("app2 down", lambda: hp.stat("app2")["status"] == "DOWN", timeout=20)
        assert set(_served(proxy, hp, tel, 10, "5")) == {"app1"}

        # running, but not ready: /readyz 503 keeps it out
        good = open(d2.conf).read()
        d2.configure(conninfo=f"host=127.0.0.1 port={free_port()} dbname={t.db} "
                     "user=callbackd connect_timeout=1")
        d2.start(wait_ready=False)
        assert d2.req("GET", "/readyz")[0] == 503
        wait_for("app2 checked not ready", lambda: re.match(
            r"L7STS", hp.stat("app2")["check_status"]) and hp.stat("app2")["check_code"] == "503",
            timeout=20)
        assert hp.stat("app2")["status"] == "DOWN"
        assert set(_served(proxy, hp, tel, 10, "3")) == {"app1"}
        assert d2.stop() == 0

        # ready again: back in the rotation
        with open(d2.conf, "w") as f:
            f.write(good)
        d2.start()
        wait_for("app2 up", lambda: hp.stat("app2")["status"] == "UP", timeout=20)
        assert set(_served(proxy, hp, tel, 10, "4")) == {"app1", "app2"}
    finally:
        hp.stop()
