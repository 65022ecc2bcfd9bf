"""SLA and breach reports against hand-counted fixtures: groups, periods,
a DST day, an empty period, JSON, CSV and CSV for German spreadsheets."""

import csv
import io
import json
import re

FIXTURE = """
INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
    requested_at, received_at, due_at, first_attempt_at, reached_at, closed_at)
VALUES
 -- A: dortmund, first attempt after 1 h, reached: within target
 ('+492310000001', 'general', 'dortmund', false, 'completed', 1,
  '2026-11-02T09:00Z', '2026-11-02T09:00Z', '2026-11-04T09:00Z',
  '2026-11-02T10:00Z', '2026-11-02T10:00Z', '2026-11-02T10:00Z'),
 -- B: dortmund, first attempt after 50 h: attempted late by 120 min
 ('+492310000002', 'general', 'dortmund', false, 'completed', 1,
  '2026-11-02T10:00Z', '2026-11-02T10:00Z', '2026-11-04T10:00Z',
  '2026-11-04T12:00Z', '2026-11-04T12:00Z', '2026-11-04T12:00Z'),
 -- C: soest, urgent, never attempted, still open: open past due
 ('+492310000003', 'housing_approval', 'soest', true, 'queued', 1,
  '2026-11-03T08:00Z', '2026-11-03T08:00Z', '2026-11-03T10:00Z',
  NULL, NULL, NULL),
 -- D: soest, attempted after 30 min, never reached: unreachable
 ('+492310000004', 'general', 'soest', false, 'unreachable', 1,
  '2026-11-03T12:00Z', '2026-11-03T12:00Z', '2026-11-05T12:00Z',
  '2026-11-03T12:30Z', NULL, '2026-11-04T12:00Z'),
 -- E: dortmund, asked three times (two merged), attempted and reached after 2 h
 ('+492310000005', 'general', 'dortmund', false, 'completed', 3,
  '2026-11-04T07:00Z', '2026-11-04T07:00Z', '2026-11-06T07:00Z',
  '2026-11-04T09:00Z', '2026-11-04T09:00Z', '2026-11-04T09:00Z'),
 -- F: soest, cancelled 60 h after the request without an attempt: never attempted, 720 min late
 ('+492310000006', 'general', 'soest', false, 'cancelled', 1,
  '2026-11-04T08:00Z', '2026-11-04T08:00Z', '2026-11-06T08:00Z',
  NULL, NULL, '2026-11-06T20:00Z'),
 -- G: outside the period
 ('+492310000007', 'general', 'dortmund', false, 'completed', 1,
  '2026-10-01T08:00Z', '2026-10-01T08:00Z', '2026-10-03T08:00Z',
  '2026-10-01T09:00Z', '2026-10-01T09:00Z', '2026-10-01T09:00Z'),
 -- H and I: both on 25 October 2026 in Berlin (the clocks went back that
 -- night), on the 24th and the 25th in UTC
 ('+492310000008', 'general', 'dortmund', false, 'completed', 1,
  '2026-10-24T22:30Z', '2026-10-24T22:30Z', '2026-10-26T22:30Z',
  '2026-10-24T23:30Z', '2026-10-24T23:30Z', '2026-10-24T23:30Z'),
 ('+492310000009', 'general', 'dortmund', false, 'completed', 1,
  '2026-10-25T22:30Z', '2026-10-25T22:30Z', '2026-10-27T22:30Z',
  '2026-10-25T23:00Z', '2026-10-25T23:00Z', '2026-10-25T23:00Z');
"""

PERIOD = "from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z"


def setup(t):
    d = t.daemon()
    t.sql(FIXTURE)
    return d, d.token("manager")


def test_sla_report_by_site_matches_hand_count(t):
    d, mgr = setup(t)
    st, _, rep, _ = d.req("GET", f"/v1/reports/sla?{PERIOD}&group_by=site", token=mgr)
    assert st == 200, rep
    rows = {r["site"]: r for r in rep["rows"]}
    assert set(rows) == {"dortmund", "soest"}
    assert set(rows["dortmund"]) >= {"requests", "merged_requests", "within_target",
                                     "within_target_pct", "breached", "open_at_risk",
                                     "unreachable", "first_attempt_p50_min",
                                     "first_attempt_p90_min", "first_attempt_max_min",
                                     "reach_p50_min", "reach_p90_min", "reach_max_min"}
    assert "topic" not in rows["dortmund"] and "day" not in rows["dortmund"]
    dm, so = rows["dortmund"], rows["soest"]
    assert (dm["requests"], dm["merged_requests"], dm["within_target"],
            dm["breached"], dm["unreachable"]) == (3, 2, 2, 1, 0)
    assert dm["within_target_pct"] == 66.7
    # first attempts after 60, 3000 and 120 minutes
    assert (dm["first_attempt_p50_min"], dm["first_attempt_p90_min"],
            dm["first_attempt_max_min"]) == (120.0, 2424.0, 3000.0)
    assert (so["requests"], so["merged_requests"], so["within_target"],
            so["breached"], so["unreachable"]) == (3, 0, 1, 2, 1)
    assert so["within_target_pct"] == 33.3
    assert so["first_attempt_max_min"] == 30.0 and so["reach_p50_min"] is None


def test_report_numbers_in_json_read_as_in_the_csv(t):
    d, mgr = setup(t)
    q = f"/v1/reports/sla?{PERIOD}&group_by=site"
    raw = d.req("GET", q, token=mgr)[3]
    # the numbers as written, not as Python reads them
    rows = json.loads(raw, parse_float=str, parse_int=str)["rows"]
    csv_rows = list(csv.DictReader(io.StringIO(d.req("GET", q + "&format=csv",
                                                     token=mgr)[3].decode())))
    assert len(rows) == len(csv_rows) == 2
    for j, c in zip(rows, csv_rows):
        for k, v in j.items():
            if v is not None and not isinstance(v, bool):
                assert v == c[k], (k, v, c[k])
    assert b'"within_target_pct":66.7,' in raw and b'"within_target_pct":33.3,' in raw
    for kind in ("sla", "breaches"):
        raw = d.req("GET", f"/v1/reports/{kind}?{PERIOD}", token=mgr)[3]
        assert not re.search(rb"\d\.\d{6,}", raw), raw


def test_sla_report_by_day_counts_the_dst_day_once(t):
    d, mgr = setup(t)
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-10-24T00:00:00Z"
                          "&to=2026-10-27T00:00:00Z&group_by=day", token=mgr)
    assert st == 200
    assert [(r["day"], r["requests"]) for r in rep["rows"]] == [("2026-10-25", 2)]
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-10-24T00:00:00Z"
                          "&to=2026-10-27T00:00:00Z&group_by=day&tz=UTC", token=mgr)
    assert [(r["day"], r["requests"]) for r in rep["rows"]] == \
        [("2026-10-24", 1), ("2026-10-25", 1)]


def test_sla_report_groups_combine(t):
    d, mgr = setup(t)
    st, _, rep, _ = d.req("GET", f"/v1/reports/sla?{PERIOD}&group_by=site,urgency,topic",
                          token=mgr)
    assert st == 200
    got = sorted((r["site"], r["topic"], r["urgent"], r["requests"]) for r in rep["rows"])
    assert got == [("dortmund", "general", False, 3), ("soest", "general", False, 2),
                   ("soest", "housing_approval", True, 1)]
    st, _, rep, _ = d.req("GET", f"/v1/reports/sla?{PERIOD}", token=mgr)
    assert len(rep["rows"]) == 1 and rep["rows"][0]["requests"] == 6


def test_breach_report_gives_reasons(t):
    d, mgr = setup(t)
    st, _, rep, _ = d.req("GET", f"/v1/reports/breaches?{PERIOD}", token=mgr)
    assert st == 200
    got = [(b["site"], b["reason"], b["minutes_late"]) for b in rep["breaches"]]
    assert got[0] == ("soest", "open_past_due", got[0][2])  # still growing
    assert got[1:] == [("dortmund", "attempted_late", 120.0),
                       ("soest", "never_attempted", 720.0)]
    assert rep["breaches"][1]["due_at"] == "2026-11-04T10:00:00.000Z"
    assert all("phone" not in b for b in rep["breaches"])


def test_reports_as_csv_and_for_german_spreadsheets(t):
    d, mgr = setup(t)
    st, h, _, raw = d.req("GET", f"/v1/reports/sla?{PERIOD}&group_by=site&format=csv",
                          token=mgr)
    assert st == 200 and h["content-type"].startswith("text/csv")
    assert raw.endswith(b"\r\n")
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert [(r["site"], r["requests"], r["within_target_pct"]) for r in rows] == \
        [("dortmund", "3", "66.7"), ("soest", "3", "33.3")]
    st, h, _, raw = d.req("GET", f"/v1/reports/sla?{PERIOD}&group_by=site"
                          "&format=csv-excel", token=mgr)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode()), delimiter=";"))
    assert rows[0]["within_target_pct"] == "66,7"
    assert rows[0]["first_attempt_p90_min"] == "2424,0"
    st, _, _, raw = d.req("GET", f"/v1/reports/breaches?{PERIOD}&format=csv", token=mgr)
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert [r["reason"] for r in rows] == ["open_past_due", "attempted_late",
                                           "never_attempted"]


def test_empty_period_and_bad_parameters(t):
    d, mgr = setup(t)
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2020-01-01T00:00:00Z"
                          "&to=2020-02-01T00:00:00Z&group_by=site", token=mgr)
    assert st == 200 and rep["rows"] == []
    st, _, _, raw = d.req("GET", "/v1/reports/sla?from=2020-01-01T00:00:00Z"
                          "&to=2020-02-01T00:00:00Z&format=csv", token=mgr)
    assert raw.decode().count("\r\n") == 1  # the header only
    for q, field in (("group_by=colour", "group_by"), ("format=xml", "format"),
                     ("from=yesterday", "from"), ("tz=Mars/Olympus", "tz"),
                     ("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from")):
        st, _, err, _ = d.req("GET", f"/v1/reports/sla?{q}", token=mgr)
        assert st == 400 and err["error"]["field"] == field, (q, err)
    assert d.req("GET", "/v1/reports/sla", token=d.token("agent"))[0] == 403


def test_compliance_counts_only_what_is_decided(t):
    d = t.daemon()
    mgr = d.token("manager")
    # two open callbacks requested an hour ago with 18 hours left, and one
    # open and already overdue (a breach, not pending)
    t.sql("""
INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
    requested_at, received_at, due_at)
VALUES
 ('+492310000101', 'general', 'dortmund', false, 'queued', 1,
  now() - interval '1 hour', now() - interval '1 hour', now() + interval '18 hours'),
 ('+492310000102', 'general', 'dortmund', false, 'queued', 1,
  now() - interval '1 hour', now() - interval '1 hour', now() + interval '18 hours'),
 ('+492310000103', 'general', 'soest', false, 'queued', 1,
  now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 minute');
""")
    q = "/v1/reports/sla?group_by=site"
    st, _, rep, _ = d.req("GET", q, token=mgr)
    assert st == 200, rep
    rows = {r["site"]: r for r in rep["rows"]}
    dm, so = rows["dortmund"], rows["soest"]
    # nothing decided in dortmund yet: no percentage, not 0 %
    assert dm["within_target_pct"] is None, dm
    assert (dm["requests"], dm["within_target"], dm["breached"], dm["pending"]) == \
        (2, 0, 0, 2), dm
    # open and overdue is breached already
    assert (so["requests"], so["breached"], so["pending"], so["within_target_pct"]) == \
        (1, 1, 0, 0.0), so
    for fmt, sep in (("csv", ","), ("csv-excel", ";")):
        raw = d.req("GET", q + "&format=" + fmt, token=mgr)[3].decode().lstrip("\ufeff")
        got = {r["site"]: r for r in csv.DictReader(io.StringIO(raw), delimiter=sep)}
        assert (got["dortmund"]["pending"], got["dortmund"]["within_target_pct"]) == \
            ("2", ""), (fmt, raw)
        assert got["soest"]["within_target_pct"] in ("0.0", "0,0"), (fmt, raw)


def test_sla_percentage_leaves_out_what_is_pending(t):
    d, mgr = setup(t)
    # one within target and one still pending at dortmund on top of the fixture
    t.sql("""
INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
    requested_at, received_at, due_at)
VALUES ('+492310000104', 'general', 'dortmund', false, 'queued', 1,
  '2026-11-05T09:00Z', '2026-11-05T09:00Z', now() + interval '1 day');
""")
    st, _, rep, _ = d.req("GET", f"/v1/reports/sla?{PERIOD}&group_by=site", token=mgr)
    dm = {r["site"]: r for r in rep["rows"]}["dortmund"]
    assert (dm["requests"], dm["within_target"], dm["breached"], dm["pending"],
            dm["within_target_pct"]) == (4, 2, 1, 1, 66.7), dm


SPRING = """
INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
    requested_at, received_at, due_at, first_attempt_at, reached_at, closed_at)
VALUES
 -- 00:30 and 23:30 on 29 March 2026 in Berlin (a 23-hour day: the clocks
 -- went forward), and 00:30 on the 30th
 ('+492310000201', 'general', 'dortmund', false, 'completed', 1,
  '2026-03-28T23:30Z', '2026-03-28T23:30Z', '2026-03-30T23:30Z',
  '2026-03-29T00:00Z', '2026-03-29T00:00Z', '2026-03-29T00:00Z'),
 ('+492310000202', 'general', 'dortmund', false, 'completed', 1,
  '2026-03-29T21:30Z', '2026-03-29T21:30Z', '2026-03-31T21:30Z',
  '2026-03-29T22:00Z', '2026-03-29T22:00Z', '2026-03-29T22:00Z'),
 ('+492310000203', 'general', 'dortmund', false, 'completed', 1,
  '2026-03-29T22:30Z', '2026-03-29T22:30Z', '2026-03-31T22:30Z',
  '2026-03-29T23:00Z', '2026-03-29T23:00Z', '2026-03-29T23:00Z');
"""


def test_report_period_as_plain_dates_in_the_report_time_zone(t):
    d, mgr = setup(t)
    t.sql(SPRING)
    # 25 October 2026 in Berlin has 25 hours: H at 00:30 and I at 23:30
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-10-25&to=2026-10-25",
                          token=mgr)
    assert st == 200, rep
    assert (rep["from"], rep["to"]) == ("2026-10-24T22:00:00.000Z",
                                        "2026-10-25T23:00:00.000Z")
    assert [r["requests"] for r in rep["rows"]] == [2]
    # in UTC the same dates hold only I
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-10-25&to=2026-10-25&tz=UTC",
                          token=mgr)
    assert (rep["from"], rep["to"]) == ("2026-10-25T00:00:00.000Z",
                                        "2026-10-26T00:00:00.000Z")
    assert [r["requests"] for r in rep["rows"]] == [1]
    # 29 March 2026 has 23 hours: 00:30 and 23:30 of it, not 00:30 of the 30th
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-03-29&to=2026-03-29"
                          "&group_by=day&tz=Europe/Berlin", token=mgr)
    assert (rep["from"], rep["to"]) == ("2026-03-28T23:00:00.000Z",
                                        "2026-03-29T22:00:00.000Z")
    assert [(r["day"], r["requests"]) for r in rep["rows"]] == [("2026-03-29", 2)]
    # to is the end of its day: the whole of November's first week
    raw = d.req("GET", "/v1/reports/sla?from=2026-11-01&to=2026-11-07&group_by=site"
                "&format=csv", token=mgr)[3]
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert [(r["site"], r["requests"]) for r in rows] == [("dortmund", "3"), ("soest", "3")]
    raw = d.req("GET", "/v1/reports/breaches?from=2026-11-01&to=2026-11-07&format=csv",
                token=mgr)[3]
    assert [r["reason"] for r in csv.DictReader(io.StringIO(raw.decode()))] == \
        ["open_past_due", "attempted_late", "never_attempted"]
    # a date and a time together, and times as before
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?from=2026-10-25"
                          "&to=2026-10-25T12:00:00Z", token=mgr)
    assert st == 200 and rep["from"] == "2026-10-24T22:00:00.000Z", rep
    assert [r["requests"] for r in rep["rows"]] == [1]


def test_report_refuses_bad_dates_naming_the_field(t):
    d, mgr = setup(t)
    for q, code, field in (("from=2026-02-30", "invalid_time", "from"),
                           ("from=2026-11-01&to=2026-13-01", "invalid_time", "to"),
                           ("from=2026-11-1", "invalid_time", "from"),
                           ("from=2026-11-02&to=2026-11-01", "invalid_value", "to"),
                           ("from=2026-11-02T00:00:00Z&to=2026-11-01", "invalid_value",
                            "to")):
        for kind in ("sla", "breaches"):
            for fmt in ("json", "csv"):
                st, _, err, _ = d.req("GET", f"/v1/reports/{kind}?{q}&format={fmt}",
                                      token=mgr)
                assert st == 400 and err["error"]["code"] == code and \
                    err["error"]["field"] == field, (kind, q, err)
                assert field in err["error"]["message"], err


AT_RISK = """
WITH cb AS (
  INSERT INTO callbacks (phone, topic, site, urgent, state, request_count,
      requested_at, received_at, due_at, first_attempt_at, closed_at, lease_token,
      lease_until)
  VALUES
   -- A: warned at 50 % and 75 %, due in 10 h: listed at 75 %
   ('+492310000101', 'general', 'dortmund', false, 'queued', 1,
    now() - interval '38 h', now() - interval '38 h', now() + interval '10 h', NULL, NULL, NULL, NULL),
   -- B: urgent, claimed, warned at 90 %, due in 1 h: listed first
   ('+492310000102', 'housing_approval', 'soest', true, 'claimed', 1,
    now() - interval '9 h', now() - interval '9 h', now() + interval '1 h', NULL, NULL,
    gen_random_uuid(), now() + interval '5 min'),
   -- C: warned, then attempted: not listed
   ('+492310000103', 'general', 'dortmund', false, 'queued', 1,
    now() - interval '30 h', now() - interval '30 h', now() + interval '18 h',
    now() - interval '1 h', NULL, NULL, NULL),
   -- D: warned and now past due, a breach: not listed
   ('+492310000104', 'general', 'dortmund', false, 'queued', 1,
    now() - interval '49 h', now() - interval '49 h', now() - interval '1 h', NULL, NULL, NULL, NULL),
   -- E: warned, then cancelled: not listed
   ('+492310000105', 'general', 'dortmund', false, 'cancelled', 1,
    now() - interval '30 h', now() - interval '30 h', now() + interval '18 h', NULL, now(), NULL, NULL),
   -- F: open, never warned: not listed
   ('+492310000106', 'general', 'dortmund', false, 'queued', 1,
    now() - interval '1 h', now() - interval '1 h', now() + interval '47 h', NULL, NULL, NULL, NULL)
  RETURNING id, phone)
INSERT INTO alerts (callback_id, level, threshold, fire_at, fired_at, sent_at)
SELECT cb.id, 'at_risk', w.threshold, now() - w.ago, now() - w.ago, now() - w.ago
FROM cb JOIN (VALUES
   ('+492310000101', 0.5, interval '14 h'), ('+492310000101', 0.75, interval '2 h'),
   ('+492310000102', 0.9, interval '1 min'), ('+492310000103', 0.5, interval '6 h'),
   ('+492310000104', 0.9, interval '6 h'), ('+492310000105', 0.5, interval '6 h'))
  w(phone, threshold, ago) ON w.phone = cb.phone;
"""


def test_the_at_risk_list_has_each_open_callback_once_soonest_due_first(t):
    d = t.daemon()
    t.sql(AT_RISK)
    mgr = d.token("manager")
    ids = dict(t.sql("SELECT phone, id FROM callbacks WHERE phone LIKE '+4923100001%'"))
    st, h, got, _ = d.req("GET", "/v1/reports/at-risk", token=mgr)
    assert st == 200 and got["truncated"] is False and h.get("etag"), (st, got)
    rows = got["callbacks"]
    assert [(r["id"], r["site"], r["topic"], r["urgent"], r["threshold"]) for r in rows] == [
        (ids["+492310000102"], "soest", "housing_approval", True, 0.9),
        (ids["+492310000101"], "dortmund", "general", False, 0.75)], rows
    assert set(rows[0]) == {"id", "site", "topic", "urgent", "requested_at", "due_at",
                            "threshold", "warned_at"}, rows[0]
    # A's row says when its 75 % warning went out, not its 50 %
    assert t.scalar(f"SELECT cbd_iso(fired_at) FROM alerts WHERE callback_id = "
                    f"'{ids['+492310000101']}' AND threshold = 0.75") == rows[1]["warned_at"]
    # unchanged: a 304 for the page's poll
    st, _, _, raw = d.req("GET", "/v1/reports/at-risk", token=mgr,
                          headers={"If-None-Match": h["etag"]})
    assert st == 304 and raw == b"", st
    # one site; the first n with truncated
    st, _, one, _ = d.req("GET", "/v1/reports/at-risk?site=dortmund", token=mgr)
    assert [r["id"] for r in one["callbacks"]] == [ids["+492310000101"]], one
    st, _, first, _ = d.req("GET", "/v1/reports/at-risk?limit=1", token=mgr)
    assert st == 200 and first["truncated"] is True
    assert [r["id"] for r in first["callbacks"]] == [ids["+492310000102"]], first
    # as CSV for German spreadsheets, with the labels beside the identifiers
    st, h, _, raw = d.req("GET", "/v1/reports/at-risk?format=csv-excel", token=mgr)
    assert st == 200 and h["content-type"].startswith("text/csv") and raw.startswith(b"\xef\xbb\xbf")
    csv_rows = list(csv.DictReader(io.StringIO(raw[3:].decode()), delimiter=";"))
    assert [(r["id"], r["threshold"]) for r in csv_rows] == [
        (ids["+492310000102"], "0,900"), (ids["+492310000101"], "0,750")], csv_rows
    assert "site_label" in csv_rows[0] and "phone" not in csv_rows[0]
    for q, field, code in (("site=nowhere", "site", 422), ("limit=0", "limit", 400),
                           ("limit=1001", "limit", 400), ("format=xml", "format", 400),
                           ("site=", "site", 400), ("lang=fr", "lang", 400)):
        st, _, err, _ = d.req("GET", f"/v1/reports/at-risk?{q}", token=mgr)
        assert st == code and err["error"]["field"] == field, (q, st, err)
    for role in ("agent", "telephony"):
        assert d.req("GET", "/v1/reports/at-risk", token=d.token(role))[0] == 403
    # and through callbackctl, as a table
    from test_callbackctl import ctl
    lines = ctl(d, mgr, "report", "at-risk", "--site", "soest").stdout.splitlines()
    assert len(lines) == 2 and lines[0].split()[:4] == ["id", "site", "topic", "urgent"], lines
    assert ids["+492310000102"] in lines[1] and "housing_approval" in lines[1], lines
