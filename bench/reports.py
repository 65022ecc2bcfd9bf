"""Benchmark, run by hand: how long the SLA and breach reports take over
N callbacks (default 1 000 000) spread over 90 days, 2 sites, 4 topics.
Prints the time of each report request and PostgreSQL's plan summary.

    CALLBACKD=build/plain/callbackd python3 bench/reports.py [N]
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    c = harness.Cluster()
    try:
        c.start()
        db, prefix = c.fresh()
        d = c.daemon(db, prefix)
        d.migrate()
        t0 = time.monotonic()
        c.pg.psql(db, f"""
            INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
                requested_at, received_at, due_at, first_attempt_at, reached_at,
                closed_at)
            SELECT '+49231' || lpad(g::text, 8, '0'),
                (ARRAY['general','benefits','housing_approval','residence'])[1 + g % 4],
                (ARRAY['dortmund','soest'])[1 + g % 2], g % 7 = 0,
                CASE WHEN g % 10 = 0 THEN 'unreachable' ELSE 'completed' END, 1 + g % 3,
                r, r, r + interval '48 hours',
                r + (g % 3000) * interval '1 minute',
                r + (g % 3100) * interval '1 minute',
                r + (g % 3100) * interval '1 minute'
            FROM generate_series(1, {n}) g,
                 LATERAL (SELECT '2026-08-01T00:00Z'::timestamptz
                          + (g::float / {n}) * interval '90 days' AS r) x""")
        c.pg.psql(db, "ANALYZE callbacks")
        print(f"loaded {n} callbacks in {time.monotonic() - t0:.1f} s")
        d.start()
        mgr = d.token("manager")
        for q in ("/v1/reports/sla?from=2026-08-01T00:00:00Z&to=2026-11-01T00:00:00Z"
                  "&group_by=site,topic",
                  "/v1/reports/sla?from=2026-08-01T00:00:00Z&to=2026-11-01T00:00:00Z"
                  "&group_by=day",
                  "/v1/reports/sla?from=2026-10-01T00:00:00Z&to=2026-10-08T00:00:00Z"
                  "&group_by=site,urgency&format=csv-excel",
                  "/v1/reports/breaches?from=2026-08-01T00:00:00Z&to=2026-11-01T00:00:00Z"
                  "&format=csv"):
            took = []
            for _ in range(3):  # the first read of fresh rows also sets hint bits
                t1 = time.monotonic()
                st, _, _, raw = d.req("GET", q, token=mgr, timeout=120)
                took.append(time.monotonic() - t1)
            print(" ".join(f"{x:5.2f} s" for x in took) + f"  {st}  {len(raw):>9} bytes  {q}")
        plan = c.pg.psql(db, "EXPLAIN ANALYZE SELECT * FROM cbd_report_breaches("
                         "'2026-10-01', '2026-10-08')")
        print("\n".join(r[0] for r in plan[-3:]))
        d.stop()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
