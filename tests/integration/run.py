"""Runs every test_* function of tests/integration/test_*.py against a real
Redis and PostgreSQL, each test with its own database, Redis key prefix and
daemons. Prints one line per test, then "N passed, M failed"; exits 1 on
any failure or when no test ran. Usage: run.py [SUBSTRING]"""

import importlib.util
import inspect
import os
import signal
import sys
import threading
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


class Ctx:
    """What a test gets: the cluster, its own database and prefix, and
    daemons that are stopped (and must exit 0) when the test ends."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.pg = cluster.pg
        self.redis = cluster.redis
        self.db, self.prefix = cluster.fresh()
        self.daemons = []

    def daemon(self, start=True, name="d"):
        d = self.cluster.daemon(self.db, self.prefix, name)
        if not self.daemons:
            d.migrate()
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def sql(self, q):
        return self.pg.psql(self.db, q)

    def scalar(self, q):
        return self.pg.scalar(self.db, q)

    def key(self, name):
        return self.prefix + name

    def zset(self, name):
        """An index sorted set (waiting, leases, q:...): text id -> score."""
        return self.redis.zsets(self.key(name))

    def ready(self):
        """Claimable callbacks, in any routing set: text id -> due_at (ms),
        which is half the routing score (callback_rank)."""
        return {i: s // 2 for i, s in self.redis.zsets(*self.redis.routes(self.prefix)).items()}

    def zadd(self, name, score, cb_id):
        self.redis.eval_hex("return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])",
                            [self.key(name)], [str(score), uuid.UUID(cb_id).hex], (2,))

    def is_member(self, name, cb_id):
        """Whether cb_id is in the index set name (flagged)."""
        return self.redis.eval_hex("return redis.call('SISMEMBER', KEYS[1], ARGV[1])",
                                   [self.key(name)], [uuid.UUID(cb_id).hex], (1,)) == "1"

    def forget(self, cb_id, route):
        """Takes a callback out of the index as if it had never been synced."""
        h = uuid.UUID(cb_id).hex
        self.redis.eval_hex("redis.call('ZREM', KEYS[1], ARGV[1]) "
                            "return redis.call('HDEL', KEYS[2], ARGV[1])",
                            [self.key(route), self.key("r:" + h[:4])], [h], (1,))

    def script(self, name, keys, args, hex_at=()):
        """Runs one of the daemon's Lua scripts as the daemon would."""
        return self.redis.eval_hex(harness.lua_script(name), keys, args, hex_at)

    def held(self, hold_sql, release_sql, calls, settle=0.5):
        """Runs calls[0] while a psql session holds a lock (hold_sql), and
        once it waits on it the other calls, so that they queue up behind
        it together; then releases the lock (release_sql). Returns what
        each call returned, or the exception it raised, in order."""
        locker = self.pg.session(self.db)
        locker.stdin.write(f"{hold_sql}\nSELECT 'held';\n")
        locker.stdin.flush()
        harness.wait_for("lock", lambda: locker.stdout.readline().strip() == "held",
                         timeout=15)
        results = [None] * len(calls)

        def one(i):
            try:
                results[i] = calls[i]()
            except Exception as e:  # noqa: BLE001 - handed to the test
                results[i] = e

        first = threading.Thread(target=one, args=(0,))
        first.start()
        harness.wait_for("the first call waits on the lock", lambda: int(self.scalar(
            "SELECT count(*) FROM pg_locks WHERE NOT granted")) >= 1)
        rest = [threading.Thread(target=one, args=(i,)) for i in range(1, len(calls))]
        for th in rest:
            th.start()
        time.sleep(settle)
        locker.stdin.write(f"{release_sql}\n\\q\n")
        locker.stdin.flush()
        for th in [first] + rest:
            th.join(30)
        locker.wait(10)
        return results

    def index_settled(self):
        """Waits until the start-up rebuild of each daemon that runs has
        ended. A test that writes behind the index (a row closed in
        PostgreSQL by hand) does so after this: a rebuild still running
        reads the open rows after the write and rightly drops what the
        test means the index to go on offering."""
        harness.wait_for("the running rebuild",
                         lambda: self.redis.cli("EXISTS", self.key("index")) == "1")
        for d in self.daemons:
            if d.proc and d.proc.poll() is None:
                harness.wait_for(f"{os.path.basename(d.dir)}'s start-up rebuild",
                                 lambda d=d: "queue index rebuilt" in d.log_tail(100000))

    def reindex(self):
        """Has the daemons rebuild the index from PostgreSQL, as an operator
        deleting its marker key does. A rebuild still running (the one at
        start-up) would not see the delete (the marker is not there yet)
        and would miss rows written behind the daemons since it began, so
        this waits for it first, in each daemon that runs: with several,
        one that ends its rebuild after the delete would set the marker
        again and the delete go unseen."""
        self.index_settled()
        self.redis.cli("DEL", self.key("index"))

    INDEX_FAULTS = """
local P = ARGV[1]
local at = {}
local function seen(id, set)
    at[id] = (at[id] and at[id] .. ',' or '') .. set
end
local routes = redis.call('HGETALL', P .. 'routes')
for i = 1, #routes, 2 do
    if string.sub(routes[i], 1, 1) ~= '#' then
        for _, id in ipairs(redis.call('ZRANGE', routes[i], 0, -1)) do
            seen(id, routes[i])
        end
    end
end
for _, s in ipairs({'waiting', 'leases'}) do
    for _, id in ipairs(redis.call('ZRANGE', P .. s, 0, -1)) do seen(id, P .. s) end
end
for _, id in ipairs(redis.call('SMEMBERS', P .. 'flagged')) do seen(id, P .. 'flagged') end
local faults = {}
local function hex(id)
    return (string.gsub(id, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
each_record(P, 0, 65536, function(h, id, r)
    local want = ({ r = route_name(P, r.route), w = P .. 'waiting',
                    c = P .. 'leases', f = P .. 'flagged', x = false })[r.state]
    if (at[id] or false) ~= want then
        faults[#faults + 1] = hex(id) .. ' ' .. r.state .. ' in ' .. (at[id] or 'none')
    end
    at[id] = nil
end)
for id, sets in pairs(at) do
    faults[#faults + 1] = hex(id) .. ' without a record in ' .. sets
end
return faults
"""

    def index_faults(self):
        """Where the index breaks its rule: a callback is in exactly the set
        its record's state names (r its routing set, w waiting, c leases,
        f flagged, x none), and nothing is in a set without a record.
        Returns the faults, one line each; [] when there are none."""
        out = self.redis.cli("EVAL", harness.lua_script() + self.INDEX_FAULTS,
                             "0", self.prefix)
        return [line for line in out.split("\n") if line]

    def record(self, cb_id):
        """A callback's index record (state r/w/c/f/x, version, synced_at,
        score, route, token), or None."""
        return self.redis.record(self.prefix, cb_id)


def load_tests(pattern):
    tests = []
    for name in sorted(os.listdir(HERE)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(name[:-3],
                                                      os.path.join(HERE, name))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        fns = [f for n, f in inspect.getmembers(mod, inspect.isfunction)
               if n.startswith("test_") and f.__module__ == mod.__name__]
        fns.sort(key=lambda f: f.__code__.co_firstlineno)
        # a pattern names tests by part of their name, or a whole module
        tests += [f for f in fns if not pattern or pattern in f.__name__
                  or pattern == name[:-3]]
    return tests


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    tests = load_tests(pattern)
    cluster = harness.Cluster()
    passed = failed = 0
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        cluster.start()
        took = []
        for t in tests:
            ctx = None
            why = None
            began = time.monotonic()
            try:
                ctx = Ctx(cluster)
                t(ctx)
            except Exception as e:
                why = f"{type(e).__name__}: {e}"
                detail = traceback.format_exc()
            if ctx:
                for d in ctx.daemons:
                    code = d.stop()
                    if code != 0 and why is None:
                        why = f"daemon exited {code} on SIGTERM"
                        detail = ""
            secs = time.monotonic() - began
            took.append((secs, t.__name__))
            if why is None:
                passed += 1
                print(f"ok   {t.__name__} ({secs:.1f} s)", flush=True)
            else:
                failed += 1
                print(f"FAIL {t.__name__}: {why}", flush=True)
                if detail:
                    print(detail.rstrip(), flush=True)
                for d in (ctx.daemons if ctx else []):
                    print(f"--- daemon log ({d.dir}):\n{d.log_tail()}",
                          flush=True)
        # where the suite's time goes, for whoever wants it shorter
        print("slowest: " + ", ".join(f"{n} {s:.0f} s" for s, n in sorted(took)[::-1][:8]))
    finally:
        cluster.stop()
    if passed + failed == 0:
        print("no test ran")
        failed = 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
