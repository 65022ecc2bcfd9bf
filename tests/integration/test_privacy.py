"""A day of traffic with recognisable personal data; afterwards no log, no
syslog-ng file and no metric holds any of it."""

import os
import subprocess
import time

import harness
from harness import wait_for

SECRETS = {
    "phone": ("0231 4242420", "4242420"),
    "name": ("Hildegard Sonnenschein", "Sonnenschein"),
    "customer_ref": ("KD-77-ZZ-991", "KD-77-ZZ"),
    "note": ("Wohnung Kaiserstrasse kuendigt", "Kaiserstrasse"),
}


def test_no_personal_data_anywhere(t):
    d = t.daemon()
    admin, tel, agent, mgr = (d.token(r) for r in ("admin", "telephony", "agent", "manager"))
    assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                 "topics": ["general", "quick"], "languages": ["de"]}, admin)[0] == 201
    cw = d.token("caseworker", caseworker="anna")
    body = {k: v[0] for k, v in SECRETS.items()}
    body.update(topic="quick", site="dortmund")
    ids = []
    for i in range(4):
        b = dict(body, phone=f"{body['phone']}{i}")
        st, _, cb, _ = d.req("POST", "/v1/callbacks", b, tel, {"Idempotency-Key": f"k{i}"})
        assert st == 201
        ids.append(cb["id"])
        d.req("POST", "/v1/callbacks", b, tel, {"Idempotency-Key": f"k{i}"})   # replay
        d.req("POST", "/v1/callbacks", dict(b, name="x" * 300), tel)            # refused
    # a bad phone number with recognisable digits: refused, and not echoed
    st, _, err, _ = d.req("POST", "/v1/callbacks", dict(body, phone="0231 4242420 call"), tel)
    assert st == 422 and "4242420" not in err["error"]["message"]
    got = d.req("POST", "/v1/queue/claim", None, cw)[2]
    d.req("POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
          {"lease": got["lease"]["token"], "result": "no_answer", "note": body["note"]}, cw)
    d.req("POST", f"/v1/callbacks/{ids[1]}/attempts", {"result": "reached",
          "note": body["note"]}, agent)
    d.req("POST", f"/v1/callbacks/{ids[2]}/cancel", None, agent)
    # the agent reads one and finds the caller by phone: both on record
    assert d.req("GET", f"/v1/callbacks/{ids[0]}", token=agent)[0] == 200
    assert d.req("GET", "/v1/callbacks?phone=" + body["phone"].replace(" ", "%20") + "3",
                 token=agent)[0] == 200
    # the quick topic's alerts go out (4 s target)
    wait_for("alerts went out", lambda: any(
        ids[3] in line and "breached" in line for line in t.cluster.syslog.lines()), timeout=30)
    d.req("GET", "/v1/reports/sla?group_by=site", token=mgr)
    metrics = d.req("GET", "/metrics")[3].decode()
    alerts = d.req("GET", "/v1/alerts", token=mgr)[3].decode()
    access = d.req("GET", "/v1/access", token=admin)[3].decode()
    places = {"daemon log": d.log_tail(100000), "syslog-ng": "\n".join(t.cluster.syslog.lines()),
              "metrics": metrics, "alerts": alerts, "access log": access}
    for where, text in places.items():
        for field, (_, needle) in SECRETS.items():
            assert needle not in text, (where, field)
    # and the access log names every token that read them
    readers = t.sql("SELECT DISTINCT t.label, a.route FROM access_log a JOIN tokens t "
                    "ON t.id = a.token_id ORDER BY 1, 2")
    assert readers == [["test agent", "GET /v1/callbacks"],
                       ["test agent", "GET /v1/callbacks/{id}"],
                       ["test caseworker", "POST /v1/queue/claim"]], readers


def test_queue_peek_shows_no_personal_data(t):
    """GET /v1/queue shows what comes next, not who: the caller's phone,
    name, reference and note come with the claim."""
    d = t.daemon()
    admin, tel = d.token("admin"), d.token("telephony")
    assert d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    cw = d.token("caseworker", caseworker="anna")
    body = {k: v[0] for k, v in SECRETS.items()}
    body.update(topic="general", site="dortmund")
    st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
    assert st == 201, cb
    earlier = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    st, _, second, _ = d.req("POST", "/v1/callbacks", dict(body, phone="0231 4242421",
                             urgent=True, requested_at=earlier), tel)
    assert st == 201, second
    st, _, q, raw = d.req("GET", "/v1/queue", token=cw)
    assert st == 200, q
    assert [c["id"] for c in q["callbacks"]] == [second["id"], cb["id"]]
    assert [c["position"] for c in q["callbacks"]] == [1, 2]
    head = q["callbacks"][0]
    assert head["topic"] == "general" and head["site"] == "dortmund"
    assert head["language"] == "de" and head["urgent"] is True
    assert head["due_at"] == second["due_at"] and head["assigned"] is False
    for key in ("phone", "name", "customer_ref", "note", "call_id", "attempts"):
        assert key not in head, key
    for _, needle in SECRETS.values():
        assert needle not in raw.decode(), needle
    # the claim brings them
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, cw)
    assert st == 200 and got["callback"]["name"] == body["name"]


def test_readyz_says_why_without_saying_where(t):
    """/readyz answers anyone: a reason code, never the server's own words
    (they name the host, port and user); those go to the log."""
    d = t.daemon()
    t.pg.stop()
    try:
        st, _, r, raw = wait_for("not ready", lambda: (lambda x: x if x[0] == 503 else None)(
            d.req("GET", "/readyz")))
        assert r["checks"] == {"postgres": "unreachable", "redis": "ok",
                               "schema": "unknown", "alerts": "ok"}, r
        for word in ("127.0.0.1", str(t.pg.port), "connection", "server", "postgres:"):
            assert word not in raw.decode(), word
    finally:
        t.pg.start()
    wait_for("ready", lambda: d.req("GET", "/readyz")[0] == 200)
    assert "postgres: connection" in d.log_tail(200)


def test_numbers_nobody_should_dial_are_refused(t):
    """Premium-rate, mass-calling and shared-cost numbers were accepted:
    a caseworker's next call-back would ring a paid line, toll fraud for
    anyone who can get a request filed. The list is the config's."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s\n"
                             "not_dialable = default, +4923155"))
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    base = {"topic": "general", "site": "dortmund"}
    before = t.scalar("SELECT count(*) FROM callbacks")
    for phone in ("0900 1234567", "0137 1234567", "0180 5123456", "+1 900 555 0100",
                  "0231 5512345"):
        for tok in (tel, agent):
            st, _, err, _ = d.req("POST", "/v1/callbacks", dict(base, phone=phone), tok)
            assert st == 422, (phone, st, err)
            assert err["error"]["code"] == "not_dialable", err
            assert err["error"]["field"] == "phone"
            assert phone.split()[-1] not in err["error"]["message"]
    assert t.scalar("SELECT count(*) FROM callbacks") == before
    for phone in ("0231 5612345", "0800 1234567", "0151 23456789"):
        assert d.req("POST", "/v1/callbacks", dict(base, phone=phone), tel)[0] == 201, phone
    # the list can be bad: the check says where
    with open(d.conf) as f:
        text = f.read()
    bad = os.path.join(d.dir, "bad.ini")
    with open(bad, "w") as f:
        f.write(text.replace("not_dialable = default, +4923155", "not_dialable = 0900"))
    out = subprocess.run([harness.CALLBACKD, "-c", bad, "--check-config"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and "not_dialable: '0900' is not an E.164 prefix" in out.stderr


def test_telephony_gets_ids_and_states_never_personal_data(t):
    """A create, a merge, a replay and a refused key reuse, answered to the
    telephony role: id, state, due time, the request count and whether it
    merged or replayed; never what a caller said. Agents get the record."""
    d = t.daemon()
    tel, agent = d.token("telephony"), d.token("agent")
    body = {k: v[0] for k, v in SECRETS.items()}
    body.update(topic="general", site="dortmund")
    want = {"id", "state", "due_at", "request_count", "merged", "replayed"}
    answers = []
    st, _, first, raw = d.req("POST", "/v1/callbacks", body, tel, {"Idempotency-Key": "k1"})
    assert st == 201, first
    answers.append((first, raw))
    st, _, again, raw = d.req("POST", "/v1/callbacks", body, tel, {"Idempotency-Key": "k1"})
    assert st == 200 and again["replayed"] is True and again["id"] == first["id"], again
    answers.append((again, raw))
    st, _, merged, raw = d.req("POST", "/v1/callbacks", dict(body, note="more"), tel)
    assert st == 200 and merged["merged"] is True and merged["request_count"] == 2, merged
    answers.append((merged, raw))
    st, _, refused, raw = d.req("POST", "/v1/callbacks", dict(body, phone="0231 4242429"),
                                tel, {"Idempotency-Key": "k1"})
    assert st == 422 and refused["error"]["code"] == "idempotency_conflict", refused
    for got, raw in answers:
        assert set(got) == want, got
        for _, needle in SECRETS.values():
            assert needle not in raw.decode(), (needle, got)
    for _, needle in SECRETS.values():
        assert needle not in raw.decode(), needle
    # the agent who files a request by hand sees the whole record
    st, _, mine, _ = d.req("POST", "/v1/callbacks", dict(body, phone="0231 4242428"), agent)
    assert st == 201 and mine["name"] == body["name"] and mine["phone"] == "+492314242428"


def test_no_routing_key_is_made_from_an_unvalidated_assignee(t):
    """assignee was any string, and became a Redis routing key for good:
    now it must name an active caseworker, and a refused one leaves no
    trace in Redis or PostgreSQL."""
    d = t.daemon()
    agent = d.token("agent")
    before = t.scalar("SELECT count(*) FROM callbacks")
    for who, want in (("nobody", (422, "unknown_assignee")),
                      ("Anna Müller", (422, "unknown_assignee")),
                      ("x" * 70, (400, "too_long")),
                      ("../../etc", (422, "unknown_assignee")),
                      ("anna\r\nFLUSHALL", (422, "unknown_assignee"))):
        st, _, err, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 4242499", "topic": "general",
                              "site": "dortmund", "assignee": who}, agent)
        assert (st, err["error"]["code"]) == want, (who, st, err)
    assert t.scalar("SELECT count(*) FROM callbacks") == before
    keys = t.redis.cli("--scan", "--pattern", t.key("q:@*")).split()
    assert keys == [], keys
