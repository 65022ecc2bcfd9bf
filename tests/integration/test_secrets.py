"""Secrets from files: the Redis password from [redis] password_file
(read at start, its trailing newline dropped), refused when everyone may
read it."""

import os
import subprocess

import harness
from harness import wait_for


def _redis_with_password(t, password):
    port = harness.free_port()
    rdir = os.path.join(t.cluster.tmp, f"{t.db}-redis")
    os.makedirs(rdir)
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", rdir, "--daemonize", "no",
         "--maxmemory-policy", "noeviction", "--requirepass", password],
        stdout=open(os.path.join(rdir, "log"), "ab"), stderr=subprocess.STDOUT)

    def cli(*args):
        return subprocess.run(["redis-cli", "-p", str(port), "--no-auth-warning",
                               "-a", password] + list(args), capture_output=True,
                              text=True, timeout=10).stdout.strip()
    wait_for("redis with a password", lambda: cli("PING") == "PONG")
    return port, proc, cli


def _daemon_on(t, port, password_file):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    old = f"port = {t.cluster.redis.port}\n"
    assert old in text
    with open(d.conf, "w") as f:
        f.write(text.replace(old, f"port = {port}\npassword_file = {password_file}\n"))
    return d


def test_redis_password_comes_from_password_file(t):
    port, proc, cli = _redis_with_password(t, "s3cret-Pa55")
    try:
        path = os.path.join(t.cluster.tmp, f"{t.db}-redis.pass")
        with open(path, "w") as f:
            f.write("s3cret-Pa55\n")
        os.chmod(path, 0o600)
        d = _daemon_on(t, port, path)
        assert d.run("--check-config").returncode == 0
        d.start()  # ready: Redis answered, AUTH and all
        tel = d.token("telephony")
        st, _, cb, _ = d.req("POST", "/v1/callbacks", {
            "phone": "0231 4440301", "topic": "general", "site": "dortmund"}, tel)
        assert st == 201, (st, cb)
        # the index is in the Redis that asks for the password
        wait_for("indexed", lambda: cli("ZCARD", t.key("q:dortmund:general:de")) == "1")
        assert "s3cret" not in d.log_tail(200)
        assert d.stop() == 0
        # a file everyone may read is refused, and says why
        os.chmod(path, 0o644)
        out = d.run("--check-config", check=False)
        assert out.returncode != 0, out
        assert "password_file" in out.stderr and "readable by everyone" in out.stderr, \
            out.stderr
        assert "s3cret" not in out.stderr
    finally:
        harness.stop_process(proc)


def test_password_and_password_file_together_are_refused(t):
    path = os.path.join(t.cluster.tmp, f"{t.db}-redis.pass")
    with open(path, "w") as f:
        f.write("x\n")
    os.chmod(path, 0o600)
    d = _daemon_on(t, t.cluster.redis.port, path)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("password_file =", "password = y\npassword_file ="))
    out = d.run("--check-config", check=False)
    assert out.returncode != 0 and "password_file" in out.stderr, out.stderr
    os.unlink(path)
    d = _daemon_on(t, t.cluster.redis.port, path)
    out = d.run("--check-config", check=False)
    assert out.returncode != 0 and "cannot read" in out.stderr, out.stderr
