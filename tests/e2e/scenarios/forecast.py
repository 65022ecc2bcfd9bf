"""The forecast scenario's data: an open backlog at dortmund, where no
caseworker works, that will breach (urgent ones due in 2 h, general ones
in 8 h, two already overdue on past days, and one attempted already,
to be called again), through the API with
requested_at in the past; and closed callbacks over the last 7 weeks at
dortmund and soest, written straight into PostgreSQL as the reports'
integration tests do (the API takes no attempt in the past), for the
8 weeks of compliance: a soest week whose only requests were cancelled
before their due time (nothing decided: a dash) and a soest week with
no requests at all. Soest's requests of this hour, one and two weeks
back, make arrivals to expect, which do not breach within 48 h."""

import json
from datetime import datetime, timedelta, timezone

H = timedelta(hours=1)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(now):
    """INSERT of the closed callbacks, and the Mondays (dates) of the weeks
    1 to 7 back. Each week's callbacks are requested on its
    Tuesday at 10:00 UTC: that week's in any time zone of Europe."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    rows, n = [], 0

    def add(site, req, first, closed, state):
        nonlocal n
        n += 1
        rows.append(f"('+4923100{n:05d}', 'general', '{site}', false, '{state}', 1, "
                    f"'{rfc3339(req)}', '{rfc3339(req)}', '{rfc3339(req + 48 * H)}', "
                    f"{first}, {first}, '{rfc3339(closed)}')")

    # dortmund: within target and attempted late, a different share each week
    within = [5, 4, 6, 3, 5, 4, 2]
    late = [0, 1, 1, 2, 0, 1, 3]
    for k in range(1, 8):
        tue = monday - timedelta(weeks=k) + timedelta(days=1, hours=10)
        for i in range(within[k - 1]):
            req = tue + i * 5 * timedelta(minutes=1)
            add("dortmund", req, f"'{rfc3339(req + H)}'", req + H, "completed")
        for i in range(late[k - 1]):
            req = tue + i * 7 * timedelta(minutes=1)
            add("dortmund", req, f"'{rfc3339(req + 50 * H)}'", req + 50 * H, "completed")
        # soest: three within target a week; two weeks apart
        if k == 3:  # two requests, both cancelled an hour later: nothing decided
            for i in range(2):
                req = tue + i * 11 * timedelta(minutes=1)
                add("soest", req, "NULL", req + H, "cancelled")
        elif k != 5:  # week 5: no requests at all
            for i in range(3):
                req = tue + i * 13 * timedelta(minutes=1)
                add("soest", req, f"'{rfc3339(req + 2 * H)}'", req + 2 * H, "completed")
    # soest's arrivals to expect: requests at this hour and the next, one
    # and two weeks back, due after the horizon (and within target)
    for k in (1, 2):
        req = (now - timedelta(weeks=k) + H).replace(microsecond=0)
        add("soest", req, f"'{rfc3339(req + H)}'", req + H, "completed")
    sql = ("INSERT INTO callbacks (phone, topic, site, urgent, state, request_count, "
           "requested_at, received_at, due_at, first_attempt_at, reached_at, closed_at) "
           "VALUES " + ",\n".join(rows))
    return sql, [(monday - timedelta(weeks=k)).strftime("%Y-%m-%d") for k in range(1, 8)]


def prepare(d, env):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    sql, weeks = history(now)
    env["HISTORY_WEEKS"] = json.dumps(weeks)
    env["UNDECIDED_WEEK"] = weeks[2]
    d.cluster.pg.psql(d.db, sql)
    # a caseworker at soest only: nobody at dortmund works the backlog
    st = d.req("POST", "/v1/caseworkers", {"id": "sven", "site": "soest",
               "topics": ["general"], "languages": ["de"]}, env["ADMIN_TOKEN"])[0]
    assert st == 201, st
    backlog = [("housing_approval", True, now), ("housing_approval", True, now),
               ("general", False, now - 40 * H), ("general", False, now - 40 * H),
               ("general", False, now - 40 * H),
               # due one and two days ago: overdue days in the chart
               ("benefits", False, now - 72 * H), ("general", False, now - 96 * H)]
    for i, (topic, urgent, at) in enumerate(backlog):
        st, _, cb, _ = d.req("POST", "/v1/callbacks", {
            "phone": f"0231 55570{i:02d}", "topic": topic, "site": "dortmund",
            "urgent": urgent, "requested_at": rfc3339(at)}, env["TELEPHONY_TOKEN"])
        assert st == 201, (st, cb)
    # one more, attempted already and unanswered: to be called again
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5557099", "topic": "general", "site": "dortmund",
        "requested_at": rfc3339(now - 30 * H)}, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb)
    st = d.req("POST", f"/v1/callbacks/{cb['id']}/attempts", {"result": "no_answer"},
               env["AGENT_TOKEN"])[0]
    assert st == 201, st
