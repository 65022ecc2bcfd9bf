"""Running under systemd: readiness, watchdog and stopping through
sd_notify, SIGHUP reload of a good and refusal of a bad file, the unit
passes systemd-analyze verify, and make install puts everything in place."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

import harness
from harness import wait_for

BUILD = os.path.dirname(harness.CALLBACKD)


def test_sd_notify_ready_watchdog_stopping(t):
    d = t.daemon(start=False)
    path = os.path.join(tempfile.mkdtemp(prefix="notify."), "sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    try:
        d.start(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
        got = []
        while not any("WATCHDOG=1" in m for m in got) or not any("READY=1" in m for m in got):
            got.append(sock.recv(4096).decode())
        assert any("READY=1" in m for m in got)
        d.proc.send_signal(signal.SIGTERM)
        while not any("STOPPING=1" in m for m in got):
            got.append(sock.recv(4096).decode())
        assert d.proc.wait(15) == 0
        d.proc = None
    finally:
        sock.close()


def test_sighup_reloads_a_good_file_and_refuses_a_bad_one(t):
    d = t.daemon()
    tel = d.token("agent")  # the whole record comes back to agents
    body = {"phone": "0231 1010101", "topic": "general", "site": "dortmund"}
    st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
    assert st == 201
    with open(d.conf) as f:
        good = f.read()
    changed = good.replace("[topic general]\ntarget = 48h",
                           "[topic general]\ntarget = 24h") + "\n[topic pension]\ntarget = 8h\n"
    with open(d.conf, "w") as f:
        f.write(changed)
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: "configuration reloaded" in d.log_tail())
    st, _, cb2, _ = d.req("POST", "/v1/callbacks", dict(body, phone="0231 1010102"), tel)
    assert st == 201
    import datetime as dt
    span = (dt.datetime.fromisoformat(cb2["due_at"].replace("Z", "+00:00")) -
            dt.datetime.fromisoformat(cb2["requested_at"].replace("Z", "+00:00")))
    assert span == dt.timedelta(hours=24), span
    assert d.req("POST", "/v1/callbacks", dict(body, topic="pension"), tel)[0] == 201
    with open(d.conf, "w") as f:
        f.write(changed.replace("target = 8h", "target = soon"))
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "refused" in d.log_tail())
    assert "target" in d.log_tail(3)
    # the old configuration is still in force
    assert d.req("POST", "/v1/callbacks", dict(body, phone="0231 1010103", topic="pension"),
                 tel)[0] == 201
    assert d.req("GET", "/healthz")[0] == 200


def test_unit_verifies_and_make_install_places_everything(t):
    dest = tempfile.mkdtemp(prefix="install.")
    out = subprocess.run(["make", "-C", BUILD, "install", f"DESTDIR={dest}"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    files = set()
    for root, _, names in os.walk(dest):
        files |= {os.path.relpath(os.path.join(root, n), dest) for n in names}
    for want in ("usr/local/sbin/callbackd", "usr/local/etc/callbackd/callbackd.ini.example",
                 "usr/local/share/callbackd/sql/001_baseline.sql",
                 "usr/local/share/callbackd/sql/functions/cbd_intake.sql",
                 "usr/local/share/callbackd/www/index.html",
                 "usr/local/share/callbackd/www/app.js",
                 "usr/local/share/man/man8/callbackd.8",
                 "usr/local/share/doc/callbackd/README.md",
                 # the unit follows --prefix like everything else
                 "usr/local/lib/systemd/system/callbackd.service"):
        assert want in files, (want, sorted(files))
    unit = [f for f in files if f.endswith("callbackd.service")]
    assert unit, sorted(files)
    text = open(os.path.join(dest, unit[0])).read()
    assert "Type=notify" in text and "ExecReload=" in text and "WatchdogSec=" in text
    assert "Documentation=file:///usr/local/share/doc/callbackd/README.md" in text
    # systemctl reload fails on a file the daemon would refuse: the check runs first
    reloads = [x for x in text.split("\n") if x.startswith("ExecReload=")]
    assert reloads[0].endswith("--check-config") and "kill -HUP" in reloads[1], reloads
    # a static user, so the config with its passwords can be 0640 root:callbackd
    assert "User=callbackd" in text and "DynamicUser" not in text
    for line in ("ProtectProc=invisible", "ProcSubset=pid", "LimitNOFILE=8192"):
        assert line in text, line
    assert "usr/local/lib/sysusers.d/callbackd.conf" in files, sorted(files)
    os.makedirs(os.path.join(dest, "etc"), exist_ok=True)
    out = subprocess.run(["systemd-sysusers", f"--root={dest}",
                          os.path.join(dest, "usr/local/lib/sysusers.d/callbackd.conf")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with open(os.path.join(dest, "etc/passwd")) as f:
        assert any(x.startswith("callbackd:") and x.rstrip().endswith(":/usr/sbin/nologin")
                   for x in f), "sysusers made the user"
    # verify against the binary built here
    local = os.path.join(dest, "callbackd.service")
    with open(local, "w") as f:
        f.write(text.replace("/usr/local/sbin/callbackd", harness.CALLBACKD))
    out = subprocess.run(["systemd-analyze", "verify", local], capture_output=True,
                         text=True, timeout=60)
    shutil.rmtree(dest, ignore_errors=True)
    assert out.returncode == 0 and "callbackd.service" not in out.stderr, out.stderr


def test_journal_lines_carry_their_priority(t):
    """Under systemd (stderr is the stream JOURNAL_STREAM names) every line
    starts with its sd-daemon priority, so journalctl -p warning shows the
    warnings; debug = yes gives debug lines; without the journal, lines
    carry a level word."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s\ndebug = yes"))
    open(d.log, "ab").close()
    st = os.stat(d.log)
    d.start(env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
    assert d.req("GET", "/healthz")[0] == 200
    with open(d.conf, "a") as f:
        f.write("\n[topic broken]\ntarget = soon\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "refused" in d.log_tail())
    assert d.stop() == 0
    lines = d.log_tail(1000).split("\n")
    assert "<6>SIGTERM: finishing requests in flight, then stopping" in lines, lines
    assert any(x.startswith("<4>SIGHUP: the new configuration is refused") for x in lines)
    assert "<7>http: /healthz answered 200 in" in "\n".join(lines)
    assert all(x[:3] in ("<3>", "<4>", "<6>", "<7>") for x in lines if x), lines
    # a schema it cannot run on is an error, and the daemon exits 1
    with open(d.conf) as f:
        good = f.read().replace("\n[topic broken]\ntarget = soon\n", "")
    with open(d.conf, "w") as f:
        f.write(good)
    t.sql("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    with open(d.log, "ab") as err:
        code = subprocess.run([harness.CALLBACKD, "-c", d.conf, "-f"], env=env,
                              stdout=subprocess.DEVNULL, stderr=err, timeout=30).returncode
    assert code == 1
    assert "<3>database schema is at version 999" in d.log_tail(20), d.log_tail(20)


def test_plain_stderr_lines_carry_a_level_word(t):
    d = t.daemon()
    with open(d.conf, "a") as f:
        f.write("\n[topic broken]\ntarget = soon\n")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "callbackd: warning: SIGHUP: the new configuration is "
             "refused" in d.log_tail())
    assert "callbackd: debug:" not in d.log_tail(1000)  # debug = no


def test_grace_running_out_says_so_and_exits_non_zero(t):
    """SIGTERM with a request held in PostgreSQL past shutdown_grace: the
    daemon logs how many requests were left unanswered and exits 1, so that
    systemd and the operator see that a client lost its answer."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 1s"))
    d.start()
    tel = d.token("telephony")

    locker = t.pg.session(t.db)
    locker.stdin.write("BEGIN;\nLOCK TABLE callbacks IN ACCESS EXCLUSIVE MODE;\n"
                       "SELECT 'held';\n")
    wait_for("lock", lambda: locker.stdout.readline().strip() == "held", timeout=15)
    answers = []

    def intake():
        try:
            answers.append(d.req("POST", "/v1/callbacks", {
                "phone": "0231 5550113", "topic": "general", "site": "dortmund"}, tel)[0])
        except OSError as e:  # the daemon went away without answering
            answers.append(e)

    th = threading.Thread(target=intake)
    th.start()
    try:
        wait_for("intake waits", lambda: int(t.scalar(
            "SELECT count(*) FROM pg_locks WHERE NOT granted")) >= 1)
        d.proc.send_signal(signal.SIGTERM)
        code = d.proc.wait(15)
        d.proc = None
    finally:
        locker.stdin.write("COMMIT;\n\\q\n")
        locker.stdin.flush()
        locker.wait(10)
        th.join(30)
    assert code == 1, code
    assert isinstance(answers[0], OSError), answers
    assert "shutdown_grace of 1000 ms over with 1 request unanswered" in d.log_tail(20)


def _config_keys():
    out = subprocess.run([harness.CALLBACKD, "--config-keys"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return [line.split("\t") for line in out.stdout.strip().split("\n")]


def test_the_readme_says_which_keys_a_reload_applies(t):
    """The README's list of what SIGHUP applies is checked against the key
    table itself (callbackd --config-keys), so neither can drift."""
    rows = _config_keys()
    daemon = {k: r for s, k, _, r, _ in rows if s == "[daemon]"}
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = " ".join(f.read().split())
    part = text[text.index("A good one applies the topics"):]
    part = part[:part.index("The log names")]
    applies, waits = part.split("these wait for a restart")
    assert set(re.findall(r"`([a-z_]+)`", applies)) - {"daemon"} == \
        {k for k, r in daemon.items() if r == "reload"}
    assert set(re.findall(r"`([a-z_]+)`", waits)) == \
        {k for k, r in daemon.items() if r == "restart"}
    for s, k, _, r, _ in rows:
        if s in ("[postgres]", "[redis]", "[alerts]"):
            assert r == "restart", (s, k)
        if s.startswith(("[topic", "[site", "[calendar")):
            assert r == "reload", (s, k)


def test_a_reload_names_the_keys_that_changed_and_those_that_wait(t):
    """Changing only max_body logged "listen, postgres, redis, alerts and
    lease settings change only with a restart", and country_code reloaded
    though the README did not say so. The log now names exactly the keys."""
    d = t.daemon()
    tel = d.token("agent")
    with open(d.conf) as f:
        good = f.read()
    with open(d.conf, "w") as f:
        f.write(good.replace("max_body = 16384", "max_body = 8192").replace(
            "country_code = 49", "country_code = 41"))
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: "configuration reloaded" in d.log_tail())
    log = d.log_tail(5)
    assert "SIGHUP: max_body changed in the file and takes effect at the next restart; " \
        "until then the old value stays" in log, log
    assert "SIGHUP: country_code changed and took effect" in log, log
    said = [x for x in log.split("\n") if "SIGHUP" in x]
    assert len(said) == 3 and not any("listen" in x or "postgres" in x for x in said), said
    # country_code applies: a national number is Swiss now
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {"phone": "044 6681800", "topic": "general",
                         "site": "dortmund"}, tel)
    assert st == 201 and cb["phone"] == "+41446681800", cb
    # max_body waits: a body over 8192 bytes is still read as before
    big = {"phone": "0231 5550114", "topic": "general", "site": "dortmund", "note": "x" * 1900,
           "name": "y" * 150, "customer_ref": "z" * 60}
    assert d.req("POST", "/v1/callbacks", big, tel)[0] == 201


# A new value for every key outside the named sections; a key the daemon
# has and this table lacks fails the test below.
RELOAD_VALUES = {
    "[daemon]": {"listen": "127.0.0.1:1", "metrics_listen": "127.0.0.1:2",
                 "country_code": "41", "max_body": "8192", "request_timeout": "20s",
                 "max_connections": "500", "www": "", "shutdown_grace": "5s",
                 "retention_days": "90", "retention_check": "2h",
                 "unclaimable_check": "2m", "lease": "10m", "max_request_age": "10d",
                 "max_open_age": "10d", "debug": "yes", "not_dialable": "none",
                 "languages": "de, tr", "language_names": "de: Hochdeutsch"},
    "[postgres]": {"conninfo": "dbname=other", "pool_size": "2",
                   "statement_timeout": "4s", "lock_timeout": "2s"},
    "[redis]": {"host": "127.0.0.2", "port": "6390", "password": "secret",
                "password_file": "PASSWORD_FILE", "db": "1", "key_prefix": "other:",
                "index_check": "2s", "timeout": "3s", "sentinels": "127.0.0.1:1",
                "master_name": "queue", "sentinel_password_file": "PASSWORD_FILE"},
    "[alerts]": {"transport": "udp", "host": "127.0.0.2", "port": "515",
                 "socket": "/run/elsewhere", "hostname": "elsewhere",
                 "webhook": "http://127.0.0.1:9/sla", "webhook_timeout": "6s"},
}

# a pair (one alone is refused): each is set with the other, to files made
# in the test
RELOAD_VALUES["[daemon]"].update({"tls_cert": "TLS_CERT", "tls_key": "TLS_KEY"})


def _with(text, section, key, value):
    """The config text with key = value in section, in place of its line."""
    lines = text.split("\n")
    start = lines.index(section)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
               len(lines))
    body = [x for x in lines[start + 1:end] if not x.startswith(key + " =")]
    return "\n".join(lines[:start + 1] + [f"{key} = {value}"] + body + lines[end:])


def _without(text, section, key):
    """The config text without key in section."""
    lines = text.split("\n")
    start = lines.index(section)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
               len(lines))
    return "\n".join(lines[:start + 1] + [x for x in lines[start + 1:end]
                                          if not x.startswith(key + " =")] + lines[end:])


def test_a_reload_says_of_each_key_whether_it_took_effect(t):
    """Every key of the key table, changed alone and reloaded: the log says
    it took effect or waits for a restart, as the table says."""
    rows = [r for r in _config_keys() if "NAME" not in r[0]]
    table = {(s, k): r for s, k, _, r, _ in rows}
    assert set(table) == {(s, k) for s, keys in RELOAD_VALUES.items() for k in keys}, \
        sorted(set(table) ^ {(s, k) for s, keys in RELOAD_VALUES.items() for k in keys})
    d = t.daemon()
    pw = os.path.join(d.dir, "redis.password")
    with open(pw, "w") as f:
        f.write("secret\n")
    os.chmod(pw, 0o600)
    _, tls_cert, tls_key = harness.tls_files(d.dir)
    with open(d.conf) as f:
        base = f.read()
    if "[alerts]" not in base.split("\n"):
        raise AssertionError("the harness config has no [alerts]")

    def reload(text):
        """The keys the reload of text says took effect, and those it says
        wait for a restart."""
        before = d.log_tail(100000)
        with open(d.conf, "w") as f:
            f.write(text)
        d.proc.send_signal(signal.SIGHUP)
        wait_for("reload", lambda: d.log_tail(100000).count("configuration reloaded") >
                 before.count("configuration reloaded"))
        said = d.log_tail(100000)[len(before):]
        applied = re.findall(r"SIGHUP: (.*) changed and took effect", said)
        waiting = re.findall(r"SIGHUP: (.*) changed in the file and takes? effect", said)
        names = lambda found: {n for x in found for n in x.split(", ")}  # noqa: E731
        return names(applied), names(waiting)

    for (section, key), how in sorted(table.items()):
        value = RELOAD_VALUES[section][key].replace("PASSWORD_FILE", pw)
        text = _with(base, section, key, value)
        if key in ("tls_cert", "tls_key"):
            text = _with(_with(base, section, "tls_cert", tls_cert), section, "tls_key",
                         tls_key)
        if key == "sentinels":  # instead of host and port, and by its name
            text = _with(_without(_without(text, section, "host"), section, "port"),
                         section, "master_name", "queue")
        applied, waiting = reload(text)
        if how == "reload":
            assert key in applied and key not in waiting, (section, key, applied, waiting)
        else:
            assert key in waiting and key not in applied, (section, key, applied, waiting)
        reload(base)
    assert d.req("GET", "/readyz")[0] == 200
