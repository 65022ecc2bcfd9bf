"""Redis behind Sentinel ([redis] sentinels, master_name): the daemon asks
the Sentinels for the master, checks with ROLE that it is one, and follows
a failover. Under a bounded intake and claim load the master is killed
with SIGKILL; three real redis-sentinel processes (quorum 2) promote the
replica, the daemon follows and rebuilds the index from PostgreSQL:
nothing acknowledged is missing, no callback is claimed twice, every open
one is claimable afterwards. A Sentinel that names a replica is not
believed. And the config errors: sentinels without master_name, and
beside host and port."""

import http.client
import os
import re
import signal
import socketserver
import subprocess
import threading
import time

import harness
from harness import wait_for
from test_claims import World

CREATORS = 3
CLAIMERS = 2
ROUNDS = 3000   # each thread's requests, at most


class RedisProc:
    """A redis-server of its own (master, or replica of another)."""

    def __init__(self, t, name, replicaof=None):
        self.port = harness.free_port()
        self.dir = os.path.join(t.cluster.tmp, f"{t.db}-{name}")
        os.makedirs(self.dir)
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--daemonize", "no", "--maxmemory-policy", "noeviction"]
        if replicaof:
            args += ["--replicaof", "127.0.0.1", str(replicaof.port)]
        self.proc = subprocess.Popen(args, stdout=open(os.path.join(self.dir, "log"), "ab"),
                                     stderr=subprocess.STDOUT)
        wait_for(name, lambda: self.cli("PING") == "PONG")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                              capture_output=True, text=True, timeout=10).stdout.strip()

    def stop(self):
        harness.stop_process(self.proc)


class SentinelProc:
    """A real redis-sentinel watching master "queue", quick to fail over."""

    def __init__(self, t, name, master):
        self.port = harness.free_port()
        self.dir = os.path.join(t.cluster.tmp, f"{t.db}-{name}")
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "sentinel.conf")
        with open(conf, "w") as f:  # Sentinel rewrites its file: its own copy
            f.write(f"port {self.port}\nbind 127.0.0.1\ndaemonize no\ndir {self.dir}\n"
                    f"sentinel monitor queue 127.0.0.1 {master.port} 2\n"
                    "sentinel down-after-milliseconds queue 1000\n"
                    "sentinel failover-timeout queue 5000\n"
                    "sentinel parallel-syncs queue 1\n")
        self.proc = subprocess.Popen(["redis-sentinel", conf],
                                     stdout=open(os.path.join(self.dir, "log"), "ab"),
                                     stderr=subprocess.STDOUT)
        wait_for(name, lambda: self.cli("PING") == "PONG")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                              capture_output=True, text=True, timeout=10).stdout.strip()

    def stop(self):
        harness.stop_process(self.proc)


def sentinel_daemon(t, sentinels, password=None):
    """A daemon (not started) that finds Redis through the Sentinels."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    old = f"host = 127.0.0.1\nport = {t.cluster.redis.port}\n"
    assert old in text
    new = "sentinels = %s\nmaster_name = queue\n" % ", ".join(
        f"127.0.0.1:{p}" for p in sentinels)
    if password:
        path = os.path.join(d.dir, "sentinel.pass")
        with open(path, "w") as f:
            f.write(password + "\n")
        os.chmod(path, 0o600)
        new += f"sentinel_password_file = {path}\n"
    with open(d.conf, "w") as f:
        f.write(text.replace(old, new))
    return d


def scrape(d):
    return d.req("GET", "/metrics")[3].decode()


class Load:
    """Intake and claims from several threads, each bounded in count; every
    answer kept with the time it came."""

    def __init__(self, w, cw):
        self.w, self.cw = w, cw
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = set()
        self.claimed = []          # ids handed out by a 200 claim
        self.claims = []           # (monotonic time sent, answered, status)
        self.intakes = []          # the same of intake
        self.statuses = {}

    def count(self, what, st):
        with self.lock:
            self.statuses[what, st] = self.statuses.get((what, st), 0) + 1

    def create(self, i):
        for k in range(ROUNDS):
            if self.stop.is_set():
                return
            sent = time.monotonic()
            try:
                st, _, body, _ = self.w.d.req("POST", "/v1/callbacks", {
                    "phone": f"0231 7{i}{k:05d}", "topic": "general",
                    "site": "dortmund"}, self.w.tel, {"Idempotency-Key": f"s-{i}-{k}"},
                    timeout=10)
            except (OSError, http.client.HTTPException):
                st, body = 0, None
            self.count("intake", st)
            with self.lock:
                self.intakes.append((sent, time.monotonic(), st))
            if st in (200, 201):
                with self.lock:
                    self.acked.add(body["id"])
            else:
                self.stop.wait(0.05)

    def claim(self, i):
        for k in range(ROUNDS):
            if self.stop.is_set():
                return
            sent = time.monotonic()
            try:
                st, _, got, _ = self.w.d.req("POST", "/v1/queue/claim", None, self.cw,
                                             timeout=10)
            except (OSError, http.client.HTTPException):
                st, got = 0, None
            self.count("claim", st)
            with self.lock:
                self.claims.append((sent, time.monotonic(), st))
                if st == 200:
                    self.claimed.append(got["callback"]["id"])
            if st != 200:
                self.stop.wait(0.05)
                continue
            try:
                st, _, _, _ = self.w.d.req(
                    "POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
                    {"lease": got["lease"]["token"], "result": "reached"}, self.cw,
                    timeout=10)
            except (OSError, http.client.HTTPException):
                st = 0
            self.count("attempt", st)

    def answered_since(self, since):
        """Claims sent after since and answered (200 or 204): when the first
        answer came."""
        with self.lock:
            ok = [at for sent, at, st in self.claims if sent > since and st in (200, 204)]
        return min(ok) if ok else None


def test_a_sentinel_failover_under_load_is_followed_and_loses_nothing(t):
    master = RedisProc(t, "master")
    procs = [master]
    try:
        replica = RedisProc(t, "replica", replicaof=master)
        procs.append(replica)
        wait_for("the replica in sync", lambda: "master_link_status:up" in
                 replica.cli("INFO", "replication"), timeout=20)
        sentinels = [SentinelProc(t, f"sentinel{i}", master) for i in range(3)]
        procs += sentinels
        # each Sentinel knows the other two and the replica before the kill
        for s in sentinels:
            wait_for("Sentinels in quorum", lambda s=s: s.cli("SENTINEL", "ckquorum", "queue")
                     .startswith("OK 3 usable"), timeout=30)
            wait_for("the replica seen", lambda s=s: str(replica.port) in
                     s.cli("SENTINEL", "replicas", "queue"), timeout=30)
        d = sentinel_daemon(t, [s.port for s in sentinels])
        d.start()
        assert d.req("GET", "/readyz")[2]["details"]["redis_master"] == \
            f"127.0.0.1:{master.port}"
        assert f'callbackd_redis_master{{address="127.0.0.1:{master.port}"}} 1' in scrape(d)
        assert "callbackd_redis_failovers_total 0" in scrape(d)
        w = World(t, daemon=d)
        cw = w.caseworker("anna")
        for _ in range(20):
            w.create()
        wait_for("the index in the master", lambda: master.cli(
            "EXISTS", t.key("index")) == "1")

        load = Load(w, cw)
        threads = [threading.Thread(target=load.create, args=(i,)) for i in range(CREATORS)]
        threads += [threading.Thread(target=load.claim, args=(i,)) for i in range(CLAIMERS)]
        for th in threads:
            th.start()
        try:
            wait_for("claims under load", lambda: len(load.claimed) >= 10, timeout=30)
            killed = time.monotonic()
            master.proc.send_signal(signal.SIGKILL)
            master.proc.wait(10)
            back = wait_for("claims answered again", lambda: load.answered_since(killed),
                            timeout=60, interval=0.02)
            wait_for("the daemon on the new master", lambda: d.req("GET", "/readyz")[2]
                     ["details"]["redis_master"] == f"127.0.0.1:{replica.port}", timeout=30)
            # the load goes on for a while on the new master
            acked = len(load.acked)
            wait_for("more intake", lambda: len(load.acked) >= acked + 30, timeout=30)
            claimed = len(load.claimed)
            wait_for("more claims", lambda: len(load.claimed) >= claimed + 10, timeout=30)
        finally:
            load.stop.set()
            for th in threads:
                th.join(60)
        print(f"     claims unavailable for {back - killed:.1f} s after the master was "
              f"killed; acknowledged {len(load.acked)}, claimed {len(load.claimed)}, "
              f"statuses {sorted(load.statuses.items())}")

        # intake went on while claims could not: PostgreSQL is the record
        assert [at for sent, at, st in load.intakes if killed < sent and at < back and
                st == 201]
        # no acknowledged intake is missing in PostgreSQL
        rows = dict(t.sql("SELECT id, state FROM callbacks"))
        assert not [i for i in load.acked if i not in rows]
        # no callback was handed out twice
        assert len(load.claimed) == len(set(load.claimed))
        twice = t.scalar("SELECT count(*) FROM (SELECT callback_id FROM attempts GROUP BY "
                         "callback_id HAVING count(*) > 1) x")
        assert twice == "0", twice
        # errors were 503 alone (or no answer while the daemon waited)
        bad = {s: n for s, n in load.statuses.items() if s[1] >= 500 and s[1] != 503}
        assert not bad, load.statuses
        # the failover was seen once, and the index rebuilt on the new master
        assert "callbackd_redis_failovers_total 1" in scrape(d)
        assert f'callbackd_redis_master{{address="127.0.0.1:{replica.port}"}} 1' in scrape(d)
        wait_for("the index rebuilt after the failover", lambda: d.log_tail(100000).count(
            "queue index rebuilt") >= 2 and replica.cli("EXISTS", t.key("index")) == "1",
            timeout=30)
        log = d.log_tail(100000)
        assert re.search(r"master queue moved from 127\.0\.0\.1:%d to 127\.0\.0\.1:%d" %
                         (master.port, replica.port), log), log[-3000:]
        # each callback in exactly the set its index record names
        faults = lambda: [x for x in replica.cli(  # noqa: E731
            "EVAL", harness.lua_script() + t.INDEX_FAULTS, "0", t.prefix).split("\n") if x]
        wait_for("the index in order", lambda: faults() == [], timeout=20)
        # every open callback in PostgreSQL is claimable: the queue drains to
        # exactly the queued rows, none of them handed out before
        queued = {r[0] for r in t.sql("SELECT id FROM callbacks WHERE state = 'queued'")}
        assert queued, "nothing left to claim proves nothing"
        drained = set()
        for _ in range(len(queued) + 5):
            st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
            if st == 204:
                break
            assert st == 200, (st, got)
            drained.add(got["callback"]["id"])
        assert drained == queued, (len(drained), len(queued), drained ^ queued)
        assert not drained & set(load.claimed)
    finally:
        for p in reversed(procs):
            p.stop()


class FakeSentinel(socketserver.ThreadingTCPServer):
    """Speaks just enough of Sentinel's protocol: names as the master
    whatever address the test sets, takes the +switch-master subscription."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeSentinelHandler)
        self.port = self.server_address[1]
        self.answer = None     # (host, port)
        self.password = None   # asked for with AUTH when set
        self.asked = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()


class FakeSentinelHandler(socketserver.StreamRequestHandler):
    def command(self):
        line = self.rfile.readline()
        if not line.startswith(b"*"):
            return None
        args = []
        for _ in range(int(line[1:])):
            n = int(self.rfile.readline()[1:])
            args.append(self.rfile.read(n + 2)[:-2].decode())
        return args

    def bulk(self, s):
        return b"$%d\r\n%s\r\n" % (len(s), s.encode())

    def handle(self):
        authed = not self.server.password
        while True:
            try:
                args = self.command()
            except (OSError, ValueError):
                return
            if not args:
                return
            verb = args[0].upper()
            if verb == "AUTH":
                authed = args[1:] == [self.server.password]
                out = b"+OK\r\n" if authed else b"-WRONGPASS invalid password\r\n"
            elif not authed:
                out = b"-NOAUTH Authentication required.\r\n"
            elif verb == "SENTINEL" and args[1].lower() == "get-master-addr-by-name":
                self.server.asked += 1
                host, port = self.server.answer
                out = b"*2\r\n" + self.bulk(host) + self.bulk(str(port))
            elif verb == "SUBSCRIBE":
                out = b"*3\r\n" + self.bulk("subscribe") + self.bulk(args[1]) + b":1\r\n"
            elif verb == "PING":
                out = b"+PONG\r\n"
            else:
                out = b"-ERR unknown command\r\n"
            self.wfile.write(out)
            self.wfile.flush()


def test_a_sentinel_naming_a_replica_is_not_believed(t):
    master = RedisProc(t, "master")
    procs = [master]
    fake = FakeSentinel()
    try:
        replica = RedisProc(t, "replica", replicaof=master)
        procs.append(replica)
        fake.answer = ("127.0.0.1", replica.port)
        fake.password = "s3nt1nel-Pw"
        d = sentinel_daemon(t, [fake.port], password=fake.password)
        d.start(wait_ready=False)
        # ROLE says slave: dropped, the Sentinels asked again, never ready
        wait_for("ROLE seen", lambda: "answers ROLE with slave, not master" in d.log_tail())
        asked = fake.asked
        wait_for("asked again", lambda: fake.asked > asked)
        st, _, ready, _ = d.req("GET", "/readyz")
        assert st == 503 and ready["checks"]["redis"] == "replica", ready
        assert ready["details"]["redis_master"] is None, ready
        assert replica.cli("EXISTS", t.key("index")) == "0"
        # named the master, it is used
        fake.answer = ("127.0.0.1", master.port)
        wait_for("ready", lambda: d.req("GET", "/readyz")[0] == 200, timeout=20)
        assert d.req("GET", "/readyz")[2]["details"]["redis_master"] == \
            f"127.0.0.1:{master.port}"
        w = World(t, daemon=d)
        cb = w.create()
        wait_for("indexed in the master", lambda: master.cli(
            "EXISTS", t.key("index")) == "1")
        w.caseworker("anna")
        assert w.claim("anna")[2]["callback"]["id"] == cb["id"]
        # the first master ROLE confirmed is no failover
        assert "callbackd_redis_failovers_total 0" in scrape(d)
        # demoted without a +switch-master (a Sentinel's message missed): the
        # next ROLE check, or a write's READONLY, sends the daemon to the
        # master the Sentinels name now, and the index is rebuilt there
        other = RedisProc(t, "other")
        procs.append(other)
        fake.answer = ("127.0.0.1", other.port)
        assert master.cli("REPLICAOF", "127.0.0.1", str(other.port)) == "OK"
        wait_for("on the new master", lambda: d.req("GET", "/readyz")[2]["details"]
                 ["redis_master"] == f"127.0.0.1:{other.port}", timeout=20)
        assert re.search(r"127\.0\.0\.1:%d answers (ROLE with slave|READONLY)" %
                         master.port, d.log_tail(200)), d.log_tail(200)
        assert "callbackd_redis_failovers_total 1" in scrape(d)
        wait_for("the index rebuilt there", lambda: other.cli(
            "EXISTS", t.key("index")) == "1", timeout=20)
        cb2 = w.create()
        assert w.claim("anna")[2]["callback"]["id"] == cb2["id"]
        assert "s3nt1nel" not in d.log_tail(100000)
    finally:
        fake.shutdown()
        fake.server_close()
        for p in reversed(procs):
            p.stop()


def test_sentinels_need_a_master_name_and_exclude_host_and_port(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    old = f"host = 127.0.0.1\nport = {t.cluster.redis.port}\n"
    cases = [
        (text.replace(old, "sentinels = 127.0.0.1:26379\n"),
         "sentinels: master_name is missing"),
        (text.replace(old, old + "sentinels = 127.0.0.1:26379\nmaster_name = queue\n"),
         "host: give sentinels or host and port, not both"),
        (text.replace(old, "sentinels = 127.0.0.1\nmaster_name = queue\n"),
         "sentinels: '127.0.0.1' is not host:port"),
    ]
    for bad, said in cases:
        with open(d.conf, "w") as f:
            f.write(bad)
        out = d.run("--check-config", check=False)
        assert out.returncode != 0 and said in out.stderr, (said, out.stderr)
        assert re.search(r"callbackd\.ini:\d+: ", out.stderr), out.stderr
    with open(d.conf, "w") as f:
        f.write(text.replace(old, "sentinels = 127.0.0.1:26379, 127.0.0.1:26380\n"
                             "master_name = queue\n"))
    assert d.run("--check-config", check=False).returncode == 0
