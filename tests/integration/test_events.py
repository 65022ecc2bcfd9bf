"""A callback's whole story (GET /v1/callbacks/{id}/events) against real
servers: requested, merged twice (once raising urgency, which moves the
due time), alerts through syslog-ng, claimed, its lease lapsed, an
attempt, cancelled and erased, in order, with their actors and none of
the caller's data; who may read it, and each read on record."""

import datetime
import json
import uuid

from harness import wait_for

PHONE = "0231 7771234"
SECRETS = ("7771234", "Erika Geheim", "BG-SECRET", "geheime Notiz", "zweite Notiz")


def ago(hours):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def world(t, *extra):
    d = t.daemon(start=False)
    d.configure(daemon=extra)
    d.start()
    tok = {r: d.token(r) for r in ("admin", "telephony", "agent", "manager")}
    for cid in ("anna", "ben"):
        assert d.req("POST", "/v1/caseworkers", {
            "id": cid, "site": "dortmund", "topics": ["housing_approval", "general"],
            "languages": ["de"]}, tok["admin"])[0] == 201
        tok[cid] = d.token("caseworker", caseworker=cid)
    return d, tok


def events(d, cb_id, token):
    st, _, body, raw = d.req("GET", f"/v1/callbacks/{cb_id}/events", token=token)
    return st, body, raw.decode()


def sent_alerts(t, cb_id):
    return t.sql(f"SELECT level, threshold FROM alerts WHERE callback_id = '{cb_id}' "
                 "AND sent_at IS NOT NULL ORDER BY sent_at, id")


def all_sent(t, cb_id, level):
    return t.scalar(f"SELECT count(*) FILTER (WHERE level = '{level}' AND sent_at IS NOT NULL) "
                    f"|| '/' || count(*) FILTER (WHERE sent_at IS NULL) FROM alerts "
                    f"WHERE callback_id = '{cb_id}' AND fired_at IS NOT NULL") == "1/0"


def syslog_has(t, cb_id, level):
    return any(f'callback="{cb_id}"' in x and f'level="{level}"' in x
               for x in t.cluster.syslog.lines())


def test_a_callbacks_story_comes_in_order_with_its_actors_and_no_personal_data(t):
    d, tok = world(t, "lease = 1s", "retention_days = 30", "retention_check = 1s")
    tel, agent, mgr = tok["telephony"], tok["agent"], tok["manager"]
    first = {"phone": PHONE, "topic": "housing_approval", "site": "dortmund",
             "name": "Erika Geheim", "customer_ref": "BG-SECRET", "note": "geheime Notiz",
             "requested_at": ago(30)}
    st, _, cb, _ = d.req("POST", "/v1/callbacks", first, tel)
    assert st == 201, cb
    cid = cb["id"]
    # 30 of 48 hours gone: the 50 % warning goes out at once
    wait_for("at_risk in syslog-ng", lambda: syslog_has(t, cid, "at_risk")
             and all_sent(t, cid, "at_risk"), timeout=15)
    st, _, m1, _ = d.req("POST", "/v1/callbacks", {
        "phone": PHONE, "topic": "housing_approval", "site": "dortmund",
        "note": "zweite Notiz"}, tel)
    assert st == 200 and m1["merged"], m1
    # urgent: the 2 h target from the first request is long over
    st, _, m2, _ = d.req("POST", "/v1/callbacks", {
        "phone": PHONE, "topic": "housing_approval", "site": "dortmund", "urgent": True},
        agent)
    assert st == 200 and m2["merged"] and m2["urgent"], m2
    wait_for("breached in syslog-ng", lambda: syslog_has(t, cid, "breached")
             and all_sent(t, cid, "breached"), timeout=15)
    alerts = sent_alerts(t, cid)
    assert alerts[0] == ["at_risk", "0.500"] and alerts[-1][0] == "breached", alerts

    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, tok["anna"])
    assert st == 200 and got["callback"]["id"] == cid
    wait_for("lease lapsed", lambda: t.scalar(
        f"SELECT state || lapsed_leases FROM callbacks WHERE id = '{cid}'") == "queued1")
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, tok["anna"])
    assert st == 200 and got["callback"]["id"] == cid
    st, _, _, _ = d.req("POST", f"/v1/callbacks/{cid}/attempts", {
        "lease": got["lease"]["token"], "result": "no_answer", "note": "Mailbox voll",
        "duration_s": 30}, tok["anna"])
    assert st == 201
    assert d.req("POST", f"/v1/callbacks/{cid}/cancel", None, agent)[0] == 200

    st, body, raw = events(d, cid, mgr)
    assert st == 200, body
    kinds = [e["kind"] for e in body["events"]]
    assert kinds == (["created", "alert", "merged", "merged", "due_moved"]
                     + ["alert"] * (len(alerts) - 1)
                     + ["claimed", "lease_expired", "claimed", "attempt", "cancelled"]), kinds
    assert body["truncated"] is False
    assert body["callback"]["id"] == cid and body["callback"]["state"] == "cancelled"
    assert body["callback"]["request_count"] == 3 and body["callback"]["urgent"] is True
    times = [e["at"] for e in body["events"]]
    assert times == sorted(times), times
    ev = body["events"]
    tel_id = t.scalar("SELECT id FROM tokens WHERE role = 'telephony'")
    agent_id = t.scalar("SELECT id FROM tokens WHERE role = 'agent'")
    assert ev[0]["actor"] == f"token:{tel_id}"
    assert ev[0]["data"]["topic"] == "housing_approval" and ev[0]["data"]["urgent"] is False
    assert ev[1]["data"]["level"] == "at_risk" and ev[1]["data"]["sent_at"] is not None
    assert ev[1]["actor"] == "callbackd"
    assert ev[2]["actor"] == f"token:{tel_id}" and ev[2]["data"]["request_count"] == 2
    assert ev[2]["data"]["urgency_raised"] is False and ev[2]["data"]["changed"] == ["note"]
    assert ev[3]["actor"] == f"token:{agent_id}" and ev[3]["data"]["request_count"] == 3
    assert ev[3]["data"]["urgency_raised"] is True
    assert ev[4]["data"]["due_at"] < ev[4]["data"]["was"]
    assert [e["data"]["level"] for e in ev if e["kind"] == "alert"] == [a[0] for a in alerts]
    claimed = [e for e in ev if e["kind"] == "claimed"]
    assert [(e["actor"], e["data"]["caseworker"]) for e in claimed] == [("anna", "anna")] * 2
    lapse = ev[kinds.index("lease_expired")]
    assert lapse["actor"] == "callbackd" and lapse["data"]["lapsed_leases"] == 1
    attempt = ev[kinds.index("attempt")]
    assert attempt["actor"] == "anna"
    assert attempt["data"]["result"] == "no_answer" and attempt["data"]["duration_s"] == 30
    # the manager reads attempt notes in GET /v1/callbacks/{id}: here too
    assert attempt["data"]["note"] == "Mailbox voll"
    assert ev[-1]["actor"] == f"token:{agent_id}"
    for s in SECRETS:
        assert s not in raw, s
    assert "+49" not in raw

    # closed long ago: retention erases it, and that is the story's end
    t.sql(f"UPDATE callbacks SET closed_at = closed_at - interval '40 days' WHERE id = '{cid}'")
    wait_for("erasure", lambda: t.scalar(
        f"SELECT erased_at IS NOT NULL FROM callbacks WHERE id = '{cid}'") == "t", timeout=15)
    st, body, raw = events(d, cid, agent)
    assert st == 200
    assert body["events"][-1]["kind"] == "personal_data_erased"
    assert body["events"][-1]["actor"] == "callbackd"
    assert [e["data"]["note"] for e in body["events"] if e["kind"] == "attempt"] == [None]


def test_an_urgent_merge_that_moves_the_due_time_leaves_an_event(t):
    d, tok = world(t)
    body = {"phone": "0231 7775555", "topic": "housing_approval", "site": "dortmund"}
    st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tok["telephony"])
    assert st == 201
    st, _, merged, _ = d.req("POST", "/v1/callbacks", dict(body, urgent=True), tok["telephony"])
    assert st == 200 and merged["due_at"] < cb["due_at"], merged
    rows = t.sql(f"SELECT actor, data->>'due_at', data->>'was', data->>'reason' FROM events "
                 f"WHERE callback_id = '{cb['id']}' AND kind = 'due_moved'")
    assert rows == [["callbackd", merged["due_at"], cb["due_at"], "urgent"]], rows
    # a merge that changes nothing of the due time leaves none
    st, _, again, _ = d.req("POST", "/v1/callbacks", dict(body, urgent=True), tok["telephony"])
    assert st == 200 and again["due_at"] == merged["due_at"]
    assert t.scalar(f"SELECT count(*) FROM events WHERE callback_id = '{cb['id']}' "
                    "AND kind = 'due_moved'") == "1"


def test_a_caseworker_reads_the_story_of_what_she_holds_or_held_only(t):
    d, tok = world(t)
    tel = tok["telephony"]
    st, _, mine, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 7772222", "topic": "general", "site": "dortmund",
        "assignee": "anna"}, tel)
    assert st == 201
    # requested an hour earlier: due first, the one anna's claim gets
    st, _, held, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 7773333", "topic": "housing_approval", "site": "dortmund",
        "requested_at": ago(1)}, tel)
    assert st == 201
    # assigned to anna: hers to read, notes and all; not ben's
    assert events(d, mine["id"], tok["anna"])[0] == 200
    st, err, _ = events(d, mine["id"], tok["ben"])
    assert st == 403 and err["error"]["code"] == "forbidden"
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, tok["anna"])
    assert st == 200 and got["callback"]["id"] == held["id"], got
    # she holds it now: notes and all
    assert events(d, held["id"], tok["anna"])[0] == 200
    assert events(d, held["id"], tok["ben"])[0] == 403
    assert d.req("POST", f"/v1/callbacks/{held['id']}/attempts", {
        "lease": got["lease"]["token"], "result": "busy", "note": "Mailbox voll"},
        tok["anna"])[0] == 201
    # she held it: she may read its story, but no longer the notes, as
    # she may no longer read the callback
    assert d.req("GET", f"/v1/callbacks/{held['id']}", token=tok["anna"])[0] == 403
    st, body, raw = events(d, held["id"], tok["anna"])
    assert st == 200, body
    attempt = [e for e in body["events"] if e["kind"] == "attempt"]
    assert len(attempt) == 1 and "note" not in attempt[0]["data"], attempt
    assert "Mailbox voll" not in raw
    # the manager sees the note, as in GET /v1/callbacks/{id}
    st, body, raw = events(d, held["id"], tok["manager"])
    assert [e["data"]["note"] for e in body["events"] if e["kind"] == "attempt"] == ["Mailbox voll"]
    # ben never held it
    assert events(d, held["id"], tok["ben"])[0] == 403


def test_each_read_of_a_story_is_on_record_and_unknown_ids_are_not_found(t):
    d, tok = world(t)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 7774444", "topic": "general", "site": "dortmund"}, tok["telephony"])
    assert st == 201
    count = "SELECT count(*) FROM access_log"
    before = int(t.scalar(count))
    assert events(d, cb["id"], tok["manager"])[0] == 200
    mgr_id = t.scalar("SELECT id FROM tokens WHERE role = 'manager'")
    row = t.sql("SELECT token_id, caseworker_id IS NULL, route, callback_ids::text "
                "FROM access_log ORDER BY id DESC LIMIT 1")
    assert row == [[mgr_id, "t", "GET /v1/callbacks/{id}/events", "{" + cb["id"] + "}"]], row
    assert int(t.scalar(count)) == before + 1
    st, err, _ = events(d, str(uuid.uuid4()), tok["manager"])
    assert st == 404 and err["error"]["code"] == "not_found"
    # an id that is no UUID names no callback, as on GET /v1/callbacks/{id}
    st, err, _ = events(d, "not-a-callback", tok["agent"])
    assert st == 404 and err["error"]["code"] == "not_found", (st, err)
    assert d.req("GET", "/v1/callbacks/not-a-callback", token=tok["agent"])[0] == 404
    assert events(d, cb["id"], tok["ben"])[0] == 403
    st, err, _ = events(d, cb["id"], tok["telephony"])
    assert st == 403
    # refused and unknown reads show nothing and are not recorded
    assert int(t.scalar(count)) == before + 1


def test_a_long_story_is_cut_at_its_bound_and_says_so(t):
    d, tok = world(t)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 7776666", "topic": "general", "site": "dortmund"}, tok["telephony"])
    assert st == 201
    t.sql(f"INSERT INTO events (callback_id, actor, kind, data) SELECT '{cb['id']}', "
          "'anna', 'released', jsonb_build_object('caseworker', 'anna') "
          "FROM generate_series(1, 520)")
    st, body, _ = events(d, cb["id"], tok["agent"])
    assert st == 200 and len(body["events"]) == 500 and body["truncated"] is True
    assert body["events"][0]["kind"] == "created"
    assert json.dumps(body).count('"released"') == 499
