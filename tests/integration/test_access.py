"""Access that ends when it should, and an account of every read: a
deactivated caseworker's token stops working at once and their leases go
back to the queue; every read of personal data leaves a row in the access
log (token, caseworker, route, callbacks), which the admin reads and
retention erases; admin actions are events with the acting token; a token
may expire."""

import datetime
import json
import os
import subprocess

import harness
from harness import wait_for

CTL = os.path.join(os.path.dirname(harness.CALLBACKD), "callbackctl")


def ctl(d, tok, *args):
    return subprocess.run([CTL, "-u", f"http://127.0.0.1:{d.port}", "-t", tok] + list(args),
                          capture_output=True, text=True, timeout=30)


def iso(delta_s):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def token_id(t, tok):
    """The id of a token just made on the command line: the newest one."""
    return int(t.scalar("SELECT max(id) FROM tokens"))


def caseworker(d, admin, cid, site="dortmund"):
    st, _, body, _ = d.req("POST", "/v1/caseworkers", {
        "id": cid, "site": site, "topics": ["general"], "languages": ["de"]}, admin)
    assert st == 201, body


def create(d, tel, phone, **kw):
    body = {"phone": phone, "topic": "general", "site": "dortmund"}
    body.update(kw)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
    assert st == 201, cb
    return cb


def test_deactivated_caseworker_is_refused_everywhere_and_its_lease_released(t):
    d = t.daemon()
    admin, tel = d.token("admin"), d.token("telephony")
    caseworker(d, admin, "anna")
    caseworker(d, admin, "ben")
    anna = d.token("caseworker", caseworker="anna")
    ben = d.token("caseworker", caseworker="ben")
    held = create(d, tel, "0231 5550101")
    assigned = create(d, tel, "0231 5550102", assignee="anna")
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, anna)
    assert st == 200, got
    claimed = got["callback"]["id"]
    lease = got["lease"]["token"]
    # anna's token works everywhere before, and is cached
    assert d.req("GET", "/v1/queue", token=anna)[0] == 200
    assert d.req("GET", f"/v1/callbacks/{assigned['id']}", token=anna)[0] == 200
    assert d.req("POST", f"/v1/callbacks/{claimed}/heartbeat", {"lease": lease}, anna)[0] == 200
    st, _, off, _ = d.req("POST", "/v1/caseworkers/anna/deactivate", None, admin)
    assert st == 200 and off["active"] is False
    for method, path, body in (("GET", "/v1/queue", None),
                               ("GET", f"/v1/callbacks/{assigned['id']}", None),
                               ("POST", f"/v1/callbacks/{claimed}/heartbeat", {"lease": lease}),
                               ("POST", "/v1/queue/claim", None)):
        st, _, err, _ = d.req(method, path, body, anna)
        assert st == 401 and err["error"]["code"] == "unauthorized", (method, path, st, err)
    # the lease went back to the queue: queued, no lapse, an event by the admin
    row = t.sql(f"SELECT state, lease_token IS NULL, claimed_by IS NULL, lapsed_leases "
                f"FROM callbacks WHERE id = '{claimed}'")
    assert row == [["queued", "t", "t", "0"]], row
    admin_id = t.scalar("SELECT id FROM tokens WHERE role = 'admin'")
    ev = t.sql(f"SELECT actor, data->>'caseworker' FROM events WHERE callback_id = '{claimed}' "
               "AND kind = 'lease_released'")
    assert ev == [[f"token:{admin_id}", "anna"]], ev
    assert t.scalar(f"SELECT count(*) FROM attempts WHERE callback_id = '{claimed}'") == "0"
    assert claimed not in t.zset("leases")
    # and ben can claim it now
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, ben)
    assert st == 200 and got["callback"]["id"] == claimed, got
    assert held["id"] == claimed


def test_deactivation_reaches_other_daemons_within_the_cache_time(t):
    d1 = t.daemon()
    d2 = t.daemon(name="d2")
    admin = d1.token("admin")
    caseworker(d1, admin, "anna")
    anna = d1.token("caseworker", caseworker="anna")
    assert d2.req("GET", "/v1/queue", token=anna)[0] == 200
    assert d1.req("POST", "/v1/caseworkers/anna/deactivate", None, admin)[0] == 200
    assert d1.req("GET", "/v1/queue", token=anna)[0] == 401
    wait_for("the other daemon refuses it",
             lambda: d2.req("GET", "/v1/queue", token=anna)[0] == 401, timeout=10)


def test_a_caseworker_token_without_its_caseworker_is_not_valid(t):
    d = t.daemon()
    ghost = d.token("caseworker", caseworker="nobody")
    st, _, err, _ = d.req("GET", "/v1/session", token=ghost)
    assert st == 401 and err["error"]["code"] == "unauthorized"


def access_rows(t):
    return t.sql("SELECT token_id, coalesce(caseworker_id, '-'), route, "
                 "array_to_string(callback_ids, ',') FROM access_log ORDER BY id")


def test_reads_of_personal_data_are_in_the_access_log(t):
    d = t.daemon()
    admin, tel = d.token("admin"), d.token("telephony")
    agent = d.token("agent")
    agent_id = token_id(t, agent)
    caseworker(d, admin, "anna")
    anna = d.token("caseworker", caseworker="anna")
    anna_id = token_id(t, anna)
    a = create(d, tel, "0231 5550201", name="Erika Mustermann")
    b = create(d, tel, "0231 5550202")
    assert access_rows(t) == []
    assert d.req("GET", f"/v1/callbacks/{a['id']}", token=agent)[0] == 200
    st, _, lst, _ = d.req("GET", "/v1/callbacks?site=dortmund", token=agent)
    assert st == 200 and len(lst["callbacks"]) == 2
    # a list that shows nobody is no read of anyone's data
    st, _, lst, _ = d.req("GET", "/v1/callbacks?site=soest", token=agent)
    assert st == 200 and lst["callbacks"] == []
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, anna)
    assert st == 200
    # the queue peek shows no personal data: not on record
    assert d.req("GET", "/v1/queue", token=anna)[0] == 200
    # telephony's 201 carries ids and states only
    rows = access_rows(t)
    assert rows == [
        [str(agent_id), "-", "GET /v1/callbacks/{id}", a["id"]],
        [str(agent_id), "-", "GET /v1/callbacks", f"{a['id']},{b['id']}"],
        [str(anna_id), "anna", "POST /v1/queue/claim", got["callback"]["id"]],
    ], rows
    # append-only
    for q in ("UPDATE access_log SET route = 'x'", "DELETE FROM access_log"):
        try:
            t.sql(q)
            raise RuntimeError(q + " went through")
        except AssertionError as e:
            assert "append-only" in str(e), e
    assert len(access_rows(t)) == 3

    # the admin reads it, filtered; nobody else may
    st, _, log, _ = d.req("GET", "/v1/access", token=admin)
    assert st == 200, log
    assert [e["route"] for e in log["access"]] == [r[2] for r in rows]
    first = log["access"][0]
    assert first["token_id"] == agent_id and first["caseworker"] is None
    assert first["callback_ids"] == [a["id"]] and first["at"].endswith("Z")
    st, _, log, _ = d.req("GET", f"/v1/access?callback={b['id']}", token=admin)
    assert st == 200 and [e["route"] for e in log["access"]] == ["GET /v1/callbacks"]
    st, _, log, _ = d.req("GET", f"/v1/access?token={anna_id}", token=admin)
    assert [e["caseworker"] for e in log["access"]] == ["anna"]
    st, _, log, _ = d.req("GET", f"/v1/access?since={iso(3600)}", token=admin)
    assert st == 200 and log["access"] == []
    st, _, page, _ = d.req("GET", "/v1/access?limit=2", token=admin)
    assert len(page["access"]) == 2 and page["next_cursor"]
    st, _, rest, _ = d.req("GET", f"/v1/access?limit=2&cursor={page['next_cursor']}",
                           token=admin)
    assert [e["route"] for e in rest["access"]] == ["POST /v1/queue/claim"], rest
    assert d.req("GET", "/v1/access?token=abc", token=admin)[0] == 400
    assert d.req("GET", "/v1/access?callback=nope", token=admin)[0] == 400
    for tok in (agent, anna, tel):
        st, _, err, _ = d.req("GET", "/v1/access", token=tok)
        assert st == 403 and err["error"]["code"] == "forbidden"

    out = ctl(d, admin, "access", "--callback", b["id"])
    assert out.returncode == 0, out.stderr
    assert "GET /v1/callbacks" in out.stdout and "claim" not in out.stdout
    out = ctl(d, admin, "access", "--token", str(anna_id), "--since", iso(-3600))
    assert out.returncode == 0 and "POST /v1/queue/claim" in out.stdout, out.stderr
    assert "GET /v1/callbacks" not in out.stdout
    out = ctl(d, agent, "access")
    assert out.returncode == 1 and "forbidden" in out.stderr


PERSONAL = ("phone", "name", "customer_ref", "note", "call_id")


def test_answers_to_changes_show_no_personal_data_and_are_not_reads(t):
    """An answer to a change (an attempt, cancel, release, unflag, a
    heartbeat) tells the caller what the change did, not the caller's
    data: it is no read, and nothing of it goes to the access log. An
    agent's request that merged into an open callback is answered with
    that callback, what earlier requests said included: a read, on record.
    Before, each of them carried the whole callback with no row."""
    d = t.daemon()
    admin, agent, manager = d.token("admin"), d.token("agent"), d.token("manager")
    caseworker(d, admin, "anna")
    anna = d.token("caseworker", caseworker="anna")

    def clean(what, st, body, want):
        assert st == want, (what, st, body)
        shown = [k for k in PERSONAL if k in body]
        assert shown == [], (what, shown)
        return body

    # what the agent files comes back whole: it said it itself
    st, _, a, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5550301", "topic": "general", "site": "dortmund",
        "name": "Erika Mustermann", "customer_ref": "KD-4711", "note": "Wohnung",
        "call_id": "call-1"}, agent)
    assert st == 201 and a["name"] == "Erika Mustermann" and a["merged"] is False, a
    assert access_rows(t) == []
    st, _, merged, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5550301", "topic": "general", "site": "dortmund"}, agent)
    assert st == 200 and merged["merged"] is True and merged["request_count"] == 2, merged
    assert merged["id"] == a["id"] and merged["name"] == "Erika Mustermann"
    assert [r[2:] for r in access_rows(t)] == [["POST /v1/callbacks", a["id"]]], access_rows(t)
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, anna)
    assert st == 200 and got["callback"]["phone"] == "+492315550301"  # a read, on record
    lease = got["lease"]["token"]
    hb = d.req("POST", f"/v1/callbacks/{a['id']}/heartbeat", {"lease": lease}, anna)
    clean("heartbeat", hb[0], hb[2], 200)
    rel = clean("released", *d.req("POST", f"/v1/callbacks/{a['id']}/release",
                                   {"lease": lease}, anna)[:3:2], 200)
    assert rel["state"] == "queued"
    st, _, got, _ = d.req("POST", "/v1/queue/claim", None, anna)
    assert st == 200
    att = clean("attempt", *d.req("POST", f"/v1/callbacks/{a['id']}/attempts", {
        "lease": got["lease"]["token"], "result": "no_answer"}, anna)[:3:2], 201)
    assert att["state"] == "queued" and att["attempt_count"] == 1
    b = create(d, agent, "0231 5550302", name="Max Muster")
    att = clean("agent's attempt", *d.req("POST", f"/v1/callbacks/{b['id']}/attempts", {
        "result": "busy", "note": "besetzt"}, agent)[:3:2], 201)
    assert att["attempt_count"] == 1
    t.sql(f"UPDATE callbacks SET flagged = true, lapsed_leases = 3 WHERE id = '{b['id']}'")
    unf = clean("unflagged", *d.req("POST", f"/v1/callbacks/{b['id']}/unflag", None,
                                    manager)[:3:2], 200)
    assert unf["flagged"] is False and unf["lapsed_leases"] == 0
    can = clean("cancelled", *d.req("POST", f"/v1/callbacks/{b['id']}/cancel", None,
                                    agent)[:3:2], 200)
    assert can["state"] == "cancelled"
    # the merge and the two claims are the only reads; the data is there
    # for a read
    assert [r[2] for r in access_rows(t)] == ["POST /v1/callbacks"] + \
        ["POST /v1/queue/claim"] * 2, access_rows(t)
    st, _, full, _ = d.req("GET", f"/v1/callbacks/{b['id']}", token=agent)
    assert st == 200 and full["name"] == "Max Muster" and full["phone"] == "+492315550302"
    assert len(access_rows(t)) == 4


def test_a_read_that_cannot_be_recorded_is_not_answered(t):
    d = t.daemon()
    admin, tel, agent = d.token("admin"), d.token("telephony"), d.token("agent")
    caseworker(d, admin, "anna")
    anna = d.token("caseworker", caseworker="anna")
    a = create(d, tel, "0231 5550301", name="Erika Mustermann")
    # a trigger that refuses every access row: PostgreSQL cannot write it
    t.sql("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
          "$$ BEGIN RAISE EXCEPTION 'no room'; END $$; "
          "CREATE TRIGGER refuse BEFORE INSERT ON access_log "
          "FOR EACH ROW EXECUTE FUNCTION refuse()")
    try:
        st, _, body, raw = d.req("GET", f"/v1/callbacks/{a['id']}", token=agent)
        assert st == 503 and body["error"]["code"] == "unavailable", body
        assert b"Erika" not in raw and b"5550301" not in raw
        st, _, body, raw = d.req("GET", "/v1/callbacks", token=agent)
        assert st == 503 and b"Erika" not in raw
        # a claim and its record are one commit: no claim without it
        st, _, body, raw = d.req("POST", "/v1/queue/claim", None, anna)
        assert st == 503 and b"Erika" not in raw, (st, body)
        assert t.scalar(f"SELECT state FROM callbacks WHERE id = '{a['id']}'") == "queued"
    finally:
        t.sql("DROP TRIGGER refuse ON access_log")
    assert d.req("GET", f"/v1/callbacks/{a['id']}", token=agent)[0] == 200
    wait_for("the callback claimable again",
             lambda: d.req("POST", "/v1/queue/claim", None, anna)[0] == 200)


def test_admin_actions_are_on_record_with_the_acting_token(t):
    d = t.daemon()
    admin = d.token("admin")
    admin_id = token_id(t, admin)
    actor = f"token:{admin_id}"
    st, _, made, _ = d.req("POST", "/v1/tokens", {"role": "agent", "label": "Frau X"}, admin)
    assert st == 201
    assert d.req("POST", f"/v1/tokens/{made['id']}/revoke", None, admin)[0] == 200
    caseworker(d, admin, "anna")
    assert d.req("PUT", "/v1/caseworkers/anna", {
        "site": "soest", "topics": ["general"], "languages": ["de"]}, admin)[0] == 200
    assert d.req("POST", "/v1/caseworkers/anna/deactivate", None, admin)[0] == 200
    ev = t.sql("SELECT actor, kind, coalesce(data->>'token', data->>'caseworker') "
               "FROM admin_events ORDER BY id")
    assert ev == [
        # the admin's own token, made on the command line
        ["callbackd --create-token", "token_created", str(admin_id)],
        [actor, "token_created", str(made["id"])],
        [actor, "token_revoked", str(made["id"])],
        [actor, "caseworker_created", "anna"],
        [actor, "caseworker_updated", "anna"],
        [actor, "caseworker_deactivated", "anna"],
    ], ev
    # the label may name a person: not in the log
    assert t.scalar("SELECT count(*) FROM admin_events WHERE data::text LIKE '%Frau X%'") == "0"
    try:
        t.sql("DELETE FROM admin_events")
        raise RuntimeError("admin_events changed")
    except AssertionError as e:
        assert "append-only" in str(e), e

    # the admin reads them through the API, oldest first, filtered, in pages
    st, _, log, _ = d.req("GET", "/v1/admin-events", token=admin)
    assert st == 200, log
    got = [(e["actor"], e["kind"], str(e["data"].get("token", e["data"].get("caseworker"))))
           for e in log["admin_events"]]
    assert got == [tuple(x) for x in ev], got
    assert log["next_cursor"] is None
    first = log["admin_events"][0]
    assert isinstance(first["id"], int) and first["at"].endswith("Z"), first
    assert "Frau X" not in json.dumps(log)
    st, _, only, _ = d.req("GET", "/v1/admin-events?kind=token_revoked", token=admin)
    assert st == 200 and [e["data"]["token"] for e in only["admin_events"]] == [made["id"]], only
    st, _, page, _ = d.req("GET", "/v1/admin-events?limit=4", token=admin)
    assert len(page["admin_events"]) == 4 and page["next_cursor"], page
    st, _, rest, _ = d.req("GET", f"/v1/admin-events?limit=4&cursor={page['next_cursor']}",
                           token=admin)
    assert [e["kind"] for e in rest["admin_events"]] == [
        "caseworker_updated", "caseworker_deactivated"], rest
    assert rest["next_cursor"] is None
    st, _, later, _ = d.req("GET", f"/v1/admin-events?since={iso(3600)}", token=admin)
    assert st == 200 and later["admin_events"] == []
    for query, field in (("kind=token_made", "kind"), ("since=yesterday", "since"),
                         ("limit=0", "limit"), ("limit=1001", "limit"), ("cursor=x", "cursor"),
                         ("kind=", "kind")):
        st, _, err, _ = d.req("GET", f"/v1/admin-events?{query}", token=admin)
        assert st == 400 and err["error"]["field"] == field, (query, st, err)
    for role in ("agent", "manager", "telephony"):
        st, _, err, _ = d.req("GET", "/v1/admin-events", token=d.token(role))
        assert st == 403 and err["error"]["code"] == "forbidden", (role, st)
    # reading them is no read of personal data
    assert access_rows(t) == []
    out = ctl(d, admin, "admin-events", "--kind", "caseworker_created")
    assert out.returncode == 0, out.stderr
    assert "caseworker_created" in out.stdout and "anna" in out.stdout, out.stdout
    assert "token_created" not in out.stdout, out.stdout


def test_an_expired_token_is_refused_like_a_revoked_one(t):
    d = t.daemon()
    admin = d.token("admin")
    st, _, made, _ = d.req("POST", "/v1/tokens", {"role": "agent", "expires_in": "90d"}, admin)
    assert st == 201, made
    assert made["expires_at"] and made["expires_at"].endswith("Z")
    st, _, lst, _ = d.req("GET", "/v1/tokens", token=admin)
    listed = {x["id"]: x for x in lst["tokens"]}
    assert listed[made["id"]]["expires_at"] == made["expires_at"]
    assert all(k not in listed[made["id"]] for k in ("token", "hash"))
    assert d.req("GET", "/v1/session", token=made["token"])[0] == 200
    # an expiry that has passed: refused, also from the cache
    t.sql(f"UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = {made['id']}")
    st, _, fresh, _ = d.req("POST", "/v1/tokens", {"role": "agent",
                            "expires_at": iso(2)}, admin)
    assert st == 201, fresh
    assert d.req("GET", "/v1/session", token=fresh["token"])[0] == 200
    wait_for("the token expires", lambda: d.req(
        "GET", "/v1/session", token=fresh["token"])[0] == 401, timeout=10)
    st, _, err, _ = d.req("GET", "/v1/session", token=fresh["token"])
    assert st == 401 and err["error"]["code"] == "unauthorized"
    old = d.req("POST", "/v1/tokens", {"role": "agent"}, admin)[2]
    t.sql(f"UPDATE tokens SET expires_at = now() - interval '1 day' WHERE id = {old['id']}")
    assert d.req("GET", "/v1/session", token=old["token"])[0] == 401
    for body, field in (({"role": "agent", "expires_at": iso(-60)}, "expires_at"),
                        ({"role": "agent", "expires_at": "soon"}, "expires_at"),
                        ({"role": "agent", "expires_in": "ninety"}, "expires_in"),
                        ({"role": "agent", "expires_in": "90d", "expires_at": iso(60)},
                         "expires_at")):
        st, _, err, _ = d.req("POST", "/v1/tokens", body, admin)
        assert st == 422 and err["error"]["field"] == field, (body, st, err)
    # on the command line, callbackd and callbackctl
    out = d.run("--create-token", "agent", "--label", "cli", "--expires", "90d")
    tok = out.stdout.strip()
    assert d.req("GET", "/v1/session", token=tok)[0] == 200
    assert t.scalar("SELECT expires_at - created_at BETWEEN interval '89 days 23 hours' "
                    "AND interval '90 days 1 hour' FROM tokens WHERE id = "
                    "(SELECT max(id) FROM tokens)") == "t"
    out = ctl(d, admin, "token", "add", "agent", "--expires", "90d")
    assert out.returncode == 0, out.stderr
    assert t.scalar("SELECT expires_at IS NOT NULL FROM tokens WHERE id = "
                    "(SELECT max(id) FROM tokens)") == "t"


def test_retention_erases_the_access_rows_of_an_erased_callback(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s",
                             "shutdown_grace = 10s\nretention_days = 30\nretention_check = 1s"))
    d.start()
    tel, agent = d.token("telephony"), d.token("agent")
    old = create(d, tel, "0231 5550401", name="Erika Mustermann")
    kept = create(d, tel, "0231 5550402")
    assert d.req("POST", f"/v1/callbacks/{old['id']}/attempts",
                 {"result": "reached"}, agent)[0] == 201
    assert d.req("GET", f"/v1/callbacks/{old['id']}", token=agent)[0] == 200
    assert d.req("GET", "/v1/callbacks?site=dortmund", token=agent)[0] == 200
    assert len(access_rows(t)) == 2
    t.sql(f"UPDATE callbacks SET closed_at = closed_at - interval '40 days' "
          f"WHERE id = '{old['id']}'")
    wait_for("erasure", lambda: t.scalar(
        f"SELECT erased_at IS NOT NULL FROM callbacks WHERE id = '{old['id']}'") == "t")
    # the row about the erased one alone is gone; the list keeps the other
    rows = access_rows(t)
    assert [r[2:] for r in rows] == [["GET /v1/callbacks", kept["id"]]], rows
