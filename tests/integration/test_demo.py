"""The demo data (tools/demo-data): the same rows for the same seed, others
for another, and what scripts/demo.sh promises a newcomer: four sites,
arrivals peaking on Monday mornings, the urgent share asked for,
breaches with reasons, compliance per site and day, and open callbacks a
caseworker's token can claim, served by the daemon on the config of the
demo (callbackd.ini.example)."""

import datetime
import json
import os
import subprocess

import harness
from harness import wait_for

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GENERATOR = os.path.join(TOP, "tools", "demo-data")
PLAN = os.path.join(os.path.dirname(harness.CALLBACKD), "tools", "demo-plan")

# Every row the generator writes, without what is random by nature
# (callback UUIDs, token hashes) and the numbers of alerts that fell due at
# one moment (cbd_alerts_take takes them in an order PostgreSQL chooses):
# a callback's rows are named by its phone and request time instead.
ROWS = """
WITH k AS (SELECT id, phone || ' ' || requested_at AS k FROM callbacks)
SELECT count(*) || ' ' || md5(string_agg(r, E'\\n' ORDER BY r)) FROM (
    SELECT 'c' || (to_jsonb(c) - 'id')::text FROM callbacks c
    UNION ALL SELECT 'e' || k.k || (to_jsonb(e) - 'callback_id')::text
        FROM events e JOIN k ON k.id = e.callback_id
    UNION ALL SELECT 'a' || k.k || (to_jsonb(a) - 'callback_id')::text
        FROM attempts a JOIN k ON k.id = a.callback_id
    UNION ALL SELECT 'l' || k.k || (to_jsonb(l) - 'callback_ids')::text
        FROM access_log l JOIN k ON k.id = l.callback_ids[1]
    UNION ALL SELECT 'x' || k.k || (to_jsonb(x) - 'callback_id' - 'id')::text
        FROM alerts x JOIN k ON k.id = x.callback_id
    UNION ALL SELECT 'w' || to_jsonb(w)::text FROM caseworkers w
    UNION ALL SELECT 'd' || to_jsonb(d)::text FROM admin_events d
    UNION ALL SELECT 't' || (to_jsonb(t) - 'hash')::text FROM tokens t) s(r)
"""


def demo_config(t, d, db):
    """The demo's configuration (callbackd.ini.example, as scripts/demo.sh
    edits it) on this test's servers, alerts to the harness's syslog-ng."""
    with open(os.path.join(TOP, "callbackd.ini.example")) as f:
        text = f.read()
    out = []
    for line in text.split("\n"):
        if line.startswith("listen = "):
            line = f"listen = 127.0.0.1:{d.port}"
        elif line.startswith("conninfo = "):
            line = (f"conninfo = host=127.0.0.1 port={t.pg.port} dbname={db} "
                    "user=callbackd")
        elif line == "port = 6379":
            line = f"port = {t.redis.port}"
        elif line.startswith("key_prefix = "):
            line = f"key_prefix = {t.prefix}"
        elif line == "transport = local":
            line = (f"transport = tcp\nhost = 127.0.0.1\n"
                    f"port = {t.cluster.syslog.port}")
        out.append(line)
    path = os.path.join(d.dir, f"demo-{db}.ini")
    with open(path, "w") as f:
        f.write("\n".join(out))
    return path


def generate(conf, *args):
    out = subprocess.run([GENERATOR, "-c", conf, "--plan", PLAN,
                          "--callbackd", harness.CALLBACKD] + list(args),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def fresh(t, d, name):
    """Another database of this test, migrated, with the demo's config."""
    db = f"{t.db}_{name}"
    t.pg.createdb(db)
    conf = demo_config(t, d, db)
    subprocess.run([harness.CALLBACKD, "-c", conf, "--migrate"], check=True,
                   capture_output=True, timeout=60)
    return db, conf


def the_hour():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_demo_data_are_the_same_for_a_seed_and_differ_for_another(t):
    d = t.daemon(start=False)
    now = the_hour()
    got = {}
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        db, conf = fresh(t, d, name)
        generate(conf, "--seed", seed, "--now", now, "--callbacks", "600")
        got[name] = t.pg.scalar(db, ROWS)
        # the clock of the simulation is gone again
        assert t.pg.scalar(db, "SELECT count(*) FROM pg_namespace "
                           "WHERE nspname = 'cbd_demo_clock'") == "0"
    assert int(got["a"].split()[0]) > 600 * 5, got  # events, attempts, alerts too
    assert got["a"] == got["b"], got
    assert got["a"] != got["c"], got
    # a database with callbacks in it is refused, and left as it was
    out = subprocess.run([GENERATOR, "-c", demo_config(t, d, f"{t.db}_a"), "--plan", PLAN,
                          "--callbackd", harness.CALLBACKD],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "empty" in out.stderr, out
    assert t.pg.scalar(f"{t.db}_a", ROWS) == got["a"]


def test_demo_data_show_a_living_agency(t):
    d = t.daemon(start=False)
    conf = demo_config(t, d, t.db)
    now = the_hour()
    end = datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))
    generate(conf, "--seed", "7", "--now", now, "--urgent", "0.1")

    # nothing stamped later than the month it simulates but what lies
    # ahead by nature (due and warning times, windows, leases, expiry)
    ahead = {"due_at", "not_before", "not_after", "lease_until", "alert_at",
             "expires_at", "send_until", "webhook_next_at", "webhook_until"}
    cols = t.sql("SELECT c.table_name, c.column_name FROM information_schema.columns c "
                 "JOIN pg_tables p ON p.schemaname = c.table_schema "
                 "AND p.tablename = c.table_name WHERE c.table_schema = 'public' "
                 "AND c.data_type = 'timestamp with time zone' "
                 "AND c.table_name <> 'schema_migrations'")
    for table, col in cols:
        if col in ahead:
            continue
        late = t.scalar(f"SELECT count(*) FROM {table} WHERE {col} > '{now}'")
        assert late == "0", (table, col, late)

    # four sites, the urgent share asked for, several languages
    sites = dict(t.sql("SELECT site, count(*) FROM callbacks GROUP BY 1"))
    assert sorted(sites) == ["dortmund", "hamm", "soest", "unna"], sites
    total = sum(int(v) for v in sites.values())
    assert 3000 <= total <= 6000, total
    urgent = int(t.scalar("SELECT count(*) FROM callbacks WHERE urgent"))
    assert 0.07 <= urgent / total <= 0.13, urgent / total
    langs = {r[0] for r in t.sql("SELECT DISTINCT language FROM callbacks")}
    assert {"de", "tr", "ar", "ru", "uk", "en"} <= langs, langs
    # over the whole days (today's is under way): the busiest hour of the
    # week is a Monday morning, and the days get quieter towards the weekend
    local = "(requested_at AT TIME ZONE 'Europe/Berlin')"
    whole = f"WHERE {local}::date < ('{now}'::timestamptz AT TIME ZONE 'Europe/Berlin')::date"
    peak = t.sql(f"SELECT extract(isodow FROM {local}), extract(hour FROM {local}) "
                 f"FROM callbacks {whole} GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1")[0]
    assert peak[0] == "1" and 8 <= int(peak[1]) <= 10, peak
    per_day = dict(t.sql(f"SELECT extract(isodow FROM {local}), count(*) FROM callbacks "
                         f"{whole} GROUP BY 1"))
    n = [int(per_day.get(str(i), 0)) for i in range(1, 8)]
    assert n[0] > n[1] > n[4] > n[5] > 0 and n[0] == max(n), n
    # every outcome an attempt has
    results = {r[0] for r in t.sql("SELECT DISTINCT result FROM attempts")}
    assert {"reached", "no_answer", "busy", "voicemail", "wrong_number"} <= results

    d.conf = conf
    d.start()
    manager = d.token("manager")
    first = (end - datetime.timedelta(days=28)).strftime("%Y-%m-%d")
    last = end.strftime("%Y-%m-%d")
    st, _, br, _ = d.req("GET", f"/v1/reports/breaches?from={first}&to={last}",
                         token=manager)
    assert st == 200, br
    rows = br["breaches"]
    assert len(rows) >= 30, len(rows)
    by_site = {}
    for r in rows:
        by_site[r["site"]] = by_site.get(r["site"], 0) + 1
        assert r["reason"] in ("open_past_due", "attempted_late", "never_attempted"), r
    # the short-staffed week shows
    assert max(by_site, key=by_site.get) == "hamm", by_site
    st, _, sla, _ = d.req("GET", f"/v1/reports/sla?from={first}&to={last}&group_by=site,day",
                          token=manager)
    assert st == 200, sla
    groups = sla["rows"]
    assert {g["site"] for g in groups} == set(sites), groups[:3]
    decided = [g for g in groups if g["within_target_pct"] is not None]
    assert len(decided) >= 4 * 15, len(decided)

    # demo-plan plans a request as the daemon's intake does
    tel = d.token("telephony")
    asked = (end - datetime.timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for topic, urgent in (("housing_approval", True), ("general", False)):
        st, _, cb, raw = d.req("POST", "/v1/callbacks", {
            "phone": "0231 4440001", "topic": topic, "site": "unna", "urgent": urgent,
            "requested_at": asked}, tel)
        assert st == 201, raw
        ms = int(datetime.datetime.fromisoformat(asked.replace("Z", "+00:00")).timestamp()) * 1000
        out = subprocess.run([PLAN, conf], input=f"plan unna {topic} {int(urgent)} {ms}\n",
                             capture_output=True, text=True, timeout=30).stdout
        due = datetime.datetime.fromtimestamp(json.loads(out)["due_at"] / 1000,
                                              datetime.timezone.utc)
        assert cb["due_at"] == due.strftime("%Y-%m-%dT%H:%M:%S.000Z"), (cb, out)

    # an open callback a caseworker's token (as demo.sh prints) can claim
    site = t.scalar("SELECT site FROM callbacks WHERE state = 'queued' AND assignee IS NULL "
                    "AND (not_before IS NULL OR not_before <= now()) "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    admin = d.token("admin")
    st, _, _, raw = d.req("POST", "/v1/caseworkers", {
        "id": "demo", "site": site, "topics": ["housing_approval", "benefits",
                                               "residence_permit", "general"],
        "languages": ["de", "en", "tr", "ar", "ru", "uk", "pl", "fr"]}, admin)
    assert st == 201, raw
    cw = d.token("caseworker", "demo")
    wait_for("rebuilt index", lambda: "queue index rebuilt" in d.log_tail(100000))
    st, _, q, _ = d.req("GET", "/v1/queue", token=cw)
    assert st == 200 and q["callbacks"], q
    st, _, got, raw = d.req("POST", "/v1/queue/claim", token=cw)
    assert st == 200 and got["callback"]["site"] == site, raw
    assert got["callback"]["phone"].startswith("+49") and "555" in got["callback"]["phone"]
