"""Integration harness for callbackd: real redis-server and PostgreSQL on
free loopback ports in a temp dir, and the daemon itself. Python 3 stdlib
only. Everything started here is stopped by Cluster.stop(), also when a
test fails."""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid

PG_BIN = "/usr/lib/postgresql/15/bin"
CALLBACKD = os.path.abspath(os.environ.get("CALLBACKD", "./callbackd"))


def lua_script(name=None):
    """A Lua script as the daemon sends it to Redis (scripts/embed.sh): the
    shared daemon/lua/lib/*.lua, then daemon/lua/NAME.lua; without a name,
    the shared part alone."""
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "daemon", "lua")
    lib = os.path.join(lua, "lib")
    paths = [os.path.join(lib, f) for f in sorted(os.listdir(lib)) if f.endswith(".lua")]
    if name:
        paths.append(os.path.join(lua, name + ".lua"))
    body = ""
    for path in paths:
        with open(path) as f:
            body += f.read()
    return body


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=10.0, interval=0.05):
    """Polls check() until it returns a true value; bounded in time."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as e:  # the thing polled may not be up yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def stop_process(proc):
    """SIGTERM, then SIGKILL if it has not gone within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: run its tools as user postgres."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Redis:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--daemonize", "no", "--maxmemory-policy", "noeviction",
             "--enable-debug-command", "local"],
            stdout=open(os.path.join(self.dir, "log"), "ab"),
            stderr=subprocess.STDOUT)
        wait_for("redis", lambda: self.cli("PING") == "PONG")

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def zrange(self, key):
        """Members and integer scores of a sorted set, as a dict."""
        out = self.cli("ZRANGE", key, "0", "-1", "WITHSCORES").split("\n")
        out = [x for x in out if x != ""]
        return {out[i]: int(float(out[i + 1])) for i in range(0, len(out), 2)}

    # The queue index knows callbacks by the 16 bytes of their UUIDs
    # (daemon/lua/lib/record.lua); these read it back as text ids.
    ZSETS = """
local out = {}
for _, k in ipairs(KEYS) do
  local r = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  for j = 1, #r, 2 do
    out[#out + 1] = string.format(string.rep('%02x', #r[j]), string.byte(r[j], 1, -1))
    out[#out + 1] = r[j + 1]
  end
end
return out
"""
    RECORD = """
local id = (ARGV[1]:gsub('..', function(h) return string.char(tonumber(h, 16)) end))
local v = redis.call('HGET', ARGV[2] .. 'r:' .. string.sub(ARGV[1], 1, 4), id)
if not v then return nil end
local route = ''
local n = struct.unpack('<I4', v, 20)
if n > 0 then route = redis.call('HGET', ARGV[2] .. 'routes', '#' .. n) end
return {string.format(string.rep('%02x', #v), string.byte(v, 1, -1)), route}
"""

    def eval_hex(self, body, keys, args, hex_at=()):
        """EVAL body; the arguments ARGV[i], i in hex_at, are given in hex
        (a UUID's .hex) and turned into their bytes first."""
        pro = "".join(f"ARGV[{i}] = (ARGV[{i}]:gsub('..', function(h) "
                      f"return string.char(tonumber(h, 16)) end))\n" for i in hex_at)
        return self.cli("EVAL", pro + body, str(len(keys)), *keys, *args)

    def zsets(self, *keys):
        """Members (text ids) and integer scores of index sorted sets."""
        if not keys:
            return {}
        out = self.cli("EVAL", self.ZSETS, str(len(keys)), *keys).split("\n")
        out = [x for x in out if x != ""]
        return {str(uuid.UUID(out[i])): int(float(out[i + 1]))
                for i in range(0, len(out), 2)}

    def routes(self, prefix):
        """The routing sets of a prefix."""
        return [k for k in self.cli("--scan", "--pattern", prefix + "q:*").split("\n") if k]

    def record(self, prefix, cb_id):
        """A callback's index record, unpacked, or None."""
        out = self.cli("EVAL", self.RECORD, "0", uuid.UUID(cb_id).hex, prefix).split("\n")
        if not out or not out[0]:
            return None
        b = bytes.fromhex(out[0])
        num = lambda x: int.from_bytes(x, "little", signed=True)  # noqa: E731
        return {"state": chr(b[0]), "version": num(b[1:7]), "synced_at": num(b[7:13]),
                "score": num(b[13:19]), "route": out[1] if len(out) > 1 else "",
                "token": str(uuid.UUID(bytes=b[23:])) if len(b) > 23 else ""}


class Postgres:
    def __init__(self, tmp, name="pg"):
        self.dir = os.path.join(tmp, name)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.dir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.running = False

    def initdb(self):
        subprocess.run(as_postgres([f"{PG_BIN}/initdb", "-D", self.data,
                                    "-U", "callbackd", "--auth=trust",
                                    "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)

    def start(self, *settings):
        """settings: more "name=value" server settings (the later win)."""
        more = "".join(f" -c {s}" for s in settings)
        subprocess.run(as_postgres([
            f"{PG_BIN}/pg_ctl", "-D", self.data, "-l",
            os.path.join(self.dir, "log"), "-w", "-t", "60", "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=200" + more],
            ) + ["start"], check=True, capture_output=True, timeout=90)
        self.running = True

    def base_backup(self, primary):
        """This data directory as a streaming standby of primary
        (pg_basebackup -R: standby.signal and primary_conninfo)."""
        subprocess.run(as_postgres([
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "callbackd", "-D", self.data, "-R", "-X", "stream",
            "-c", "fast", "--no-sync"]),
            check=True, capture_output=True, timeout=120)

    def crash(self):
        """Stops the server at once, as a power cut would (no checkpoint;
        clients see their connections drop)."""
        subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data,
                                    "-m", "immediate", "-w", "stop"]),
                       check=True, capture_output=True, timeout=60)
        self.running = False

    def promote(self):
        """A standby becomes a primary (pg_ctl promote, waiting for it)."""
        subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data,
                                    "-w", "-t", "60", "promote"]),
                       check=True, capture_output=True, timeout=90)

    def stop(self):
        if self.running:
            subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data,
                                        "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=60)
        self.running = False

    def psql(self, db, sql):
        """Rows of a query as lists of strings."""
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "callbackd",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-F", "|", "-c", sql],
            capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(f"psql failed: {out.stderr.strip()}")
        return [line.split("|") for line in out.stdout.splitlines()]

    def scalar(self, db, sql):
        return self.psql(db, sql)[0][0]

    def createdb(self, name):
        self.psql("postgres", f"CREATE DATABASE {name}")

    def session(self, db):
        """An interactive psql the test can feed statements to (to hold
        locks across daemon requests)."""
        return subprocess.Popen(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "callbackd",
             "-d", db, "-At", "-q"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1)


class PostgresPair:
    """A primary and a streaming standby made from it with pg_basebackup,
    for failover tests; with sync the primary's commits wait for the
    standby (synchronous_standby_names, synchronous_commit on). The
    setting is given on the primary's command line, not in its files, so
    the standby, promoted, commits without waiting for a standby of its
    own."""

    def __init__(self, tmp, name, sync):
        self.primary = Postgres(tmp, name + "-a")
        self.standby = Postgres(tmp, name + "-b")
        self.sync = sync

    def start(self):
        a, b = self.primary, self.standby
        a.initdb()
        with open(os.path.join(a.data, "pg_hba.conf"), "a") as f:
            f.write("host replication callbackd 127.0.0.1/32 trust\n")
        # a commit waits for the primary's own WAL (not off, as for the
        # other tests): what is lost is what replication had not carried
        settings = ["wal_level=replica", "max_wal_senders=4", "synchronous_commit=on"]
        if self.sync:
            settings += ["synchronous_standby_names='*'"]
        a.start(*settings)
        b.base_backup(a)
        b.start("hot_standby=on")
        want = "sync" if self.sync else "async"
        wait_for("streaming standby", lambda: a.scalar(
            "postgres", "SELECT count(*) FROM pg_stat_replication WHERE "
            f"state = 'streaming' AND sync_state = '{want}'") == "1", timeout=30)

    def caught_up(self):
        """Waits until the standby has replayed all the primary wrote so far."""
        lsn = self.primary.scalar("postgres", "SELECT pg_current_wal_lsn()")
        wait_for("standby replay", lambda: self.standby.scalar(
            "postgres", f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") == "t",
            timeout=30)

    def conninfo(self, db):
        """Both hosts, primary first; libpq takes the one that accepts
        writes."""
        return (f"host=127.0.0.1,127.0.0.1 port={self.primary.port},"
                f"{self.standby.port} dbname={db} user=callbackd "
                "target_session_attrs=read-write connect_timeout=2")

    def stop(self):
        self.standby.stop()
        self.primary.stop()


class SyslogNg:
    """A real syslog-ng receiving RFC 5424 over TCP (octet counting) on a
    loopback port and writing each raw message to a file."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "syslog-ng")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.out = os.path.join(self.dir, "messages")
        self.conf = os.path.join(self.dir, "syslog-ng.conf")
        self.proc = None
        with open(self.conf, "w") as f:
            f.write(f"""@version: 3.38
options {{ stats_freq(0); }};
source s_sla {{
    syslog(ip("127.0.0.1") port({self.port}) transport("tcp")
           flags(store-raw-message));
}};
destination d_file {{
    file("{self.out}" template("${{RAWMSG}}\\n") flush-lines(1));
}};
log {{ source(s_sla); destination(d_file); }};
""")

    def start(self):
        self.proc = subprocess.Popen(
            ["syslog-ng", "-F", "--no-caps", "-f", self.conf,
             "-R", os.path.join(self.dir, "persist"),
             "-p", os.path.join(self.dir, "pid"),
             "-c", os.path.join(self.dir, "ctl")],
            stdout=open(os.path.join(self.dir, "log"), "ab"),
            stderr=subprocess.STDOUT)

        def listening():
            with socket.socket() as s:
                s.settimeout(0.2)
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for("syslog-ng", listening, timeout=15)

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def lines(self):
        try:
            with open(self.out, errors="replace") as f:
                return [x for x in f.read().split("\n") if x]
        except OSError:
            return []


CONFIG = """\
[daemon]
listen = 127.0.0.1:{http_port}
# off unless a test looks for callbacks nobody may claim (test_unclaimable):
# without caseworkers every callback would be one, with an alert of its own
unclaimable_check = 0
country_code = 49
max_body = 16384
shutdown_grace = 10s

[postgres]
conninfo = host=127.0.0.1 port={pg_port} dbname={db} user=callbackd
pool_size = 4

[redis]
host = 127.0.0.1
port = {redis_port}
key_prefix = {prefix}
index_check = 200ms

[topic housing_approval]
target = 48h
urgent_target = 2h

[topic benefits]
target = 48h
urgent_target = 4h

[topic general]
target = 48h

[topic quick]
target = 4s
warn_at = 0.5

[alerts]
transport = tcp
host = 127.0.0.1
port = {syslog_port}

[site dortmund]
calendar = 24x7

[site soest]
calendar = 24x7
"""


class Daemon:
    def __init__(self, cluster, db, prefix, name="d"):
        self.cluster = cluster
        self.db = db
        self.prefix = prefix
        self.port = free_port()
        self.dir = os.path.join(cluster.tmp, f"{db}-{name}")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "callbackd.ini")
        self.log = os.path.join(self.dir, "stderr.log")
        self.proc = None
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(http_port=self.port, pg_port=cluster.pg.port,
                                  db=db, redis_port=cluster.redis.port,
                                  prefix=prefix, syslog_port=cluster.syslog.port))

    def run(self, *args, check=True):
        out = subprocess.run([CALLBACKD, "-c", self.conf] + list(args),
                             capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError(f"callbackd {' '.join(args)} exited "
                                 f"{out.returncode}: {out.stderr.strip()}")
        return out

    def migrate(self):
        self.run("--migrate")

    def token(self, role, caseworker=None):
        args = ["--create-token", role, "--label", f"test {role}"]
        if caseworker:
            args += ["--caseworker", caseworker]
        return self.run(*args).stdout.strip()

    def caseworker(self, admin, cid, site, topics, languages=("de",)):
        """Adds caseworker cid through the API (admin: an admin token) and
        returns a token of theirs."""
        st, _, body, _ = self.req("POST", "/v1/caseworkers", {
            "id": cid, "site": site, "topics": list(topics),
            "languages": list(languages)}, admin)
        assert st == 201, (st, body)
        return self.token("caseworker", caseworker=cid)

    def start(self, wait_ready=True, env=None):
        self.proc = subprocess.Popen([CALLBACKD, "-c", self.conf, "-f"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"),
                                     env=dict(os.environ, **(env or {})))
        wait_for("healthz", lambda: self.req("GET", "/healthz")[0] == 200)
        if wait_ready:
            wait_for("readyz", lambda: self.req("GET", "/readyz")[0] == 200)

    def stop(self, sig=signal.SIGTERM):
        """Stops the daemon and returns its exit code."""
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = "killed after 15 s"
        self.proc = None
        return code

    def edit(self, old, new):
        """Replaces the first old in the config with new; old must be
        there, so that a setting meant for a test cannot silently miss."""
        with open(self.conf) as f:
            text = f.read()
        assert old in text, (old, self.conf)
        with open(self.conf, "w") as f:
            f.write(text.replace(old, new, 1))

    def configure(self, conninfo=None, daemon=()):
        """Rewrites the config: another [postgres] conninfo, and lines
        ("key = value") added to [daemon]."""
        with open(self.conf) as f:
            text = f.read()
        if conninfo:
            text = "\n".join(f"conninfo = {conninfo}" if line.startswith("conninfo =")
                             else line for line in text.split("\n"))
        text = text.replace("[daemon]\n", "[daemon]\n" + "".join(f"{x}\n" for x in daemon), 1)
        with open(self.conf, "w") as f:
            f.write(text)

    def log_tail(self, n=40):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def req(self, method, path, body=None, token=None, headers=None,
            timeout=15):
        """One HTTP request: (status, headers, parsed JSON or None, raw);
        over TLS, trusting the CA in the file self.ca, when it is set."""
        cafile = getattr(self, "ca", None)
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = f"Bearer {token}"
        if cafile:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=timeout,
                context=ssl.create_default_context(cafile=cafile))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        data = None
        if raw and hdrs.get("content-type", "").startswith("application/json"):
            data = json.loads(raw)
        return r.status, hdrs, data, raw


class Cluster:
    """One Redis and one PostgreSQL for a whole run."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="callbackd-it.")
        os.chmod(self.tmp, 0o755)
        self.redis = Redis(self.tmp)
        self.pg = Postgres(self.tmp)
        self.syslog = SyslogNg(self.tmp)
        self.daemons = []
        self.n = 0

    def start(self):
        self.redis.start()
        self.pg.initdb()
        self.pg.start()
        self.syslog.start()

    def stop(self):
        for d in self.daemons:
            d.stop(signal.SIGKILL)
        self.syslog.stop()
        self.redis.stop()
        self.pg.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fresh(self):
        """A new database (migrated) and Redis prefix for one test."""
        self.n += 1
        db, prefix = f"t{self.n}", f"t{self.n}:"
        self.pg.createdb(db)
        return db, prefix

    def daemon(self, db, prefix, name="d"):
        d = Daemon(self, db, prefix, name)
        self.daemons.append(d)
        return d


def tls_files(where, name="server", subject="/CN=127.0.0.1", serial=1):
    """A throwaway CA (made once in where: ca.pem, ca.key) and a server
    certificate for 127.0.0.1 that it signed, with the openssl command:
    (ca.pem, NAME.crt, NAME.key)."""
    ca, ca_key = os.path.join(where, "ca.pem"), os.path.join(where, "ca.key")
    cert, key = os.path.join(where, f"{name}.crt"), os.path.join(where, f"{name}.key")
    ext = os.path.join(where, f"{name}.ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True,
                       timeout=60)
    if not os.path.exists(ca):
        openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                "-subj", "/CN=callbackd test CA")
    with open(ext, "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n")
    openssl("req", "-new", *ec, "-keyout", key, "-out", cert + ".csr", "-subj", subject)
    openssl("x509", "-req", "-in", cert + ".csr", "-CA", ca, "-CAkey", ca_key,
            "-set_serial", str(serial), "-days", "2", "-extfile", ext, "-out", cert)
    return ca, cert, key
