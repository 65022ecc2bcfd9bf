"""Caseworkers working their queue against real PostgreSQL and Redis:
claims with leases, routing, attempts and their outcomes, lapsed leases,
cancel, and several daemons claiming at once."""

import datetime
import re
import threading
import time

from harness import wait_for

BASE = {"phone": "0231 1234567", "topic": "general", "site": "dortmund"}
H = 3600 * 1000


def ms(ts):
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
               .timestamp() * 1000)


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class World:
    """A daemon with admin, telephony and agent tokens, and caseworkers."""

    def __init__(self, t, daemon=None):
        self.t = t
        self.d = daemon or t.daemon()
        self.admin = self.d.token("admin")
        self.tel = self.d.token("telephony")
        self.agent = self.d.token("agent")
        self.cw = {}
        self.phones = 0

    def caseworker(self, cid, site="dortmund", topics=("general",),
                   languages=("de",)):
        st, _, body, _ = self.d.req("POST", "/v1/caseworkers", {
            "id": cid, "site": site, "topics": list(topics),
            "languages": list(languages)}, self.admin)
        assert st == 201, (st, body)
        self.cw[cid] = self.d.token("caseworker", caseworker=cid)
        return self.cw[cid]

    def create(self, **fields):
        self.phones += 1
        body = dict(BASE, phone=f"0231 {5000000 + self.phones}")
        body.update(fields)
        st, _, cb, _ = self.d.req("POST", "/v1/callbacks", body, self.tel)
        assert st == 201, (st, cb)
        return cb

    def claim(self, cid):
        return self.d.req("POST", "/v1/queue/claim", None, self.cw[cid])

    def act(self, cid, cb_id, what, body):
        return self.d.req("POST", f"/v1/callbacks/{cb_id}/{what}", body,
                          self.cw[cid] if cid else self.agent)

    def state(self, cb_id):
        return self.t.scalar(f"SELECT state FROM callbacks WHERE id = '{cb_id}'")


def test_index_faults_sees_an_entry_out_of_place(t):
    """The check the tests below end with: each callback in exactly the
    set its index record names."""
    w = World(t)
    cb = w.create()
    assert t.index_faults() == []
    # The daemon's index check re-syncs a record it finds out of place; with
    # the daemon stopped, what the check below reads is what this test wrote.
    assert w.d.stop() == 0
    t.zadd("leases", 1, cb["id"])
    hex_id = cb["id"].replace("-", "")
    faults = t.index_faults()
    assert len(faults) == 1 and faults[0].startswith(hex_id + " r in "), faults
    assert faults[0].endswith("leases"), faults
    t.forget(cb["id"], t.redis.routes(t.prefix)[0][len(t.prefix):])
    assert t.index_faults() == [hex_id + " without a record in " + t.key("leases")]


def test_a_claim_skips_an_entry_whose_callback_was_closed_behind_the_index(t):
    w = World(t)
    w.caseworker("anna")
    first = w.create(requested_at=iso(datetime.datetime.now(datetime.timezone.utc)
                                      - datetime.timedelta(hours=1)))
    second = w.create()
    wait_for("indexed", lambda: {first["id"], second["id"]} <= set(t.ready()))
    t.index_settled()
    # closed in PostgreSQL by hand: the index, which comes first, still
    # offers it
    t.sql(f"UPDATE callbacks SET state = 'cancelled', closed_at = now() "
          f"WHERE id = '{first['id']}'")
    assert first["id"] in t.ready()
    st, _, c, _ = w.claim("anna")
    assert st == 200 and c["callback"]["id"] == second["id"], (st, c)
    assert w.state(first["id"]) == "cancelled"
    assert first["id"] not in t.ready() and first["id"] not in t.zset("leases")
    assert w.claim("anna")[0] == 204


def test_claim_attempt_reached_completes(t):
    w = World(t)
    w.caseworker("anna")
    cb = w.create()
    st, _, got, _ = w.claim("anna")
    assert st == 200, (st, got)
    assert got["callback"]["id"] == cb["id"]
    assert got["callback"]["state"] == "claimed"
    assert got["callback"]["claimed_by"] == "anna"
    lease = got["lease"]
    assert ms(lease["until"]) > time.time() * 1000
    assert w.state(cb["id"]) == "claimed"
    assert t.ready() == {}
    assert list(t.zset("leases")) == [cb["id"]]
    rec = t.record(cb["id"])
    assert rec["state"] == "c" and rec["token"] == lease["token"], rec
    # the longest record, with its token, still lets Redis keep its hash
    # compact (values of at most 64 bytes): a million fit in 200 MB
    h = t.key("r:" + cb["id"].replace("-", "")[:4])
    assert t.redis.cli("OBJECT", "ENCODING", h) == "listpack"
    # nothing else to claim
    assert w.claim("anna")[0] == 204
    st, _, done, _ = w.act("anna", cb["id"], "attempts",
                           {"lease": lease["token"], "result": "reached",
                            "duration_s": 95, "note": "Termin vereinbart"})
    assert st == 201, (st, done)
    assert done["state"] == "completed" and done["attempt_count"] == 1
    assert done["first_attempt_at"] and done["reached_at"] and done["closed_at"]
    assert t.sql(f"SELECT actor, result, duration_s FROM attempts "
                 f"WHERE callback_id = '{cb['id']}'") == [["anna", "reached", "95"]]
    assert t.zset("leases") == {}
    # the record stays a day as a tombstone, so a late older sync cannot revive it
    rec = t.record(cb["id"])
    assert rec["state"] == "x" and rec["version"] == ms(done["updated_at"]), rec
    assert t.ready() == {}
    kinds = [r[0] for r in t.sql(f"SELECT kind FROM events WHERE callback_id = "
                                 f"'{cb['id']}' ORDER BY id")]
    assert kinds == ["created", "claimed", "attempt"]
    # a completed callback takes no more attempts
    st, _, err, _ = w.act("anna", cb["id"], "attempts",
                          {"lease": lease["token"], "result": "reached"})
    assert st == 409 and err["error"]["code"] == "wrong_state"
    assert err["error"]["state"] == "completed"
    st, _, got, _ = w.d.req("GET", f"/v1/callbacks/{cb['id']}", token=w.agent)
    assert [a["result"] for a in got["attempts"]] == ["reached"]
    assert t.index_faults() == []


def test_unanswered_attempts_back_off_then_unreachable(t):
    w = World(t)
    w.caseworker("anna")
    cb = w.create()
    for n, result in enumerate(["no_answer", "busy"], start=1):
        if n > 1:  # the back-off holds it in waiting; bring it forward
            t.sql(f"UPDATE callbacks SET not_before = now() WHERE id = '{cb['id']}'")
            t.zadd("waiting", 0, cb["id"])
            wait_for("promotion", lambda: cb["id"] in t.ready())
        st, _, got, _ = w.claim("anna")
        assert st == 200, (n, st, got)
        before = time.time() * 1000
        st, _, after, _ = w.act("anna", cb["id"], "attempts",
                                {"lease": got["lease"]["token"], "result": result})
        assert st == 201, (st, after)
        assert after["state"] == "queued" and after["attempt_count"] == n
        # default back-off 2 h, doubled with each attempt
        wait_ms = ms(after["not_before"]) - before
        assert abs(wait_ms - 2 * H * 2 ** (n - 1)) < 60_000, wait_ms
        assert t.zset("waiting") == {cb["id"]: ms(after["not_before"])}
        assert cb["id"] not in t.ready()
    # third unanswered attempt: the policy's max_attempts (3) is used up
    t.sql(f"UPDATE callbacks SET not_before = now() WHERE id = '{cb['id']}'")
    t.zadd("waiting", 0, cb["id"])
    wait_for("promotion", lambda: cb["id"] in t.ready())
    st, _, got, _ = w.claim("anna")
    assert st == 200
    st, _, after, _ = w.act("anna", cb["id"], "attempts",
                            {"lease": got["lease"]["token"], "result": "voicemail"})
    assert st == 201 and after["state"] == "unreachable"
    assert t.scalar(f"SELECT count(*) FROM attempts WHERE callback_id = '{cb['id']}'") == "3"
    assert t.index_faults() == []


def test_wrong_number_and_callback_later(t):
    w = World(t)
    w.caseworker("anna")
    a = w.create()
    got = w.claim("anna")[2]
    st, _, after, _ = w.act("anna", a["id"], "attempts",
                            {"lease": got["lease"]["token"], "result": "wrong_number"})
    assert st == 201 and after["state"] == "unreachable"
    b = w.create()
    got = w.claim("anna")[2]
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5)
    st, _, err, _ = w.act("anna", b["id"], "attempts",
                          {"lease": got["lease"]["token"], "result": "callback_later"})
    assert st == 400 and err["error"]["field"] == "not_before"
    st, _, after, _ = w.act("anna", b["id"], "attempts",
                            {"lease": got["lease"]["token"], "result": "callback_later",
                             "not_before": iso(later)})
    assert st == 201 and after["state"] == "queued"
    assert ms(after["not_before"]) == ms(iso(later))
    assert t.zset("waiting") == {b["id"]: ms(iso(later))}
    assert t.index_faults() == []


def test_agent_logs_attempt_without_lease(t):
    w = World(t)
    cb = w.create()
    st, _, after, _ = w.act(None, cb["id"], "attempts", {"result": "reached"})
    assert st == 201 and after["state"] == "completed"
    st, _, err, _ = w.act(None, cb["id"], "attempts", {"result": "reached"})
    assert st == 409 and err["error"]["code"] == "wrong_state"
    st, _, err, _ = w.act(None, cb["id"], "attempts", {"result": "shouted"})
    assert st == 422 and err["error"]["code"] == "invalid_result"


def test_stale_and_foreign_leases_change_nothing(t):
    w = World(t)
    w.caseworker("anna")
    w.caseworker("ben")
    cb = w.create()
    got = w.claim("anna")[2]
    token = got["lease"]["token"]
    events = t.scalar("SELECT count(*) FROM events")
    # ben is not the holder
    for what, body in [("attempts", {"lease": token, "result": "reached"}),
                       ("heartbeat", {"lease": token}), ("release", {"lease": token})]:
        st, _, err, _ = w.act("ben", cb["id"], what, body)
        assert st == 403 and err["error"]["code"] == "lease_foreign", (what, st, err)
    # anna with a made-up lease
    stale = "00000000-0000-4000-8000-000000000000"
    for what, body in [("attempts", {"lease": stale, "result": "reached"}),
                       ("heartbeat", {"lease": stale}), ("release", {"lease": stale})]:
        st, _, err, _ = w.act("anna", cb["id"], what, body)
        assert st == 409 and err["error"]["code"] == "lease_lost", (what, st, err)
    st, _, err, _ = w.act("anna", cb["id"], "attempts", {"result": "reached"})
    assert st == 400 and err["error"]["field"] == "lease"
    assert t.scalar("SELECT count(*) FROM events") == events
    assert t.scalar("SELECT count(*) FROM attempts") == "0"
    assert w.state(cb["id"]) == "claimed"


def test_heartbeat_extends_and_release_returns(t):
    w = World(t)
    w.caseworker("anna")
    cb = w.create()
    got = w.claim("anna")[2]
    token = got["lease"]["token"]
    time.sleep(0.05)
    st, _, hb, _ = w.act("anna", cb["id"], "heartbeat", {"lease": token})
    assert st == 200 and hb["lease"]["token"] == token
    # the holder may read what they claimed; another caseworker may not
    w.caseworker("ben")
    assert w.d.req("GET", f"/v1/callbacks/{cb['id']}", token=w.cw["anna"])[0] == 200
    assert w.d.req("GET", f"/v1/callbacks/{cb['id']}", token=w.cw["ben"])[0] == 403
    assert ms(hb["lease"]["until"]) > ms(got["lease"]["until"])
    assert t.zset("leases") == {cb["id"]: ms(hb["lease"]["until"])}
    st, _, rel, _ = w.act("anna", cb["id"], "release", {"lease": token})
    assert st == 200 and rel["state"] == "queued" and rel["claimed_by"] is None
    assert t.ready() == {cb["id"]: ms(cb["due_at"])}
    assert t.zset("leases") == {}
    # the old lease is worth nothing now
    st, _, err, _ = w.act("anna", cb["id"], "heartbeat", {"lease": token})
    assert st == 409 and err["error"]["code"] == "lease_lost"
    again = w.claim("anna")[2]
    assert again["callback"]["id"] == cb["id"] and again["lease"]["token"] != token
    assert t.index_faults() == []


def test_lapsed_lease_returns_callback_and_is_no_attempt(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("shutdown_grace = 10s", "shutdown_grace = 10s\nlease = 1s"))
    d.start()
    w = World(t, d)
    w.caseworker("anna")
    cb = w.create()
    got = w.claim("anna")[2]
    wait_for("lapse", lambda: w.state(cb["id"]) == "queued", timeout=10)
    wait_for("back in ready", lambda: t.ready() == {cb["id"]: ms(cb["due_at"])})
    row = t.sql(f"SELECT attempt_count, lapsed_leases, first_attempt_at IS NULL "
                f"FROM callbacks WHERE id = '{cb['id']}'")
    assert row == [["0", "1", "t"]], row
    assert t.scalar("SELECT count(*) FROM events WHERE kind = 'lease_expired'") == "1"
    st, _, err, _ = w.act("anna", cb["id"], "attempts",
                          {"lease": got["lease"]["token"], "result": "reached"})
    assert st == 409
    # three lapses in a row: flagged for a supervisor, not claimable
    for _ in range(2):
        assert w.claim("anna")[0] == 200
        wait_for("lapse", lambda: w.state(cb["id"]) == "queued" and
                 t.scalar(f"SELECT lease_token IS NULL FROM callbacks WHERE id = '{cb['id']}'") == "t",
                 timeout=10)
    wait_for("flagged", lambda: t.is_member("flagged", cb["id"]))
    assert t.scalar(f"SELECT flagged FROM callbacks WHERE id = '{cb['id']}'") == "t"
    assert w.claim("anna")[0] == 204
    assert t.index_faults() == []


def test_routing_by_site_topic_language_and_assignment(t):
    w = World(t)
    w.caseworker("anna", site="dortmund", topics=("general", "benefits"), languages=("de", "tr"))
    w.caseworker("ben", site="soest", topics=("general",), languages=("de",))
    other_site = w.create(site="soest")
    other_topic = w.create(topic="housing_approval")
    other_lang = w.create(language="ar")
    turkish = w.create(topic="benefits", language="tr")
    for_ben = w.create(assignee="ben")
    mine = w.create(assignee="anna", site="soest", topic="housing_approval")
    got = set()
    while True:
        st, _, c, _ = w.claim("anna")
        if st == 204:
            break
        got.add(c["callback"]["id"])
    assert got == {turkish["id"], mine["id"]}, got
    got = set()
    while True:
        st, _, c, _ = w.claim("ben")
        if st == 204:
            break
        got.add(c["callback"]["id"])
    assert got == {other_site["id"], for_ben["id"]}, got
    for cb in (other_topic, other_lang):
        assert w.state(cb["id"]) == "queued"


def test_deadline_orders_claims_not_urgency_alone(t):
    w = World(t)
    w.caseworker("anna", topics=("general", "housing_approval"))
    now = datetime.datetime.now(datetime.timezone.utc)
    # a normal request 47 h old has 1 h left; a fresh urgent one has 2 h
    old = w.create(requested_at=iso(now - datetime.timedelta(hours=47)))
    urgent = w.create(topic="housing_approval", urgent=True)
    fresh = w.create(phone="0231 7777777")
    order = [w.claim("anna")[2]["callback"]["id"] for _ in range(3)]
    assert order == [old["id"], urgent["id"], fresh["id"]], order


def test_same_deadline_urgent_first(t):
    w = World(t)
    w.caseworker("anna")
    req = iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    plain = w.create(requested_at=req)
    urgent = w.create(requested_at=req, urgent=True)  # general: no shorter target
    assert plain["due_at"] == urgent["due_at"]
    assert w.claim("anna")[2]["callback"]["id"] == urgent["id"]


def test_cancel_takes_a_queued_or_claimed_callback_out_of_the_queue_once(t):
    w = World(t)
    w.caseworker("anna")
    a = w.create()
    b = w.create()
    st, _, got, _ = w.d.req("POST", f"/v1/callbacks/{a['id']}/cancel", None, w.agent)
    assert st == 200 and got["state"] == "cancelled"
    assert a["id"] not in t.ready()
    claimed = w.claim("anna")[2]
    assert claimed["callback"]["id"] == b["id"]
    st, _, got, _ = w.d.req("POST", f"/v1/callbacks/{b['id']}/cancel", None, w.agent)
    assert st == 200 and got["state"] == "cancelled"
    assert t.zset("leases") == {}
    st, _, err, _ = w.d.req("POST", f"/v1/callbacks/{a['id']}/cancel", None, w.agent)
    assert st == 409 and err["error"]["code"] == "wrong_state"
    assert w.d.req("POST", f"/v1/callbacks/{a['id']}/cancel", None, w.cw["anna"])[0] == 403
    assert t.index_faults() == []


def test_caseworker_admin(t):
    w = World(t)
    st, _, err, _ = w.d.req("POST", "/v1/caseworkers", {
        "id": "Bad Id", "site": "dortmund", "topics": ["general"], "languages": ["de"]},
        w.admin)
    assert st == 422 and err["error"]["field"] == "id"
    st, _, err, _ = w.d.req("POST", "/v1/caseworkers", {
        "id": "anna", "site": "dortmund", "topics": ["parking"], "languages": ["de"]},
        w.admin)
    assert st == 422 and err["error"]["field"] == "topics"
    w.caseworker("anna")
    st, _, err, _ = w.d.req("POST", "/v1/caseworkers", {
        "id": "anna", "site": "dortmund", "topics": ["general"], "languages": ["de"]},
        w.admin)
    assert st == 409
    st, _, cw, _ = w.d.req("PUT", "/v1/caseworkers/anna", {
        "site": "soest", "topics": ["benefits"], "languages": ["de", "en"]}, w.admin)
    assert st == 200 and cw["site"] == "soest" and cw["languages"] == ["de", "en"]
    assert w.d.req("PUT", "/v1/caseworkers/nobody", {
        "site": "soest", "topics": ["benefits"], "languages": ["de"]}, w.admin)[0] == 404
    st, _, lst, _ = w.d.req("GET", "/v1/caseworkers", token=w.admin)
    assert [c["id"] for c in lst["caseworkers"]] == ["anna"]
    assert w.d.req("GET", "/v1/caseworkers", token=w.agent)[0] == 403
    cb = w.create(site="soest", topic="benefits")
    # a claim first, so the daemon has anna's profile in hand
    st, _, got, _ = w.claim("anna")
    assert st == 200 and got["callback"]["id"] == cb["id"]
    assert w.act("anna", cb["id"], "release", {"lease": got["lease"]["token"]})[0] == 200
    st, _, off, _ = w.d.req("POST", "/v1/caseworkers/anna/deactivate", None, w.admin)
    assert st == 200 and off["active"] is False
    # a deactivated caseworker's token is refused at the door
    st, _, err, _ = w.claim("anna")
    assert st == 401 and err["error"]["code"] == "unauthorized"


def test_rebuild_restores_leases_and_waiting(t):
    w = World(t)
    w.caseworker("anna")
    claimed = w.create()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)
    waiting = w.create(window={"not_before": iso(later)})
    ready = w.create()
    lease = w.claim("anna")[2]
    assert lease["callback"]["id"] == claimed["id"]
    t.redis.cli("FLUSHALL")
    wait_for("rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    assert t.zset("leases") == {claimed["id"]: ms(lease["lease"]["until"])}
    assert t.zset("waiting") == {waiting["id"]: ms(iso(later))}
    assert t.ready() == {ready["id"]: ms(ready["due_at"])}
    # the lease still works, and the next claim is the ready one, not a double
    st, _, hb, _ = w.act("anna", claimed["id"], "heartbeat", {"lease": lease["lease"]["token"]})
    assert st == 200
    assert w.claim("anna")[2]["callback"]["id"] == ready["id"]
    assert w.claim("anna")[0] == 204
    assert t.index_faults() == []


def test_waiting_callback_becomes_claimable_when_due(t):
    w = World(t)
    w.caseworker("anna")
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1.5)
    cb = w.create(window={"not_before": iso(soon)})
    assert w.claim("anna")[0] == 204
    wait_for("promotion", lambda: cb["id"] in t.ready(), timeout=8)
    assert w.claim("anna")[2]["callback"]["id"] == cb["id"]


def test_three_daemons_thirty_claimers_each_callback_once(t):
    """3 000 callbacks, 3 daemons on one Redis and PostgreSQL, 30 claimers:
    every callback is claimed and completed exactly once."""
    first = World(t)
    daemons = [first.d, t.daemon(name="d2"), t.daemon(name="d3")]
    n_cb, n_workers = 3000, 30
    # make the callbacks straight in PostgreSQL and have the daemons rebuild:
    # intake is tested elsewhere, this test is about claims
    t.sql(f"""INSERT INTO callbacks (phone, topic, site, requested_at, received_at, due_at)
              SELECT '+4923190' || lpad(g::text, 5, '0'), 'general', 'dortmund',
                     now() - g * interval '1 second', now(),
                     now() + interval '48 hours' - g * interval '1 second'
              FROM generate_series(1, {n_cb}) g""")
    # a start-up rebuild that ends after the marker is deleted sets it
    # again, and the delete goes unseen: all three have to be done first
    for d in daemons:
        wait_for("start-up rebuild", lambda d=d: "queue index rebuilt" in d.log_tail(50))
    t.reindex()
    wait_for("rebuild", lambda: len(t.ready()) == n_cb, timeout=30)
    for i in range(n_workers):
        first.caseworker(f"w{i}")
    done = [0] * n_workers
    errors = []
    deadline = time.monotonic() + 240

    def work(i):
        d = daemons[i % 3]
        tok = first.cw[f"w{i}"]
        while time.monotonic() < deadline:
            st, _, got, _ = d.req("POST", "/v1/queue/claim", None, tok)
            if st == 204:
                return
            if st != 200:
                errors.append(("claim", st, got))
                return
            st, _, after, _ = d.req("POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
                                    {"lease": got["lease"]["token"], "result": "reached"}, tok)
            if st != 201:
                errors.append(("attempt", st, after))
                return
            done[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert not errors, errors[:5]
    assert sum(done) == n_cb, sum(done)
    assert t.scalar("SELECT count(*) FROM callbacks WHERE state = 'completed'") == str(n_cb)
    assert t.scalar("SELECT count(*) FROM attempts") == str(n_cb)
    assert t.scalar("SELECT count(DISTINCT callback_id) FROM attempts") == str(n_cb)
    assert t.scalar("SELECT count(*) FROM events WHERE kind = 'claimed'") == str(n_cb)
    assert t.ready() == {} and t.zset("leases") == {}
    for d in daemons[1:]:
        assert d.stop() == 0
    assert t.index_faults() == []


def test_queue_peek_shows_claim_order(t):
    w = World(t)
    w.caseworker("anna", topics=("general", "housing_approval"))
    now = datetime.datetime.now(datetime.timezone.utc)
    late = w.create()
    early = w.create(requested_at=iso(now - datetime.timedelta(hours=40)))
    urgent = w.create(topic="housing_approval", urgent=True)
    mine = w.create(assignee="anna", requested_at=iso(now - datetime.timedelta(hours=47)))
    st, _, q, _ = w.d.req("GET", "/v1/queue", token=w.cw["anna"])
    assert st == 200, (st, q)
    order = [c["id"] for c in q["callbacks"]]
    assert order == [mine["id"], urgent["id"], early["id"], late["id"]], order
    st, _, page, _ = w.d.req("GET", "/v1/queue?offset=1&limit=2", token=w.cw["anna"])
    assert [c["id"] for c in page["callbacks"]] == order[1:3]
    assert page["next_offset"] == 3
    # peeking claims nothing; the claim takes the head
    assert w.claim("anna")[2]["callback"]["id"] == mine["id"]
    assert w.d.req("GET", "/v1/queue?limit=x", token=w.cw["anna"])[0] == 400


def test_list_callbacks_filters_and_pages(t):
    w = World(t)
    manager = w.d.token("manager")
    sites = ["soest" if i % 2 else "dortmund" for i in range(7)]
    made = [dict(w.create(site=s), site=s) for s in sites]
    st, _, page, _ = w.d.req("GET", "/v1/callbacks?site=soest&limit=2", token=manager)
    assert st == 200, page
    seen = [c["id"] for c in page["callbacks"]]
    while page["next_cursor"]:
        st, _, page, _ = w.d.req("GET", "/v1/callbacks?site=soest&limit=2&cursor="
                                 + page["next_cursor"], token=w.agent)
        assert st == 200
        seen += [c["id"] for c in page["callbacks"]]
    # rows made in the same millisecond page in id order: compare as sets
    assert len(seen) == len(set(seen))
    assert set(seen) == {c["id"] for c in made if c["site"] == "soest"}
    w.d.req("POST", f"/v1/callbacks/{made[0]['id']}/cancel", None, w.agent)
    st, _, page, _ = w.d.req("GET", "/v1/callbacks?state=cancelled", token=manager)
    assert [c["id"] for c in page["callbacks"]] == [made[0]["id"]]
    assert w.d.req("GET", "/v1/callbacks?state=lost", token=manager)[0] == 422
    assert w.d.req("GET", "/v1/callbacks?cursor=bogus", token=manager)[0] == 400
    assert w.d.req("GET", "/v1/callbacks", token=w.tel)[0] == 403


def test_redis_flushed_mid_work_no_double_claim(t):
    w = World(t)
    for i in range(4):
        w.caseworker(f"w{i}")
    n = 200
    t.sql(f"""INSERT INTO callbacks (phone, topic, site, requested_at, received_at, due_at)
              SELECT '+4923180' || lpad(g::text, 5, '0'), 'general', 'dortmund',
                     now(), now(), now() + interval '48 hours' + g * interval '1 second'
              FROM generate_series(1, {n}) g""")
    t.reindex()
    wait_for("rebuild", lambda: len(t.ready()) == n, timeout=20)
    claims = []
    errors = []
    flushed = threading.Event()
    deadline = time.monotonic() + 120

    def work(i):
        tok = w.cw[f"w{i}"]
        while time.monotonic() < deadline:
            st, _, got, _ = w.d.req("POST", "/v1/queue/claim", None, tok)
            if st == 204:
                if flushed.is_set() and t.redis.cli("EXISTS", t.key("index")) == "1":
                    return
                time.sleep(0.05)
                continue
            if st == 503:
                time.sleep(0.05)
                continue
            if st != 200:
                errors.append((st, got))
                return
            claims.append(got["callback"]["id"])
            st, _, after, _ = w.d.req("POST", f"/v1/callbacks/{got['callback']['id']}/attempts",
                                      {"lease": got["lease"]["token"], "result": "reached"}, tok)
            if st != 201:
                errors.append((st, after))
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    wait_for("some work done", lambda: len(claims) >= 50, timeout=60)
    t.redis.cli("FLUSHALL")
    flushed.set()
    for th in threads:
        th.join(150)
    assert not errors, errors[:5]
    assert len(claims) == len(set(claims)) == n
    assert t.scalar("SELECT count(*) FROM attempts") == str(n)
    assert t.scalar("SELECT count(*) FROM callbacks WHERE state = 'completed'") == str(n)
    assert t.index_faults() == []


def eval_calls(t):
    """How many scripts Redis was sent whole (EVAL, not EVALSHA)."""
    stats = t.redis.cli("INFO", "commandstats")
    m = re.search(r"cmdstat_eval:calls=(\d+)", stats)
    return int(m.group(1)) if m else 0


def test_scripts_flushed_from_redis_are_sent_again_whole(t):
    """After SCRIPT FLUSH every EVALSHA meets NOSCRIPT: the daemon sends
    the script once whole, and the intake and the claim go through."""
    w = World(t)
    w.caseworker("anna")
    wait_for("rebuild", lambda: t.redis.cli("EXISTS", t.key("index")) == "1")
    before = eval_calls(t)
    assert t.redis.cli("SCRIPT", "FLUSH") == "OK"
    cb = w.create()  # answered once its sync is in Redis
    st, _, got, _ = w.claim("anna")
    # the sync and the claim each met NOSCRIPT and were sent whole (read
    # before the harness sends EVALs of its own)
    sent_whole = eval_calls(t) - before
    assert st == 200, (st, got)
    assert got["callback"]["id"] == cb["id"]
    assert sent_whole >= 2, sent_whole
    assert list(t.zset("leases")) == [cb["id"]]
    assert t.index_faults() == []


def test_tombstones_are_forgotten_after_a_day(t):
    """A closed callback's record outlives any rebuild that may still hold
    its older row, then goes: the index does not grow with every callback
    ever closed."""
    w = World(t)
    w.caseworker("anna")
    both = {c["id"]: c for c in (w.create(), w.create())}
    st, _, got, _ = w.claim("anna")
    assert st == 200, got
    done = both.pop(got["callback"]["id"])
    open_cb = both.popitem()[1]
    assert w.act("anna", done["id"], "attempts",
                 {"lease": got["lease"]["token"], "result": "reached"})[0] == 201
    assert t.record(done["id"])["state"] == "x"
    hashes = sorted({c["id"].replace("-", "")[:4] for c in (done, open_cb)})

    def reap(cutoff):
        return sum(int(t.script("reap", [], [t.prefix, str(cutoff), str(int(h, 16)), "1"]))
                   for h in hashes)
    # younger than the cut-off: kept
    assert reap(int(time.time() * 1000) - 24 * 3600 * 1000) == 0
    assert t.record(done["id"])["state"] == "x"
    # older: forgotten, and the open one is untouched
    assert reap(int(time.time() * 1000) + 1000) == 1
    assert t.record(done["id"]) is None
    assert t.record(open_cb["id"])["state"] == "r"
    assert open_cb["id"] in t.ready()


def held_attempts(t, w, ids, notes):
    """Logs an attempt on ids[0] while the test holds its row, then on the
    rest, so that they wait together for the next group; lets go and
    returns the statuses in order."""
    return [r if isinstance(r, Exception) else r[0] for r in t.held(
        f"BEGIN; SELECT 1 FROM callbacks WHERE id = '{ids[0]}' FOR UPDATE;", "COMMIT;",
        [lambda i=i: w.act(None, ids[i], "attempts", {"result": "reached", "note": notes[i]})
         for i in range(len(ids))])]


def test_concurrent_attempts_share_a_commit(t):
    """Group commit for the work cycle: attempts that arrive while a group
    is in PostgreSQL go in together in the next one."""
    w = World(t)
    ids = [w.create()["id"] for _ in range(9)]
    statuses = held_attempts(t, w, ids, ["x"] * 9)
    assert statuses == [201] * 9, statuses
    assert t.scalar("SELECT count(*) FROM callbacks WHERE state = 'completed'") == "9"
    # now() is the transaction's start: the held one, then the eight that
    # waited for it in one statement and one commit
    assert t.scalar("SELECT count(DISTINCT at) FROM attempts") == "2"
    assert t.ready() == {}
    assert t.index_faults() == []


def test_a_failing_attempt_fails_alone_in_its_group(t):
    w = World(t)
    ids = [w.create()["id"] for _ in range(9)]
    # PostgreSQL refuses one of them (a trigger standing in for any error)
    t.sql("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "IF NEW.note = 'refuse me' THEN RAISE EXCEPTION 'refused'; END IF; "
          "RETURN NEW; END $$; CREATE TRIGGER refuse BEFORE INSERT ON attempts "
          "FOR EACH ROW EXECUTE FUNCTION refuse()")
    notes = ["x"] * 9
    notes[4] = "refuse me"
    statuses = held_attempts(t, w, ids, notes)
    assert statuses[4] == 503, statuses
    assert statuses[:4] + statuses[5:] == [201] * 8, statuses
    # the group's statement failed, and each of its attempts ran alone
    assert "attempt group failed" in w.d.log_tail(200)
    assert t.scalar("SELECT count(*) FROM attempts") == "8"
    assert w.state(ids[4]) == "queued"
    assert list(t.ready()) == [ids[4]]


def test_concurrent_claims_share_a_commit(t):
    """Claims that arrive while a claim group is in PostgreSQL go in
    together, as one statement: nine caseworkers, two transactions."""
    w = World(t)
    for i in range(9):
        w.caseworker(f"cw{i}")
    first = w.create(urgent=True)  # the first claim takes it
    rest = [w.create()["id"] for _ in range(8)]
    got = t.held(f"BEGIN; SELECT 1 FROM callbacks WHERE id = '{first['id']}' FOR UPDATE;",
                 "COMMIT;", [lambda i=i: w.claim(f"cw{i}") for i in range(9)])
    assert [r[0] for r in got] == [200] * 9, got
    assert got[0][2]["callback"]["id"] == first["id"]
    assert sorted(r[2]["callback"]["id"] for r in got[1:]) == sorted(rest)
    assert t.scalar("SELECT count(*) FROM callbacks WHERE state = 'claimed'") == "9"
    assert t.scalar("SELECT count(*) FROM events WHERE kind = 'claimed'") == "9"
    # now() is the transaction's start: the held claim, then the eight
    # that waited for it
    assert t.scalar("SELECT count(DISTINCT updated_at) FROM callbacks") == "2"


def test_a_claim_rewrites_its_row_in_place(t):
    """A claim changes no indexed column, so PostgreSQL rewrites the row in
    place (a HOT update) instead of adding an entry to every index."""
    w = World(t)
    w.caseworker("anna")
    for _ in range(5):
        w.create()
    for _ in range(5):
        assert w.claim("anna")[0] == 200
    # the daemon's sessions report their counts within a second or so
    stats = "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables " \
        "WHERE relname = 'callbacks'"
    wait_for("the claims in the statistics", lambda: int(t.sql(stats)[0][0]) >= 5)
    upd, hot = t.sql(stats)[0]
    assert hot == upd, (upd, hot)


def test_two_attempts_on_one_callback_in_one_group(t):
    """Two agents log an attempt on the same callback at once, and both go
    in the same group: each is counted, the second after the first."""
    w = World(t)
    a, b = w.create()["id"], w.create()["id"]
    statuses = [r[0] for r in t.held(
        f"BEGIN; SELECT 1 FROM callbacks WHERE id = '{a}' FOR UPDATE;", "COMMIT;",
        [lambda: w.act(None, a, "attempts", {"result": "reached"}),
         lambda: w.act(None, b, "attempts", {"result": "no_answer"}),
         lambda: w.act(None, b, "attempts", {"result": "no_answer"})])]
    assert statuses == [201] * 3, statuses
    assert t.scalar(f"SELECT attempt_count FROM callbacks WHERE id = '{b}'") == "2"
    assert t.sql(f"SELECT data->>'attempt' FROM events WHERE callback_id = '{b}' "
                 "AND kind = 'attempt' ORDER BY id") == [["1"], ["2"]]
    # both waited for the held one and went in one statement
    assert t.scalar(f"SELECT count(DISTINCT at) FROM attempts WHERE callback_id = '{b}'") == "1"


def test_groups_look_up_their_rows_not_the_table(t):
    """Claim and attempt groups find their callbacks by id: PostgreSQL
    takes a group for 100 rows, and once chose to read the whole table
    for them, in a plan it then kept for the session."""
    t.daemon(start=False)
    t.sql("""INSERT INTO callbacks (id, phone, topic, site, requested_at, received_at, due_at)
             SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
                    '+49231' || (1000000 + g), 'general', 'dortmund', now(), now(),
                    now() + interval '2 days'
             FROM generate_series(1, 5000) g; ANALYZE callbacks""")
    item = ("jsonb_build_object('i', 0, 'id', ('00000000-0000-4000-8000-' || "
            "lpad(k::text, 12, '0'))::uuid, 'token', gen_random_uuid(), {})")
    claim = item.format("'until_ms', 4102444800000, 'caseworker', 'anna', 'site', "
                        "'dortmund', 'topics', '{general}', 'languages', '{de}', "
                        "'actor', 'test'")
    attempt = item.format("'caseworker', NULL, 'actor', 'test', 'result', 'reached'")
    attempt = attempt.replace("gen_random_uuid()", "NULL")
    # ten groups of each, in one session: plans become generic after five
    got = t.sql(f"""BEGIN;
        DO $$ DECLARE k integer; BEGIN
            FOR k IN 1..10 LOOP
                PERFORM * FROM cbd_claims(jsonb_build_array({claim}));
                PERFORM * FROM cbd_attempts(jsonb_build_array({attempt.replace('k::', '(k + 10)::')}));
            END LOOP;
        END $$;
        SELECT seq_scan, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'callbacks';
        COMMIT;""")
    assert [r for r in got if len(r) == 2] == [["0", "20"]], got
