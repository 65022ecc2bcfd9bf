"""The forecast of breaches (GET /v1/reports/forecast), its inputs from
history and from a site's staffing plan, its forms (JSON, CSV, CSV for
German spreadsheets), the refused parameters, the forecast alert once per
site, topic and day with two daemons on one database, and the gauge
callbackd_forecast_breaches. History and backlog are written as rows with
known times, so that each number can be counted by hand: the harness's
sites are 24x7 calendars, on UTC."""

import csv
import datetime
import io
import re
import zoneinfo

from harness import wait_for
from test_alerts import local_syslog_daemon, parse as parse_alert, received_once_bound, \
    taken_again_twice
from test_metrics import parse as parse_metrics, value

UTC = datetime.timezone.utc
PHONES = iter(range(4000000, 4999999))


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def away_from_midnight(minutes=3):
    """History is the whole days before today (UTC on a 24x7 site), and
    the alert looks at the rest of today: a row written a moment before
    midnight would be history, or tomorrow's, a moment later. Waits, at
    most that many minutes, until midnight is not that close."""
    def far():
        now = datetime.datetime.now(UTC)
        end = now.replace(hour=0, minute=0, second=0, microsecond=0) + \
            datetime.timedelta(days=1)
        return (end - now).total_seconds() > minutes * 60
    wait_for("a time far from midnight", far, timeout=minutes * 60 + 30, interval=1)


def edit(d, sites=None, alerts=(), daemon=()):
    """Adds lines to the config before the daemon starts: per site (name ->
    lines), to [alerts] and to [daemon]."""
    with open(d.conf) as f:
        text = f.read()
    for name, lines in (sites or {}).items():
        head = f"[site {name}]\ncalendar = 24x7\n"
        assert head in text
        text = text.replace(head, head + "".join(f"{x}\n" for x in lines), 1)
    text = text.replace("[alerts]\n", "[alerts]\n" + "".join(f"{x}\n" for x in alerts), 1)
    text = text.replace("[daemon]\n", "[daemon]\n" + "".join(f"{x}\n" for x in daemon), 1)
    with open(d.conf, "w") as f:
        f.write(text)


def open_callbacks(t, n, site="dortmund", topic="general", first_min=30, step_min=10):
    """n open callbacks, not attempted, requested a minute ago, due from
    first_min minutes from now, one each step_min minutes; their due times."""
    now = datetime.datetime.now(UTC)
    dues = [now + datetime.timedelta(minutes=first_min + i * step_min) for i in range(n)]
    rows = ",\n".join(
        f"('+49231{next(PHONES)}', '{topic}', '{site}', false, 'queued', "
        f"'{iso(now - datetime.timedelta(minutes=1))}', "
        f"'{iso(now - datetime.timedelta(minutes=1))}', '{iso(due)}', "
        f"'Erika Mustermann', 'KD-4711')" for due in dues)
    t.sql("INSERT INTO callbacks (phone, topic, site, urgent, state, requested_at, "
          f"received_at, due_at, name, customer_ref) VALUES {rows};")
    return dues


def history(t, at, topic="general", site="dortmund", urgent=False):
    """One closed callback requested at `at`; its id."""
    return t.scalar(
        "INSERT INTO callbacks (phone, topic, site, urgent, state, requested_at, "
        "received_at, due_at, first_attempt_at, reached_at, closed_at) VALUES "
        f"('+49231{next(PHONES)}', '{topic}', '{site}', {str(urgent).lower()}, "
        f"'completed', '{iso(at)}', '{iso(at)}', '{iso(at + datetime.timedelta(hours=48))}', "
        f"'{iso(at)}', '{iso(at)}', '{iso(at)}') RETURNING id")


def forecast(d, token, query="", status=200):
    st, hdrs, body, raw = d.req("GET", "/v1/reports/forecast" + query, token=token)
    assert st == status, (st, raw[:400])
    return body, raw, hdrs


def site_of(body, name):
    return next(s for s in body["sites"] if s["site"] == name)


def topic_of(site, name):
    return next(x for x in site["topics"] if x["topic"] == name)


def ms_of(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_forecast_without_staffing_projects_every_open_callback_due_soon_to_breach_first_at_the_earliest(t):
    away_from_midnight()
    d = t.daemon()
    manager = d.token("manager")
    dues = open_callbacks(t, 10)
    body, _, _ = forecast(d, manager)
    assert body["horizon"] == "48h" and body["history_weeks"] == 4, body
    assert ms_of(body["to"]) - ms_of(body["from"]) == datetime.timedelta(hours=48)
    assert [s["site"] for s in body["sites"]] == ["dortmund", "soest"], body
    dortmund = site_of(body, "dortmund")
    # no staffing plan, no work in the history: nobody to call them back
    assert dortmund["staffing"] == "history", dortmund
    assert dortmund["capacity_hours"] == 0, dortmund
    assert dortmund["breaches"] == 10, dortmund
    assert abs(ms_of(dortmund["first_breach_at"]) - dues[0]) < datetime.timedelta(seconds=1)
    assert dortmund["extra_hours_per_day"] > 0, dortmund
    # on a 24x7 calendar staffing saves each of them
    assert dortmund["unavoidable"] == 0, dortmund
    general = topic_of(dortmund, "general")
    assert general["backlog"] == 10 and general["breaches"] == 10, general
    assert general["arrivals"] == 0 and general["urgent_arrivals"] == 0, general
    by_day = {}
    for due in dues:
        by_day[due.strftime("%Y-%m-%d")] = by_day.get(due.strftime("%Y-%m-%d"), 0) + 1
    assert general["backlog_by_due"] == [{"date": k, "count": v}
                                         for k, v in sorted(by_day.items())], general
    assert topic_of(dortmund, "benefits") == {
        "topic": "benefits", "backlog": 0, "retries": 0, "backlog_by_due": [], "arrivals": 0,
        "urgent_arrivals": 0, "breaches": 0, "first_breach_at": None}
    soest = site_of(body, "soest")
    assert soest["breaches"] == 0 and soest["first_breach_at"] is None, soest
    assert soest["extra_hours_per_day"] == 0, soest
    # one site and one topic: the site's figures stay the whole site's
    one, _, _ = forecast(d, manager, "?site=dortmund&topic=benefits&horizon=2d")
    assert one["horizon"] == "2d" and [s["site"] for s in one["sites"]] == ["dortmund"]
    assert one["sites"][0]["breaches"] == 10
    assert [x["topic"] for x in one["sites"][0]["topics"]] == ["benefits"]


def test_forecast_with_a_staffing_plan_that_covers_the_backlog_projects_no_breach(t):
    away_from_midnight()
    d = t.daemon(start=False)
    # ten caseworkers around the clock, four callbacks an hour each (no
    # attempts in the history: the stated default): the ten callbacks take
    # 15 caseworker-minutes, done in a minute and a half of the first
    # 30 minutes
    edit(d, sites={"dortmund": ["staffing = sun-sat 00:00-24:00 10"]})
    d.start()
    manager = d.token("manager")
    open_callbacks(t, 10)
    dortmund = site_of(forecast(d, manager)[0], "dortmund")
    assert dortmund["staffing"] == "plan", dortmund
    assert dortmund["capacity_hours"] == 480, dortmund
    assert dortmund["breaches"] == 0 and dortmund["first_breach_at"] is None, dortmund
    assert dortmund["extra_hours_per_day"] == 0, dortmund
    assert topic_of(dortmund, "general")["backlog"] == 10
    # soest has no plan: history, which is empty
    assert site_of(forecast(d, manager)[0], "soest")["staffing"] == "history"


def test_forecast_works_retries_first_and_never_counts_them_as_breaches(t):
    """Callbacks attempted already (their promise kept) wait for another
    attempt; from their not_before they rank first in the queue, by their
    past due times, and take caseworker time: one caseworker, four such
    retries claimable now (an hour's work at the default four an hour),
    and a new callback due in 30 minutes breaches. With the retries
    waiting two more hours, it does not."""
    away_from_midnight()
    d = t.daemon(start=False)
    edit(d, sites={"dortmund": ["staffing = sun-sat 00:00-24:00 1"]})
    d.start()
    manager = d.token("manager")
    due = open_callbacks(t, 1)[0]
    now = datetime.datetime.now(UTC)
    # requested 50 h ago: due 2 h ago, so ranked before the new one
    ids = [history(t, now - datetime.timedelta(hours=50)) for _ in range(4)]
    where = "WHERE id IN (" + ",".join(f"'{i}'" for i in ids) + ")"
    # open again, waiting for a second attempt since an hour ago
    t.sql("UPDATE callbacks SET state = 'queued', closed_at = NULL, reached_at = NULL, "
          f"not_before = '{iso(now - datetime.timedelta(hours=1))}' {where}")
    dortmund = site_of(forecast(d, manager)[0], "dortmund")
    general = topic_of(dortmund, "general")
    assert general["backlog"] == 1 and general["retries"] == 4, general
    assert [x["count"] for x in general["backlog_by_due"]] == [1], general
    assert dortmund["breaches"] == 1 and general["breaches"] == 1, dortmund
    assert abs(ms_of(dortmund["first_breach_at"]) - due) < datetime.timedelta(seconds=1)
    assert dortmund["unavoidable"] == 0 and dortmund["extra_hours_per_day"] > 0, dortmund
    t.sql(f"UPDATE callbacks SET not_before = '{iso(now + datetime.timedelta(hours=2))}' {where}")
    dortmund = site_of(forecast(d, manager)[0], "dortmund")
    assert topic_of(dortmund, "general")["retries"] == 4
    assert dortmund["breaches"] == 0 and dortmund["extra_hours_per_day"] == 0, dortmund


def test_forecast_arrivals_and_staffing_come_from_the_weeks_of_history_asked_for(t):
    away_from_midnight()
    d = t.daemon()
    manager = d.token("manager")
    now = datetime.datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    slot = hour + datetime.timedelta(hours=3)   # arrivals of this hour of the week
    work = hour + datetime.timedelta(hours=5)   # and work in this one
    week = datetime.timedelta(days=7)
    # requests in the slot 1, 2, 3 and 4 weeks ago: 4, 2, 0, 2 of them,
    # one urgent each week that has any
    per_week = {1: 4, 2: 2, 3: 0, 4: 2}
    ids = []
    for w, n in per_week.items():
        for i in range(n):
            ids.append(history(t, slot - w * week + datetime.timedelta(minutes=5 + i),
                               urgent=(i == 0)))
    # somewhere else in the week, outside the 48 hours: not expected
    history(t, slot - week - datetime.timedelta(hours=60))
    # work: 1 week ago anna and ben made an attempt and carla claimed one
    # in the work hour; 2 weeks ago anna alone
    t.sql(f"""
        INSERT INTO attempts (callback_id, at, actor, result) VALUES
          ('{ids[0]}', '{iso(work - week + datetime.timedelta(minutes=1))}', 'anna', 'reached'),
          ('{ids[1]}', '{iso(work - week + datetime.timedelta(minutes=2))}', 'ben', 'reached'),
          ('{ids[2]}', '{iso(work - week + datetime.timedelta(minutes=3))}', 'anna', 'reached'),
          ('{ids[4]}', '{iso(work - 2 * week + datetime.timedelta(minutes=1))}', 'anna', 'reached');
        INSERT INTO events (callback_id, at, actor, kind) VALUES
          ('{ids[3]}', '{iso(work - week + datetime.timedelta(minutes=4))}', 'carla', 'claimed');
    """)
    cases = {
        # weeks: (arrivals, urgent, caseworker-hours)
        4: ((4 + 2 + 0 + 2) / 4, 3 / 4, (3 + 1) / 4),
        2: ((4 + 2) / 2, 2 / 2, (3 + 1) / 2),
        1: (4 / 1, 1 / 1, 3 / 1),
    }
    for weeks, (arrivals, urgent, hours) in cases.items():
        body, _, _ = forecast(d, manager, f"?site=dortmund&weeks={weeks}")
        assert body["history_weeks"] == weeks
        dortmund = body["sites"][0]
        general = topic_of(dortmund, "general")
        assert general["arrivals"] == arrivals, (weeks, general)
        assert general["urgent_arrivals"] == urgent, (weeks, general)
        assert dortmund["capacity_hours"] == hours, (weeks, dortmund)
        assert general["backlog"] == 0, general
        assert topic_of(dortmund, "benefits")["arrivals"] == 0


def test_forecast_csv_has_a_row_per_site_and_topic_with_the_json_figures(t):
    away_from_midnight()
    d = t.daemon(start=False)
    edit(d, sites={"soest": ["staffing = mon-fri 08:00-12:00 1.5"]})
    d.start()
    manager = d.token("manager")
    open_callbacks(t, 3)
    body, _, _ = forecast(d, manager)
    _, raw, hdrs = forecast(d, manager, "?format=csv")
    assert hdrs["content-type"].startswith("text/csv"), hdrs
    assert "callbackd-forecast.csv" in hdrs.get("content-disposition", ""), hdrs
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    # each identifier with its label beside it (the harness names none: the
    # identifier stands in)
    assert list(rows[0]) == ["site", "site_label", "staffing", "capacity_hours",
                             "site_breaches", "site_first_breach_at",
                             "extra_hours_per_day", "topic", "topic_label", "backlog", "retries",
                             "arrivals", "urgent_arrivals", "breaches", "first_breach_at"], rows[0]
    topics = ["housing_approval", "benefits", "general", "quick"]
    assert [(r["site"], r["topic"]) for r in rows] == \
        [(s, x) for s in ("dortmund", "soest") for x in topics], rows
    for r in rows:
        s = site_of(body, r["site"])
        x = topic_of(s, r["topic"])
        assert r["site_label"] == r["site"] and r["topic_label"] == r["topic"]
        assert r["staffing"] == s["staffing"]
        assert float(r["capacity_hours"]) == s["capacity_hours"]
        assert int(r["site_breaches"]) == s["breaches"]
        assert int(r["backlog"]) == x["backlog"] and int(r["breaches"]) == x["breaches"]
        assert int(r["retries"]) == x["retries"]
        assert float(r["arrivals"]) == x["arrivals"]
        assert (r["first_breach_at"] or None) == x["first_breach_at"]
        assert float(r["extra_hours_per_day"]) == s["extra_hours_per_day"]
    general = next(r for r in rows if r["site"] == "dortmund" and r["topic"] == "general")
    assert general["backlog"] == "3" and general["breaches"] == "3", general
    assert site_of(body, "soest")["staffing"] == "plan"
    _, raw, _ = forecast(d, manager, "?format=csv-excel")
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    lines = raw[3:].decode().split("\r\n")
    assert lines[0].startswith("site;site_label;staffing;capacity_hours;"), lines[0]
    soest = next(x for x in lines if x.startswith("soest;soest;plan;"))
    # capacity with a decimal comma, never a point
    assert re.match(r"soest;soest;plan;\d+,\d\d;", soest) and "." not in soest.split(";")[3], soest


def test_forecast_refuses_bad_parameters_naming_the_field(t):
    d = t.daemon()
    manager = d.token("manager")
    for query, field in (("horizon=0", "horizon"), ("horizon=15d", "horizon"),
                         ("horizon=abc", "horizon"), ("horizon=-1h", "horizon"),
                         ("weeks=0", "weeks"), ("weeks=13", "weeks"),
                         ("weeks=2x", "weeks"), ("weeks=", "weeks"),
                         ("site=nowhere", "site"), ("topic=nope", "topic"),
                         ("format=xml", "format"), ("lang=fr", "lang")):
        body, _, _ = forecast(d, manager, "?" + query, status=400)
        assert body["error"]["code"] == "invalid_value", (query, body)
        assert body["error"]["field"] == field, (query, body)
    # the longest horizon and the most weeks are taken
    forecast(d, manager, "?horizon=14d&weeks=12")
    # the manager's report only
    for role in ("telephony", "agent", "admin"):
        st, _, body, _ = d.req("GET", "/v1/reports/forecast", token=d.token(role))
        assert st == 403 and body["error"]["code"] == "forbidden", (role, st, body)
    assert d.req("GET", "/v1/reports/forecast")[0] == 401


def test_forecast_staffing_plan_that_is_malformed_is_refused_with_file_and_line(t):
    d = t.daemon(start=False)
    edit(d, sites={"dortmund": ["staffing = mon-fri 08:00 4"]})
    with open(d.conf) as f:
        line = f.read().split("\n").index("staffing = mon-fri 08:00 4") + 1
    out = d.run("--check-config", check=False)
    assert out.returncode != 0
    assert f"callbackd.ini:{line}: staffing: " in out.stderr, out.stderr
    assert "08:00-12:00" in out.stderr, out.stderr


def runs(d):
    st, _, _, raw = d.req("GET", "/metrics")
    assert st == 200
    return value(parse_metrics(raw.decode()), "callbackd_forecast_runs_total")


def forecast_alerts(t):
    """The forecast alerts syslog-ng received: (parsed, raw line)."""
    out = []
    for line in t.cluster.syslog.lines():
        p = parse_alert(line)
        if p and p["sd"].get("level") == "forecast":
            out.append((p, line))
    return out


def test_forecast_alert_goes_out_once_per_site_topic_and_day_from_two_daemons(t):
    away_from_midnight(15)
    # the site and topic names are those of every test: this one's alerts
    # are told apart by a topic only its config has
    d1 = t.daemon(start=False)
    d2 = t.daemon(start=False, name="d2")
    for d in (d1, d2):
        with open(d.conf) as f:
            text = f.read()
        with open(d.conf, "w") as f:
            f.write(text.replace("[topic general]\n", f"[topic fc_{t.db}]\ntarget = 48h\n\n"
                                 "[topic general]\n", 1))
        edit(d, alerts=["forecast_breaches = 5"], daemon=["forecast_interval = 200ms"])
    topic = f"fc_{t.db}"
    dues = open_callbacks(t, 10, topic=topic, first_min=1, step_min=1)
    open_callbacks(t, 3, topic="benefits", first_min=1)  # below the threshold
    d1.start()
    d2.start()
    wait_for("the alert's row", lambda: t.scalar(
        "SELECT count(*) FROM forecast_alerts WHERE sent_at IS NOT NULL") == "1", timeout=20)
    # both daemons run twice more after it went out: none sends it again
    seen = (runs(d1), runs(d2))
    wait_for("two more runs on each", lambda: runs(d1) >= seen[0] + 2 and
             runs(d2) >= seen[1] + 2, timeout=20)

    def mine():
        return [(p, line) for p, line in forecast_alerts(t) if p["sd"].get("topic") == topic]
    wait_for("syslog-ng has it", lambda: len(mine()) >= 1, timeout=10)
    got = mine()
    assert len(got) == 1, got
    p, line = got[0]
    today = datetime.datetime.now(UTC).strftime("%Y-%m-%d")
    assert p["sd"]["site"] == "dortmund" and p["sd"]["day"] == today, p
    assert p["sd"]["breaches"] == "10" and p["sd"]["threshold"] == "5", p
    assert abs(ms_of(p["sd"]["first_breach"]) - dues[0]) < datetime.timedelta(seconds=1), p
    assert "Mustermann" not in line and "KD-4711" not in line and "+49231" not in line, line
    assert t.scalar("SELECT count(*) FROM forecast_alerts") == "1"
    sent = [value(parse_metrics(d.req("GET", "/metrics")[3].decode()),
                  "callbackd_alerts_sent_total", level="forecast") for d in (d1, d2)]
    assert sorted(sent) == [0, 1], sent
    assert t.scalar(f"SELECT site || ' ' || topic || ' ' || day FROM forecast_alerts") == \
        f"dortmund {topic} {today}"


def test_forecast_breaches_gauge_shows_what_the_last_run_projected(t):
    away_from_midnight()
    d = t.daemon(start=False)
    open_callbacks(t, 7)
    d.start()

    def gauge(site, topic):
        st, _, _, raw = d.req("GET", "/metrics")
        samples = parse_metrics(raw.decode())
        key = ("callbackd_forecast_breaches", frozenset({"site": site, "topic": topic}.items()))
        return samples.get(key)
    wait_for("the first forecast run", lambda: gauge("dortmund", "general") is not None,
             timeout=15)
    assert gauge("dortmund", "general") == 7
    assert gauge("dortmund", "benefits") == 0
    assert gauge("soest", "general") == 0


def test_forecast_alert_is_logged_once_when_it_goes_out(t):
    """With the syslog socket missing the forecast alert stays taken and
    is taken again each time its claim runs out; the daemon's log line
    about it comes once, when it has gone out."""
    away_from_midnight(15)
    d, path = local_syslog_daemon(t)
    with open(d.conf) as f:
        text = f.read()
    topic = f"fc_{t.db}"
    with open(d.conf, "w") as f:
        f.write(text.replace("[topic general]\n", f"[topic {topic}]\ntarget = 48h\n\n[topic general]\n", 1))
    edit(d, alerts=["forecast_breaches = 5"], daemon=["forecast_interval = 200ms"])
    open_callbacks(t, 10, topic=topic, first_min=1, step_min=1)
    d.start()
    mine = f"WHERE topic = '{topic}'"
    wait_for("the alert taken", lambda: t.scalar(
        f"SELECT count(*) FROM forecast_alerts {mine}") == "1", timeout=20)

    def lines():
        with open(d.log, errors="replace") as f:
            return [x for x in f if f"alert: forecast for site dortmund, topic {topic}:" in x]

    taken_again_twice(t, "forecast_alerts", mine, 20)
    assert lines() == [], lines()

    got = received_once_bound(t, path, "forecast_alerts", mine, 1, 20)[0]
    assert topic in got and "Mustermann" not in got, got
    assert len(lines()) == 1, lines()


def test_forecast_names_each_site_its_own_today_and_last_day(t):
    """The due days of the backlog are the site's local dates; the page
    decides which of them are overdue by the site's today, not by the
    browser's or UTC's. Two time zones 25 hours apart have different
    dates at every moment."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    days = "".join(f"{day} = 00:00-24:00\n" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    for site, zone in (("dortmund", "Pacific/Pago_Pago"), ("soest", "Pacific/Kiritimati")):
        head = f"[site {site}]\ncalendar = 24x7\n"
        assert head in text
        text = text.replace(head, f"[calendar z_{site}]\ntimezone = {zone}\n{days}\n"
                                  f"[site {site}]\ncalendar = z_{site}\n", 1)
    with open(d.conf, "w") as f:
        f.write(text)
    d.start()
    body, _, _ = forecast(d, d.token("manager"))
    start, end = ms_of(body["from"]), ms_of(body["to"])
    for site, zone in (("dortmund", "Pacific/Pago_Pago"), ("soest", "Pacific/Kiritimati")):
        s = site_of(body, site)
        z = zoneinfo.ZoneInfo(zone)
        assert s["today"] == start.astimezone(z).strftime("%Y-%m-%d"), (s, body["from"])
        assert s["until"] == end.astimezone(z).strftime("%Y-%m-%d"), (s, body["to"])
    assert site_of(body, "dortmund")["today"] < site_of(body, "soest")["today"], body
