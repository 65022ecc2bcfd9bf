"""Open callbacks that no active caseworker may claim: found at intake,
when a caseworker profile changes and periodically; listed for managers
(?unclaimable=true), counted in /metrics (callbackd_unclaimable by site and
topic) and raised once per callback as an `unclaimable` alert to syslog,
whichever daemon finds it."""

import re

from harness import wait_for
from test_alerts import alerts_for
from test_metrics import parse, value

PHONES = iter(range(7100000, 7199999))


def quick_checks(d, interval="300ms"):
    """Turns the look on (the harness has it off), every interval (before
    the daemon starts)."""
    with open(d.conf) as f:
        text = f.read()
    assert "unclaimable_check = 0\n" in text
    with open(d.conf, "w") as f:
        f.write(text.replace("unclaimable_check = 0\n", f"unclaimable_check = {interval}\n", 1))


class World:
    def __init__(self, t, interval="1m", d=None):
        self.t = t
        if d is None:
            d = t.daemon(start=False)
            quick_checks(d, interval)
            d.start()
        self.d = d
        self.admin = d.token("admin")
        self.tel = d.token("telephony")
        self.agent = d.token("agent")
        self.manager = d.token("manager")

    def caseworker(self, cid, site="dortmund", topics=("general",), languages=("de",)):
        st, _, body, _ = self.d.req("POST", "/v1/caseworkers", {
            "id": cid, "site": site, "topics": list(topics),
            "languages": list(languages)}, self.admin)
        assert st == 201, (st, body)

    def deactivate(self, cid):
        st, _, body, _ = self.d.req("POST", f"/v1/caseworkers/{cid}/deactivate",
                                    None, self.admin)
        assert st == 200, (st, body)

    def create(self, **fields):
        body = {"phone": f"0231 {next(PHONES)}", "topic": "general",
                "site": "dortmund", "name": "Erika Mustermann",
                "customer_ref": "KD-4711"}
        body.update(fields)
        st, _, cb, _ = self.d.req("POST", "/v1/callbacks", body, self.tel)
        assert st == 201, (st, cb)
        return cb

    def listed(self, token=None):
        st, _, body, _ = self.d.req("GET", "/v1/callbacks?unclaimable=true",
                                    token=token or self.manager)
        assert st == 200, (st, body)
        return [c["id"] for c in body["callbacks"]]

    def metric(self, site, topic, d=None):
        st, _, _, raw = (d or self.d).req("GET", "/metrics")
        assert st == 200
        return value(parse(raw.decode()), "callbackd_unclaimable", site=site, topic=topic)


def unclaimable_alerts(t, cb_id):
    return [a for a in alerts_for(t, cb_id) if a["sd"].get("level") == "unclaimable"]


def test_only_tr_caseworker_deactivated_leaves_tr_callback_unclaimable(t):
    # the default check interval (1m): the deactivation itself must lead
    # to the check
    w = World(t)
    w.caseworker("anna", languages=("de", "tr"))
    w.caseworker("ben", languages=("de",))
    tr = w.create(language="tr")
    de = w.create(language="de")
    assert w.listed() == []
    w.deactivate("anna")
    wait_for("listed", lambda: w.listed() == [tr["id"]], timeout=10)
    assert w.listed(token=w.agent) == [tr["id"]]
    wait_for("metric", lambda: w.metric("dortmund", "general") == 1, timeout=10)
    # every configured site and topic, 0 included
    assert w.metric("soest", "benefits") == 0
    assert w.metric("dortmund", "quick") == 0
    got = wait_for("alert", lambda: unclaimable_alerts(t, tr["id"]), timeout=10)
    assert len(got) == 1, got
    sd = got[0]["sd"]
    assert sd["site"] == "dortmund" and sd["topic"] == "general"
    assert sd["reason"] == "no_caseworker", sd
    assert got[0]["pri"] == 16 * 8 + 4
    assert unclaimable_alerts(t, de["id"]) == []
    line = [x for x in t.cluster.syslog.lines() if tr["id"] in x][0]
    assert "Erika" not in line and "KD-4711" not in line
    assert not re.search(r"\+49\d|231 ?71\d{5}", line), line
    # the managers' alert list has it too
    st, _, body, _ = w.d.req("GET", "/v1/alerts?level=unclaimable", token=w.manager)
    assert st == 200, body
    assert [(a["callback_id"], a["reason"]) for a in body["alerts"]] == \
        [(tr["id"], "no_caseworker")]
    # another check (a profile changes) sends nothing again
    st, _, _, _ = w.d.req("PUT", "/v1/caseworkers/ben", {
        "site": "dortmund", "topics": ["general", "benefits"], "languages": ["de"]},
        w.admin)
    assert st == 200
    assert t.scalar("SELECT count(*) FROM alerts WHERE level = 'unclaimable'") == "1"
    assert w.d.stop() == 0
    assert len(unclaimable_alerts(t, tr["id"])) == 1


def test_assigned_caseworker_deactivated_leaves_their_callback_unclaimable(t):
    w = World(t, interval="300ms")
    w.caseworker("carl")
    w.caseworker("dora")
    mine = w.create(assignee="carl")
    open_ = w.create()
    w.deactivate("carl")
    wait_for("listed", lambda: w.listed() == [mine["id"]], timeout=10)
    got = wait_for("alert", lambda: unclaimable_alerts(t, mine["id"]), timeout=10)
    assert got[0]["sd"]["reason"] == "assignee_inactive", got
    assert open_["id"] not in w.listed()


def test_topic_without_caseworker_at_the_site_is_unclaimable_at_intake(t):
    # default interval: the intake's hint leads to the check
    w = World(t)
    w.caseworker("anna", topics=("general",))
    w.caseworker("erik", site="soest", topics=("benefits",))
    cb = w.create(topic="benefits")
    wait_for("listed", lambda: w.listed() == [cb["id"]], timeout=10)
    wait_for("metric", lambda: w.metric("dortmund", "benefits") == 1, timeout=10)
    assert w.metric("soest", "benefits") == 0
    got = wait_for("alert", lambda: unclaimable_alerts(t, cb["id"]), timeout=10)
    assert got[0]["sd"]["topic"] == "benefits" and got[0]["sd"]["reason"] == "no_caseworker"


def test_callback_claimable_again_leaves_the_list_and_the_metric(t):
    w = World(t, interval="300ms")
    w.caseworker("anna")
    cb = w.create(site="soest")
    wait_for("listed", lambda: w.listed() == [cb["id"]], timeout=10)
    wait_for("metric", lambda: w.metric("soest", "general") == 1, timeout=10)
    w.caseworker("frieda", site="soest")
    wait_for("not listed", lambda: w.listed() == [], timeout=10)
    wait_for("metric 0", lambda: w.metric("soest", "general") == 0, timeout=10)
    assert t.scalar("SELECT count(*) FROM alerts WHERE level = 'unclaimable'") == "1"


def test_unclaimable_filter_refuses_other_values(t):
    w = World(t)
    st, _, body, _ = w.d.req("GET", "/v1/callbacks?unclaimable=maybe", token=w.manager)
    assert st == 400 and body["error"]["field"] == "unclaimable", body
    st, _, body, _ = w.d.req("GET", "/v1/callbacks?unclaimable=false", token=w.manager)
    assert st == 200


def test_two_daemons_send_one_unclaimable_alert(t):
    d1 = t.daemon(start=False)
    quick_checks(d1, "200ms")
    d1.start()
    d2 = t.daemon(start=False, name="d2")
    quick_checks(d2, "200ms")
    d2.start()
    w = World(t, d=d1)
    cb = w.create(site="soest")
    wait_for("both see it", lambda: w.metric("soest", "general", d1) == 1 and
             w.metric("soest", "general", d2) == 1, timeout=10)
    wait_for("alert", lambda: unclaimable_alerts(t, cb["id"]), timeout=10)
    wait_for("sent", lambda: t.scalar(
        "SELECT count(*) FROM alerts WHERE level = 'unclaimable' "
        "AND sent_at IS NOT NULL") == "1", timeout=10)
    assert d1.stop() == 0 and d2.stop() == 0
    assert len(unclaimable_alerts(t, cb["id"])) == 1


def test_flagged_callback_is_a_supervisors_not_unclaimable(t):
    w = World(t, interval="0")  # no look yet
    flagged = w.create(site="soest")
    plain = w.create(site="soest", topic="benefits")
    assert w.d.stop() == 0
    # as three lapsed leases leave it: offered to nobody, on purpose
    t.sql(f"UPDATE callbacks SET flagged = true, lapsed_leases = 3 "
          f"WHERE id = '{flagged['id']}'")
    quick_checks(w.d, "1m")
    w.d.start()

    def gauge(topic):
        st, _, _, raw = w.d.req("GET", "/metrics")
        return value(parse(raw.decode()), "callbackd_unclaimable", site="soest",
                     topic=topic)
    # the look at start has counted: the gauge is there
    wait_for("the look at start", lambda: gauge("benefits") == 1, timeout=10)
    assert gauge("general") == 0
    assert w.listed() == [plain["id"]]
    assert unclaimable_alerts(t, flagged["id"]) == []


def test_webhook_gets_the_unclaimable_alert_with_its_reason(t):
    import http.server
    import json
    import threading

    got = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        d = t.daemon(start=False)
        quick_checks(d, "1m")
        with open(d.conf) as f:
            text = f.read()
        with open(d.conf, "w") as f:
            f.write(text.replace("[alerts]\n", "[alerts]\nwebhook = http://127.0.0.1:"
                                 f"{server.server_address[1]}/sla\n"))
        d.start()
        w = World(t, d=d)
        w.caseworker("leaver")
        cb = w.create(assignee="leaver")
        w.deactivate("leaver")
        hook = wait_for("posted", lambda: [g for g in got if g["callback_id"] == cb["id"]],
                        timeout=10)
        assert len(hook) == 1 and hook[0]["level"] == "unclaimable", hook
        assert hook[0]["reason"] == "assignee_inactive", hook
        assert "phone" not in hook[0] and "name" not in hook[0]
    finally:
        server.shutdown()
