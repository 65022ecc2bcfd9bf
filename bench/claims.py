"""Benchmark, run by hand: how fast claims are with a large queue.

Puts N open callbacks (default 100 000) spread over 2 sites, 4 topics and
3 languages straight into PostgreSQL, lets the daemon build its Redis
index, then has one caseworker claim and complete callbacks one by one and
prints the latency of claim and attempt (p50, p90, p99, max), and the time
the rebuild took. Only loopback; bounded in count and time.

    CALLBACKD=build/plain/callbackd python3 bench/claims.py [N] [CLAIMS]
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    claims = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    c = harness.Cluster()
    try:
        c.start()
        db, prefix = c.fresh()
        d = c.daemon(db, prefix)
        d.migrate()
        d.start()
        admin, tel = d.token("admin"), d.token("telephony")
        st, _, body, _ = d.req("POST", "/v1/caseworkers", {
            "id": "bench", "site": "dortmund",
            "topics": ["general", "benefits", "housing_approval"],
            "languages": ["de", "tr"]}, admin)
        assert st == 201, body
        cw = d.token("caseworker", caseworker="bench")
        c.pg.psql(db, f"""
            INSERT INTO callbacks (phone, topic, site, language, urgent,
                                   requested_at, received_at, due_at)
            SELECT '+49231' || lpad(g::text, 8, '0'),
                   (ARRAY['general','benefits','housing_approval','residence'])[1 + g % 4],
                   (ARRAY['dortmund','soest'])[1 + g % 2],
                   (ARRAY['de','tr','ar'])[1 + g % 3], g % 7 = 0,
                   now() - (g % 3000) * interval '1 minute', now(),
                   now() + interval '48 hours' - (g % 3000) * interval '1 minute'
            FROM generate_series(1, {n}) g""")
        t0 = time.monotonic()
        c.redis.cli("DEL", prefix + "index")
        harness.wait_for("rebuild", lambda: c.redis.cli("EXISTS", prefix + "index") == "1",
                         timeout=600, interval=0.1)
        rebuild_s = time.monotonic() - t0
        claim_ms, attempt_ms = [], []
        deadline = time.monotonic() + 300
        for _ in range(claims):
            if time.monotonic() > deadline:
                break
            t1 = time.monotonic()
            st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
            t2 = time.monotonic()
            if st != 200:
                break
            st, _, _, _ = d.req("POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
                                {"lease": got["lease"]["token"], "result": "reached"}, cw)
            t3 = time.monotonic()
            assert st == 201
            claim_ms.append((t2 - t1) * 1000)
            attempt_ms.append((t3 - t2) * 1000)
        used = c.redis.cli("INFO", "memory")
        mem = next((l.split(":")[1] for l in used.splitlines()
                    if l.startswith("used_memory_human:")), "?")
        print(f"queue: {n} open callbacks; rebuild {rebuild_s:.1f} s; redis memory {mem}")
        for name, xs in (("claim", claim_ms), ("attempt", attempt_ms)):
            print(f"{name:8s} n={len(xs)} p50={pct(xs, .5):.2f} ms p90={pct(xs, .9):.2f} ms "
                  f"p99={pct(xs, .99):.2f} ms max={max(xs):.2f} ms")
        d.stop()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
