"""SLA alerts through a real syslog-ng: at risk, then breached, each once,
RFC 5424 with structured data and no personal data; stopped by an attempt;
held in PostgreSQL while syslog-ng is down."""

import collections
import datetime
import os
import re
import socket
import time

from harness import wait_for

QUICK = {"phone": "0231 9876543", "topic": "quick", "site": "dortmund"}

# <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG
RFC5424 = re.compile(r'^<(\d+)>1 (\S+) (\S+) callbackd (\d+) sla \[sla@32473 ([^\]]*)\] (.*)$')


def parse(line):
    m = RFC5424.match(line)
    if not m:
        return None
    sd = dict(re.findall(r'(\w+)="([^"]*)"', m.group(5)))
    return {"pri": int(m.group(1)), "time": m.group(2), "sd": sd, "msg": m.group(6)}


def alerts_for(t, cb_id):
    out = []
    for line in t.cluster.syslog.lines():
        p = parse(line)
        if p and p["sd"].get("callback") == cb_id:
            out.append(p)
    return out


def levels(t, cb_id):
    return [(a["sd"]["level"], a["sd"]["elapsed"]) for a in alerts_for(t, cb_id)]


def setup(t):
    d = t.daemon()
    return d, d.token("telephony"), d.token("agent")


def test_at_risk_then_breached_once_each(t):
    d, tel, _ = setup(t)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", QUICK, tel)
    assert st == 201
    wait_for("at_risk", lambda: ("at_risk", "0.50") in levels(t, cb["id"]), timeout=10)
    wait_for("breached", lambda: ("breached", "1.00") in levels(t, cb["id"]), timeout=10)
    got = alerts_for(t, cb["id"])
    assert [a["sd"]["level"] for a in got] == ["at_risk", "breached"], got
    at_risk, breached = got
    assert at_risk["pri"] == 16 * 8 + 4 and breached["pri"] == 16 * 8 + 3
    assert breached["sd"]["site"] == "dortmund" and breached["sd"]["topic"] == "quick"
    assert breached["sd"]["due"] == cb["due_at"]
    assert t.scalar(f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}' "
                    "AND sent_at IS NOT NULL") == "2"
    st, _, hist, _ = d.req("GET", "/v1/alerts?site=dortmund", token=d.token("manager"))
    assert st == 200
    assert [a["level"] for a in hist["alerts"] if a["callback_id"] == cb["id"]] == \
        ["at_risk", "breached"]


def test_old_request_is_at_risk_at_once(t):
    d, tel, _ = setup(t)
    req = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=47)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5551234", "topic": "general", "site": "soest",
        "requested_at": req.strftime("%Y-%m-%dT%H:%M:%SZ")}, tel)
    assert st == 201
    # 47 of 48 hours used: all three warnings (50, 75, 90 %) are due, not the breach
    wait_for("at risk", lambda: len(alerts_for(t, cb["id"])) == 3, timeout=10)
    assert levels(t, cb["id"]) == [("at_risk", "0.50"), ("at_risk", "0.75"),
                                   ("at_risk", "0.90")]
    # the managers' at-risk list shows them while the callback waits, and
    # no more once it has had its first attempt
    manager = d.token("manager")
    waiting = "/v1/alerts?level=at_risk&waiting=true"
    st, _, got, _ = d.req("GET", waiting, token=manager)
    assert st == 200 and [a["callback_id"] for a in got["alerts"]] == [cb["id"]] * 3
    assert d.req("POST", f"/v1/callbacks/{cb['id']}/attempts", {"result": "busy"},
                 d.token("agent"))[0] == 201
    assert d.req("GET", waiting, token=manager)[2]["alerts"] == []
    assert len(d.req("GET", "/v1/alerts?level=at_risk", token=manager)[2]["alerts"]) == 3
    assert d.req("GET", "/v1/alerts?waiting=yes", token=manager)[0] == 400
    # in pages: the three fired in one take (often in one millisecond),
    # none lost or shown twice across the pages
    st, _, whole, _ = d.req("GET", "/v1/alerts?level=at_risk", token=manager)
    assert st == 200 and whole["next_cursor"] is None, whole
    st, _, one, _ = d.req("GET", "/v1/alerts?level=at_risk&limit=2", token=manager)
    assert st == 200 and len(one["alerts"]) == 2 and one["next_cursor"], one
    st, _, two, _ = d.req("GET", f"/v1/alerts?level=at_risk&limit=2&cursor={one['next_cursor']}",
                          token=manager)
    assert st == 200 and two["next_cursor"] is None, two
    assert [a["id"] for a in one["alerts"] + two["alerts"]] == [a["id"] for a in whole["alerts"]]
    for q in ("limit=0", "limit=501", "limit=x", "cursor=12", "cursor=x.1", "cursor=", "limit="):
        st, _, err, _ = d.req("GET", f"/v1/alerts?{q}", token=manager)
        assert st == 400 and err["error"]["field"] == q.split("=")[0], (q, st, err)


def test_attempt_before_due_stops_alerts(t):
    d, tel, agent = setup(t)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", QUICK, tel)
    st, _, after, _ = d.req("POST", f"/v1/callbacks/{cb['id']}/attempts",
                            {"result": "no_answer"}, agent)
    assert st == 201
    # a later callback on the same policy shows the watchdog ran past our due time
    st, _, probe, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone="0231 1112223"), tel)
    wait_for("probe breached", lambda: ("breached", "1.00") in levels(t, probe["id"]),
             timeout=15)
    assert alerts_for(t, cb["id"]) == []
    # its plan is kept, but no alert is written nor due any more
    assert t.sql(f"SELECT alert_at IS NULL, jsonb_array_length(alert_warn) FROM callbacks "
                 f"WHERE id = '{cb['id']}'") == [["t", "1"]]
    assert t.scalar(f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}'") == "0"


def test_two_daemons_send_each_alert_once(t):
    d1, tel, _ = setup(t)
    d2 = t.daemon(name="d2")
    ids = []
    for i in range(6):
        d = d1 if i % 2 else d2
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone=f"0231 44400{i}"), tel)
        assert st == 201
        ids.append(cb["id"])
    for cid in ids:
        wait_for("breached", lambda: ("breached", "1.00") in levels(t, cid), timeout=15)
    for cid in ids:
        assert levels(t, cid) == [("at_risk", "0.50"), ("breached", "1.00")], levels(t, cid)


def test_alerts_wait_while_syslog_is_down(t):
    d, tel, _ = setup(t)
    t.cluster.syslog.stop()
    try:
        st, _, cb, _ = d.req("POST", "/v1/callbacks", QUICK, tel)
        assert st == 201
        # both the warning and the breach are due, and wait in PostgreSQL
        wait_for("due in PostgreSQL", lambda: t.scalar(
            f"SELECT alert_at < now() AND due_at < now() FROM callbacks "
            f"WHERE id = '{cb['id']}'") == "t", timeout=10)
        assert t.scalar(f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}' "
                        "AND sent_at IS NOT NULL") == "0"
    finally:
        t.cluster.syslog.start()
    wait_for("delivered after restart",
             lambda: levels(t, cb["id"]) == [("at_risk", "0.50"), ("breached", "1.00")],
             timeout=20)


def gauge(d, name):
    from test_metrics import parse, value
    return value(parse(d.req("GET", "/metrics")[3].decode()), name)


def test_held_alerts_are_counted_and_go_out_with_their_planned_time(t):
    """While syslog-ng is down the alerts due are counted (how many, and
    how long the oldest has waited) and /readyz says they are held but
    stays ready; once it is back they go out, each with the time it was
    planned for, the warning before the breach."""
    d, _, tel = setup(t)  # the agent: the whole record comes back
    manager = d.token("manager")
    wait_for("connected to syslog-ng",
             lambda: d.req("GET", "/readyz")[2]["checks"]["alerts"] == "ok")
    t.cluster.syslog.stop()
    try:
        st, _, cb, _ = d.req("POST", "/v1/callbacks", QUICK, tel)
        assert st == 201
        r = wait_for("readyz says held", lambda: (lambda x: x if x[2]["checks"]["alerts"]
                                                  == "held" else None)(d.req("GET", "/readyz")))
        assert r[0] == 200 and r[2]["status"] == "ready", r
        wait_for("both alerts counted as waiting",
                 lambda: gauge(d, "callbackd_alerts_waiting") == 2, timeout=20)
        assert gauge(d, "callbackd_alerts_waiting_oldest_seconds") > 0
        # intake goes on
        assert d.req("POST", "/v1/callbacks", dict(QUICK, phone="0231 9876544"), tel)[0] == 201
    finally:
        t.cluster.syslog.start()
    wait_for("delivered after restart",
             lambda: [a for a, _ in levels(t, cb["id"])] == ["at_risk", "breached"], timeout=20)
    wait_for("none waiting", lambda: gauge(d, "callbackd_alerts_waiting") == 0, timeout=20)
    assert gauge(d, "callbackd_alerts_waiting_oldest_seconds") == 0
    wait_for("readyz says ok", lambda: d.req("GET", "/readyz")[2]["checks"]["alerts"] == "ok")
    got = [a for a in d.req("GET", "/v1/alerts", token=manager)[2]["alerts"]
           if a["callback_id"] == cb["id"]]
    assert [a["level"] for a in got] == ["at_risk", "breached"], got
    at_risk, breached = got
    assert breached["planned_at"] == cb["due_at"]
    ts = lambda x: datetime.datetime.fromisoformat(x.replace("Z", "+00:00"))  # noqa: E731
    due, requested = ts(cb["due_at"]), ts(cb["requested_at"])
    assert ts(at_risk["planned_at"]) == requested + (due - requested) / 2, at_risk
    for a in got:
        assert ts(a["sent_at"]) > ts(a["planned_at"]), a
    # the syslog messages say when each was planned, too
    planned = [a["sd"]["planned"] for a in alerts_for(t, cb["id"])]
    assert planned == [at_risk["planned_at"], breached["planned_at"]], planned


def test_no_personal_data_in_any_log(t):
    d, tel, agent = setup(t)
    body = dict(QUICK, phone="0231 7654329", name="Erika Mustermann",
                customer_ref="BG-4711-XY", note="Wohnungsangebot laeuft ab")
    st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
    assert st == 201
    wait_for("breached", lambda: ("breached", "1.00") in levels(t, cb["id"]), timeout=10)
    d.req("POST", f"/v1/callbacks/{cb['id']}/attempts", {"result": "reached",
                                                        "note": "Termin am Montag"}, agent)
    logs = "\n".join(t.cluster.syslog.lines()) + d.log_tail(10000)
    for secret in ("7654329", "Erika", "Mustermann", "BG-4711", "Wohnungsangebot",
                   "Termin am"):
        assert secret not in logs, secret


def test_webhook_gets_each_alert_once_with_retries(t):
    import http.server
    import json
    import threading

    got = []
    refusals = [2]  # the first two posts fail: the daemon must try again

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if refusals[0] > 0:
                refusals[0] -= 1
                self.send_response(503)
            else:
                got.append(body)
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        d = t.daemon(start=False)
        d.edit("[alerts]\n", "[alerts]\nwebhook = http://127.0.0.1:"
               f"{server.server_address[1]}/sla\n")
        d.start()
        tel = d.token("telephony")
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone="0231 3334445"), tel)
        assert st == 201
        wait_for("both alerts at the webhook", lambda: len(
            [g for g in got if g["callback_id"] == cb["id"]]) == 2, timeout=30)
        mine = [g for g in got if g["callback_id"] == cb["id"]]
        assert sorted(g["level"] for g in mine) == ["at_risk", "breached"]
        assert all(set(g) == {"id", "callback_id", "level", "threshold", "site", "topic",
                              "due_at", "planned_at", "fired_at"} for g in mine)
        assert refusals[0] == 0
        wait_for("recorded", lambda: t.scalar(
            f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}' "
            "AND webhook_sent_at IS NOT NULL") == "2")
        # and no second delivery
        import time
        time.sleep(2)
        assert len([g for g in got if g["callback_id"] == cb["id"]]) == 2
    finally:
        server.shutdown()


def local_syslog_daemon(t):
    """A daemon, not started, whose alerts go to a local syslog socket that
    nobody has bound yet; the daemon and the socket's path."""
    d = t.daemon(start=False)
    path = os.path.join(d.dir, "log.sock")
    d.edit("transport = tcp\n", f"transport = local\nsocket = {path}\n")
    return d, path


def taken_again_twice(t, table, where, timeout):
    """The claims of the alerts of table that where selects run out twice
    (as they would after 30 s) while the local socket is not bound: each
    time they are taken again, and none is sent."""
    for _ in range(2):
        t.sql(f"UPDATE {table} SET send_until = now() - interval '1 ms' {where}")
        wait_for("taken again", lambda: t.scalar(
            f"SELECT bool_and(send_until > now()) FROM {table} {where}") == "t", timeout=timeout)
    assert t.scalar(f"SELECT count(*) FROM {table} {where} AND sent_at IS NOT NULL") == "0"


def received_once_bound(t, path, table, where, n, timeout):
    """Binds the local socket at path, lets the claims run out once more,
    waits for the n alerts to be marked sent and returns the n messages
    the socket received."""
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        rx.bind(path)
        t.sql(f"UPDATE {table} SET send_until = now() - interval '1 ms' {where}")
        wait_for("sent", lambda: t.scalar(
            f"SELECT count(*) FROM {table} {where} AND sent_at IS NOT NULL") == str(n),
            timeout=timeout)
        rx.settimeout(5)
        return [rx.recv(2048).decode() for _ in range(n)]
    finally:
        rx.close()


def test_alert_is_logged_once_when_it_goes_out(t):
    """With the syslog socket missing an alert stays taken and is taken
    again each time its claim runs out; the daemon's log line about it
    comes once, when it has gone out, not with every take."""
    d, path = local_syslog_daemon(t)
    d.start()
    st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone="0231 5550101"),
                         d.token("telephony"))
    assert st == 201
    mine = f"WHERE callback_id = '{cb['id']}'"
    wait_for("both alerts taken", lambda: t.scalar(
        f"SELECT count(*) FROM alerts {mine} AND fired_at IS NOT NULL") == "2", timeout=15)

    def lines():
        with open(d.log, errors="replace") as f:
            return [x for x in f if f"alert: callback {cb['id']} " in x]

    taken_again_twice(t, "alerts", mine, 15)
    assert lines() == [], lines()

    got = received_once_bound(t, path, "alerts", mine, 2, 15)
    assert all(cb["id"] in m for m in got), got
    logged = lines()
    assert len(logged) == 2, logged
    assert " at_risk " in logged[0] and " breached " in logged[1], logged


def test_alerts_the_transport_took_are_marked_and_not_sent_again(t):
    """A local syslog socket whose queue fills up takes the first alerts
    of a round and refuses the rest: those that went out are marked sent
    at once; only the refused ones go again, so each reaches syslog once."""
    d, path = local_syslog_daemon(t)
    # no socket yet: the alerts of five quick callbacks (at risk, then
    # breached) fall due and wait, unsent
    d.start()
    tel = d.token("telephony")
    ids = []
    for i in range(5):
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone=f"0231 55{i:05d}"), tel)
        assert st == 201, cb
        ids.append(cb["id"])
    n = 2 * len(ids)
    mine = "callback_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
    wait_for("all due and taken", lambda: t.scalar(
        f"SELECT count(*) FROM alerts WHERE {mine} AND fired_at IS NOT NULL") == str(n),
        timeout=20)
    assert d.stop() == 0
    assert t.scalar(f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL") == "0"
    t.sql(f"UPDATE alerts SET send_until = now() - interval '1 ms' WHERE {mine}")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    fillers = []
    try:
        rx.bind(path)
        # the receiver's queue filled to the brim by senders of our own
        # (until a new one can send nothing), then five places made free
        while len(fillers) < 64:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect(path)
            fillers.append(s)
            took = 0
            try:
                while True:
                    s.send(b"filler")
                    took += 1
            except BlockingIOError:
                pass
            if not took:
                break
        for _ in range(5):
            assert rx.recv(4096) == b"filler"
        # one round takes all ten: five go out, five are refused
        d.start()
        wait_for("a round sent", lambda: t.scalar(
            f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL") != "0",
            timeout=15)
        marked = int(t.scalar(f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL"))
        rx.settimeout(0.5)
        got = []
        try:
            while True:
                m = rx.recv(4096)
                if m != b"filler":
                    got.append(m.decode())
        except socket.timeout:
            pass
        # exactly those that went out are marked
        assert 0 < len(got) < n and marked == len(got), (marked, len(got), n)
        # the refused ones go again when their claim runs out
        t.sql(f"UPDATE alerts SET send_until = now() - interval '1 ms' WHERE {mine} "
              "AND sent_at IS NULL")
        wait_for("all sent", lambda: t.scalar(
            f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL") == str(n),
            timeout=15)
        rx.settimeout(5)
        got += [rx.recv(4096).decode() for _ in range(n - marked)]
        rx.settimeout(1)
        try:
            got.append(rx.recv(4096).decode())
        except socket.timeout:
            pass
    finally:
        rx.close()
        for s in fillers:
            s.close()
    # each callback's at-risk and breached alert, once each
    per = {(i, lvl): sum(i in m and f'level="{lvl}"' in m for m in got)
           for i in ids for lvl in ("at_risk", "breached")}
    assert len(got) == n and set(per.values()) == {1}, (len(got), per)


def stalled_receiver_daemon(t, n):
    """A daemon whose syslog receiver takes its connection and then reads
    nothing (a receiver held up by its own destination), with n old
    requests whose three warnings each are due at once: far more bytes
    than the sockets' buffers hold, so a round stays unwritten. Returns
    the daemon, the listening socket and the callbacks' ids."""
    rx = socket.socket()
    # a small window and segments: the sockets' buffers hold tens of kB
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    rx.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 88)
    rx.bind(("127.0.0.1", 0))
    rx.listen(1)  # accepted by the kernel; read by nobody
    d = t.daemon(start=False)
    d.edit(f"port = {t.cluster.syslog.port}\n", f"port = {rx.getsockname()[1]}\n")
    d.start()
    wait_for("connected", lambda: d.req("GET", "/readyz")[2]["checks"]["alerts"] == "ok")
    tel = d.token("telephony")
    old = (datetime.datetime.now(datetime.timezone.utc)
           - datetime.timedelta(hours=47)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = []
    for i in range(n):
        st, _, cb, _ = d.req("POST", "/v1/callbacks", {
            "phone": f"0231 77{i:05d}", "topic": "general", "site": "dortmund",
            "requested_at": old}, tel)
        assert st == 201, cb
        ids.append(cb["id"])
    return d, rx, ids


def stall_said(d):
    with open(d.log, errors="replace") as f:
        return [x for x in f if "has taken nothing for" in x]


def test_a_receiver_that_stops_reading_is_said_and_its_alerts_held(t):
    """A syslog receiver that stops reading holds the alerts: the daemon
    says so once, /readyz reports the alerts held, and when the receiver
    reads again the daemon says that too and every alert arrives once."""
    d, rx, ids = stalled_receiver_daemon(t, 300)
    try:
        wait_for("the stall said", lambda: stall_said(d), timeout=30)
        assert d.req("GET", "/readyz")[2]["checks"]["alerts"] == "held"
        assert len(stall_said(d)) == 1, stall_said(d)
        conn, _ = rx.accept()
        got = b""
        conn.settimeout(1)
        # reads until all 900 warnings are in, bounded in time
        deadline = time.monotonic() + 60
        while got.count(b"[sla@32473 ") < 3 * len(ids) and time.monotonic() < deadline:
            try:
                got += conn.recv(1 << 16)
            except socket.timeout:
                pass
        conn.close()
    finally:
        rx.close()
    text = got.decode()
    per = collections.Counter(re.findall(r'callback="([0-9a-f-]{36})"', text))
    assert set(per) == set(ids) and set(per.values()) == {3}, (len(per), set(per.values()))
    wait_for("taking again said", lambda: any(
        "takes alerts again" in x for x in open(d.log, errors="replace")), timeout=10)
    assert len(stall_said(d)) == 1


def test_a_stop_while_the_receiver_reads_nothing_leaves_the_alerts_for_later(t):
    """Stopped while a round of alerts waits for a receiver that reads
    nothing, the daemon stops cleanly and says how many it leaves; those
    are not marked sent and go out when their claim runs out, with all the
    others not yet sent, each once."""
    d, rx, ids = stalled_receiver_daemon(t, 300)
    port = rx.getsockname()[1]
    try:
        wait_for("the stall said", lambda: stall_said(d), timeout=30)
        assert d.stop() == 0
    finally:
        rx.close()
    with open(d.log, errors="replace") as f:
        left = [x for x in f if "not taken by the syslog receiver" in x]
    assert len(left) == 1, left
    mine = "callback_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
    # the round left is taken, not marked; the others wait untaken
    assert int(t.scalar(f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NULL")) > 0
    unsent = 3 * len(ids) - int(t.scalar(
        f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL"))
    # back with a receiver that reads (syslog-ng), once their claim ran out
    d.edit(f"port = {port}\n", f"port = {t.cluster.syslog.port}\n")
    t.sql(f"UPDATE alerts SET send_until = now() - interval '1 ms' WHERE {mine} "
          "AND sent_at IS NULL")
    d.start()
    wait_for("all sent", lambda: t.scalar(
        f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL")
        == str(3 * len(ids)), timeout=60)
    def at_syslog_ng():
        return collections.Counter(
            (p["sd"]["callback"], p["sd"]["elapsed"]) for p in map(parse, t.cluster.syslog.lines())
            if p and p["sd"].get("callback") in ids)
    wait_for("all at syslog-ng", lambda: sum(at_syslog_ng().values()) >= unsent, timeout=20)
    got = at_syslog_ng()
    assert len(got) == unsent and set(got.values()) == {1}, (len(got), unsent)


def test_warnings_due_at_once_for_many_callbacks_are_each_taken_once(t):
    """Old requests whose three warnings fall due at once, more than one
    take holds: every warning goes out in the daemon's first claim on it
    (none is left taken and sent only when that claim ran out). They
    wait while syslog-ng is down, so that one take finds them all."""
    d, tel, _ = setup(t)
    old = (datetime.datetime.now(datetime.timezone.utc)
           - datetime.timedelta(hours=47)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = []
    t.cluster.syslog.stop()
    try:
        wait_for("down seen", lambda: d.req("GET", "/readyz")[2]["checks"]["alerts"] == "held")
        for i in range(80):
            st, _, cb, _ = d.req("POST", "/v1/callbacks", {
                "phone": f"0231 66{i:05d}", "topic": "general", "site": "soest",
                "requested_at": old}, tel)
            assert st == 201, cb
            ids.append(cb["id"])
    finally:
        t.cluster.syslog.start()
    mine = "callback_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
    wait_for("all 240 sent", lambda: t.scalar(
        f"SELECT count(*) FROM alerts WHERE {mine} AND sent_at IS NOT NULL") == "240",
        timeout=60)
    # the claim is 30 s: an alert sent later than that was taken twice
    assert t.scalar(f"SELECT count(*) FROM alerts WHERE {mine} "
                    "AND sent_at >= fired_at + interval '30 s'") == "0"
    got = collections.Counter(p["sd"]["callback"] for p in map(parse, t.cluster.syslog.lines())
                              if p and p["sd"].get("callback") in ids)
    assert len(got) == 80 and set(got.values()) == {3}, got


def test_a_stop_while_the_webhook_has_not_answered_leaves_its_alerts_for_later(t):
    """Stopped while the webhook holds a post unanswered, the daemon stops
    cleanly (nothing leaked, under the sanitizers) and the alert is not
    recorded as accepted: it is posted again later."""
    rx = socket.socket()
    rx.bind(("127.0.0.1", 0))
    rx.listen(4)
    d = t.daemon(start=False)
    d.edit("[alerts]\n", "[alerts]\nwebhook = http://127.0.0.1:"
           f"{rx.getsockname()[1]}/sla\nwebhook_timeout = 60s\n")
    try:
        d.start()
        st, _, cb, _ = d.req("POST", "/v1/callbacks", dict(QUICK, phone="0231 3334446"),
                             d.token("telephony"))
        assert st == 201
        rx.settimeout(20)
        conn, _ = rx.accept()
        conn.settimeout(20)
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        assert head.startswith(b"POST /sla "), head
        assert d.stop() == 0
        conn.close()
    finally:
        rx.close()
    assert t.scalar(f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}' "
                    "AND webhook_sent_at IS NOT NULL") == "0"
