"""The Debian package, built and then run as installed: builds
callbackd_*.deb once from a copy of the tree (dpkg-buildpackage, nocheck,
noddebs, -j2; the source tree stays clean), runs lintian on it (an error or a
warning that debian/callbackd.lintian-overrides does not explain fails),
checks what the .deb holds and what its maintainer scripts do, unpacks it
with dpkg-deb -x into a temporary root and runs the binaries from there
against a real PostgreSQL, Redis and syslog-ng on loopback (the
integration harness): the packaged config checked and pointed at them,
--migrate, --create-token, the daemon until /readyz is 200, its web pages,
and the packaged callbackctl filing and claiming a first call-back (the
README's Deploying). Prints a line per check and "N passed, M failed";
exits 1 on any failure.

    python3 tests/package/run.py
"""

import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402

CONF = "/etc/callbackd/callbackd.ini"
passed = failed = 0


def check(name, fn):
    """Runs one check; True when it passed."""
    global passed, failed
    began = time.monotonic()
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - reported, then the next check
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        return False
    passed += 1
    print(f"ok   {name} ({time.monotonic() - began:.1f} s)", flush=True)
    return True


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def build(tmp):
    """The tree as it is (tracked and new files, not what .gitignore
    names), copied and built; returns the .changes file."""
    src = os.path.join(tmp, "callbackd")
    os.makedirs(src)
    files = run(["git", "-C", TOP, "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"])
    assert files.returncode == 0, files.stderr
    for rel in files.stdout.split("\0"):
        if rel and os.path.isfile(os.path.join(TOP, rel)):  # a deleted file is still listed
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            shutil.copy2(os.path.join(TOP, rel), os.path.join(src, rel))
    out = run(["dpkg-buildpackage", "-us", "-uc", "-b", "-j2"], timeout=900, cwd=src,
              env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck noddebs"))
    with open(os.path.join(tmp, "build.log"), "w") as f:
        f.write(out.stdout + out.stderr)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    changes = glob.glob(os.path.join(tmp, "callbackd_*.changes"))
    assert len(changes) == 1, os.listdir(tmp)
    return changes[0]


def lintian(changes):
    out = run(["lintian", "--fail-on", "error,warning", changes], timeout=300)
    shown = [x for x in (out.stdout + out.stderr).split("\n")
             if x and "running with root privileges" not in x]
    assert out.returncode == 0 and not [x for x in shown if x[:2] in ("E:", "W:")], \
        "\n".join(shown)


def contents(deb):
    """path -> (mode string, owner/group) of every entry of the .deb."""
    out = run(["dpkg-deb", "-c", deb])
    assert out.returncode == 0, out.stderr
    entries = {}
    for line in out.stdout.split("\n"):
        f = line.split()
        if len(f) >= 6:
            entries[f[5].lstrip(".")] = (f[0], f[1])
    return entries


def check_files(deb):
    entries = contents(deb)
    want = {
        "/usr/sbin/callbackd": ("-rwxr-xr-x", "root/root"),
        "/usr/bin/callbackctl": ("-rwxr-xr-x", "root/root"),
        "/usr/share/man/man8/callbackd.8.gz": ("-rw-r--r--", "root/root"),
        "/usr/share/man/man1/callbackctl.1.gz": ("-rw-r--r--", "root/root"),
        "/usr/lib/sysusers.d/callbackd.conf": ("-rw-r--r--", "root/root"),
        "/usr/share/callbackd/www/index.html": ("-rw-r--r--", "root/root"),
        "/usr/share/callbackd/sql/001_baseline.sql": ("-rw-r--r--", "root/root"),
        "/usr/share/callbackd/sql/functions/cbd_intake.sql": ("-rw-r--r--", "root/root"),
        "/usr/share/doc/callbackd/README.md": ("-rw-r--r--", "root/root"),
        # it holds passwords: no one but root and (postinst) group callbackd
        CONF: ("-rw-r-----", "root/root"),
    }
    for path, meta in want.items():
        assert entries.get(path) == meta, (path, entries.get(path))
    units = [p for p in entries if p.endswith("/systemd/system/callbackd.service")]
    assert units and units[0] in ("/lib/systemd/system/callbackd.service",
                                  "/usr/lib/systemd/system/callbackd.service"), units
    # the example is the conffile's base, not a second file in /etc
    assert not [p for p in entries if p.startswith("/etc/") and p.endswith(".example")]


def check_scripts(deb, tmp):
    ctl = os.path.join(tmp, "control")
    out = run(["dpkg-deb", "-e", deb, ctl])
    assert out.returncode == 0, out.stderr
    with open(os.path.join(ctl, "conffiles")) as f:
        assert f.read().split() == [CONF]
    with open(os.path.join(ctl, "postinst")) as f:
        postinst = f.read()
    code = "\n".join(x for x in postinst.split("\n") if not x.lstrip().startswith("#"))
    assert "systemd-sysusers" in code and "callbackd.conf" in code, postinst
    assert 'dpkg-statoverride --update --add root callbackd 0640 "$conf"' in code, postinst
    assert f"conf={CONF}" in code, postinst
    # not started at install: only an upgrade restarts it, and only if it runs
    assert "try-restart" in code and not re.search(r"deb-systemd-invoke\s+(start|restart)|"
                                                   r"_dh_action=start", code), postinst
    # not enabled either: only where the operator had it enabled before
    enables = [x for x in code.split("\n") if "deb-systemd-helper enable" in x]
    assert len(enables) == 1 and "was-enabled" in code, postinst
    # and nothing else made for the operator
    for word in ("createdb", "createuser", "psql", "--migrate", "--create-token"):
        assert word not in code, word
    with open(os.path.join(ctl, "control")) as f:
        control = f.read()
    assert "systemd-sysusers" in control, control  # what runs systemd-sysusers


def ini_set(text, section, key, value):
    """The config text with key = value in section (replacing the line,
    or added under the section's header)."""
    lines = text.split("\n")
    start = lines.index(section)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
               len(lines))
    body = [x for x in lines[start + 1:end] if not re.match(rf"{key}\s*=", x)]
    return "\n".join(lines[:start + 1] + [f"{key} = {value}"] + body + lines[end:])


class Installed:
    """The unpacked package: its binaries, and its own config pointed at
    the harness's servers."""

    def __init__(self, root, cluster):
        self.root = root
        self.daemon = os.path.join(root, "usr/sbin/callbackd")
        self.ctl = os.path.join(root, "usr/bin/callbackctl")
        self.db, prefix = cluster.fresh()
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = os.path.join(root, CONF.lstrip("/"))
        with open(self.conf) as f:
            text = f.read()
        for section, key, value in (
                ("[daemon]", "listen", f"127.0.0.1:{self.port}"),
                ("[daemon]", "www", os.path.join(root, "usr/share/callbackd/www")),
                ("[postgres]", "conninfo", f"host=127.0.0.1 port={cluster.pg.port} "
                 f"dbname={self.db} user=callbackd"),
                ("[redis]", "port", str(cluster.redis.port)),
                ("[redis]", "key_prefix", prefix),
                ("[alerts]", "transport", "tcp"),
                ("[alerts]", "host", "127.0.0.1"),
                ("[alerts]", "port", str(cluster.syslog.port))):
            text = ini_set(text, section, key, value)
        with open(self.conf, "w") as f:
            f.write(text)
        self.log = os.path.join(root, "callbackd.log")
        self.proc = None

    def cmd(self, *args):
        out = run([self.daemon, "-c", self.conf] + list(args))
        assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out.stdout.strip()

    def callbackctl(self, token, *args):
        out = run([self.ctl, "-u", self.url, "-t", token] + list(args))
        assert out.returncode == 0, (args, out.stdout, out.stderr)
        return out.stdout

    def start(self):
        self.proc = subprocess.Popen([self.daemon, "-c", self.conf, "-f"],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        harness.wait_for("readyz 200", lambda: self.proc.poll() is None and
                         self.get("/readyz")[0] == 200, timeout=30)

    def get(self, path):
        """GET path: (status, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stop(self):
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after 15 s"
        finally:
            self.proc = None


def run_installed(deb, tmp, cluster):
    root = os.path.join(tmp, "root")
    out = run(["dpkg-deb", "-x", deb, root])
    assert out.returncode == 0, out.stderr
    version = run(["dpkg-deb", "-f", deb, "Version"]).stdout.strip()
    inst = Installed(root, cluster)
    tokens = {}
    pg = cluster.pg

    def version_matches():
        got = inst.cmd("--version")
        assert version.split("-")[0] in got, (version, got)

    def migrate():
        inst.cmd("--check-config")
        inst.cmd("--migrate")
        assert int(pg.scalar(inst.db, "SELECT count(*) FROM schema_migrations")) >= 1

    def create_token():
        tokens["admin"] = inst.cmd("--create-token", "admin", "--label", "first admin")
        assert tokens["admin"].startswith("cbd_"), tokens["admin"]
        assert pg.scalar(inst.db, "SELECT role FROM tokens") == "admin"

    def daemon_ready():
        inst.start()

    def pages():
        st, body = inst.get("/")
        with open(os.path.join(root, "usr/share/callbackd/www/index.html"), "rb") as f:
            assert st == 200 and body == f.read(), (st, body[:200])

    def first_callback():
        """The README's first call-back (Deploying), with the packaged
        callbackctl and the packaged config's site and topic."""
        admin = tokens["admin"]
        health = json.loads(inst.callbackctl(admin, "health"))
        assert health["status"] == "ready", health
        inst.callbackctl(admin, "caseworker", "add", "mueller", "--site", "dortmund",
                         "--topics", "general", "--languages", "de")
        made = {}
        for role, extra in (("caseworker", ["--caseworker", "mueller"]), ("telephony", [])):
            out = inst.callbackctl(admin, "token", "add", role, *extra, "--label", role)
            made[role] = re.search(r"cbd_[A-Za-z0-9_-]+", out)
            assert made[role], out
        inst.callbackctl(made["telephony"].group(0), "create", "--phone", "0231 1234567",
                         "--topic", "general", "--site", "dortmund")
        claim = json.loads(inst.callbackctl(made["caseworker"].group(0), "claim"))
        cb_id = pg.scalar(inst.db, "SELECT id FROM callbacks")
        assert claim["callback"]["id"] == cb_id and claim["lease"]["token"], claim
        assert pg.scalar(inst.db, "SELECT state || ' ' || claimed_by FROM callbacks") == \
            "claimed mueller", pg.psql(inst.db, "SELECT * FROM callbacks")

    def unit_verifies():
        unit = glob.glob(os.path.join(root, "*lib/systemd/system/callbackd.service"))
        assert unit, "no unit"
        with open(unit[0]) as f:
            text = f.read()
        assert "ExecStart=/usr/sbin/callbackd -c /etc/callbackd/callbackd.ini -f" in text
        local = os.path.join(tmp, "callbackd.service")
        with open(local, "w") as f:
            f.write(text.replace("/usr/sbin/callbackd", inst.daemon))
        out = run(["systemd-analyze", "verify", local])
        assert out.returncode == 0 and "callbackd.service" not in out.stderr, out.stderr

    def stops_cleanly():
        code = inst.stop()
        assert code == 0, code

    try:
        for name, fn in (("the packaged callbackd --version is the package's", version_matches),
                         ("the packaged config checks and --migrate makes the schema", migrate),
                         ("--create-token makes the first admin token", create_token),
                         ("the packaged daemon starts and /readyz answers 200", daemon_ready),
                         ("it serves the packaged web pages", pages),
                         ("the packaged callbackctl files and claims a first call-back",
                          first_callback),
                         ("the packaged unit passes systemd-analyze verify", unit_verifies),
                         ("SIGTERM stops it with status 0", stops_cleanly)):
            if not check(name, fn) and name.startswith(("the packaged daemon", "--create")):
                break
    finally:
        inst.stop()
        if failed:
            try:
                with open(inst.log, errors="replace") as f:
                    print("--- daemon log:\n" + "".join(f.readlines()[-30:]), flush=True)
            except OSError:
                pass


def main():
    global failed
    began = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="callbackd-pkg.")
    os.chmod(tmp, 0o755)
    cluster = None
    try:
        found = {}

        def tree():
            return run(["git", "-C", TOP, "status", "--porcelain", "--ignored"]).stdout

        def built():
            before = tree()
            found["changes"] = build(tmp)
            debs = glob.glob(os.path.join(tmp, "callbackd_*.deb"))
            assert len(debs) == 1, debs
            found["deb"] = debs[0]
            assert tree() == before, "the build wrote into the source tree"

        if check("dpkg-buildpackage builds callbackd_*.deb from a copy of the tree", built):
            deb = found["deb"]
            check("lintian finds no error and no warning left unexplained",
                  lambda: lintian(found["changes"]))
            check("the .deb holds binaries, man pages, unit, sysusers.d, web pages, SQL "
                  "and the conffile 0640", lambda: check_files(deb))
            check("postinst makes the user and the conffile's group, starts and enables "
                  "nothing", lambda: check_scripts(deb, tmp))
            cluster = harness.Cluster()
            if check("PostgreSQL, Redis and syslog-ng start", cluster.start):
                run_installed(deb, tmp, cluster)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"package stage: {time.monotonic() - began:.0f} s", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
