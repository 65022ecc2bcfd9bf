"""The role matrix: every route, every role, and no token. Exactly the
allowed ones get past the door; the others get 401 or 403 and change
nothing in PostgreSQL or Redis."""

import time

from harness import wait_for

ROLES = ("telephony", "agent", "caseworker", "manager", "admin")

# route -> roles allowed; "{cb}" a callback of the test, "{cw}" a caseworker,
# "{tk}" a spare token
ROUTES = [
    ("POST", "/v1/callbacks", {"telephony", "agent"}),
    ("GET", "/v1/callbacks", {"agent", "manager"}),
    ("GET", "/v1/callbacks/{cb}", {"agent", "manager", "caseworker"}),
    ("POST", "/v1/callbacks/{cb}/attempts", {"agent", "caseworker"}),
    ("POST", "/v1/callbacks/{cb}/cancel", {"agent"}),
    ("POST", "/v1/callbacks/{cb}/unflag", {"manager"}),
    ("POST", "/v1/callbacks/{cb}/heartbeat", {"caseworker"}),
    ("POST", "/v1/callbacks/{cb}/release", {"caseworker"}),
    ("POST", "/v1/queue/claim", {"caseworker"}),
    ("GET", "/v1/queue", {"caseworker"}),
    ("POST", "/v1/caseworkers", {"admin"}),
    ("GET", "/v1/caseworkers", {"admin"}),
    ("GET", "/v1/caseworkers/{cw}", {"admin"}),
    ("PUT", "/v1/caseworkers/{cw}", {"admin"}),
    ("POST", "/v1/caseworkers/{cw}/deactivate", {"admin"}),
    ("POST", "/v1/tokens", {"admin"}),
    ("GET", "/v1/tokens", {"admin"}),
    ("GET", "/v1/session", {"telephony", "agent", "caseworker", "manager", "admin"}),
    ("POST", "/v1/tokens/{tk}/revoke", {"admin"}),
    ("GET", "/v1/access", {"admin"}),
    ("GET", "/v1/alerts", {"manager"}),
    ("GET", "/v1/reports/sla", {"manager"}),
    ("GET", "/v1/reports/breaches", {"manager"}),
]
PUBLIC = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")]

# bodies that would be refused as invalid after the door: the door must
# decide before anything is read or written
BODY = {"phone": "invalid", "topic": "nope", "site": "nope"}


def snapshot(t):
    counts = t.sql("SELECT (SELECT count(*) FROM callbacks), (SELECT count(*) FROM events), "
                   "(SELECT count(*) FROM attempts), (SELECT count(*) FROM tokens), "
                   "(SELECT count(*) FROM caseworkers), "
                   "(SELECT count(*) FROM caseworkers WHERE active), "
                   "(SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL), "
                   "(SELECT count(*) FROM access_log), "
                   "(SELECT string_agg(state, ',' ORDER BY id) FROM callbacks)")
    redis = (t.ready(), t.zset("leases"))
    return counts, redis


def test_every_route_every_role(t):
    d = t.daemon()
    tok = {r: d.token(r, caseworker="cw1" if r == "caseworker" else None) for r in ROLES}
    admin = tok["admin"]
    assert d.req("POST", "/v1/caseworkers", {"id": "cw1", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 8080801", "topic": "general",
                         "site": "dortmund"}, tok["telephony"])
    assert st == 201
    spare = d.req("POST", "/v1/tokens", {"role": "agent", "label": "spare"}, admin)[2]
    fill = {"cb": cb["id"], "cw": "cw1", "tk": spare["id"]}
    denied = allowed = 0
    for method, route, roles in ROUTES:
        path = route.format(**fill)
        body = BODY if method in ("POST", "PUT") else None
        for role in ROLES + (None,):
            if role in roles:
                continue
            before = snapshot(t)
            st, h, err, _ = d.req(method, path, body, tok.get(role))
            want = 401 if role is None else 403
            assert st == want, (method, path, role, st, err)
            assert err["error"]["code"] == ("unauthorized" if role is None else "forbidden")
            assert snapshot(t) == before, (method, path, role)
            denied += 1
        for role in roles:
            st, _, err, _ = d.req(method, path, body, tok[role])
            assert st not in (401, 403) or (role == "caseworker" and st == 403 and
                                            err["error"]["code"].startswith(("lease", "caseworker"))) \
                or route == "/v1/callbacks/{cb}" and role == "caseworker", \
                (method, path, role, st, err)
            allowed += 1
        if route.endswith("/deactivate"):
            # deactivated, cw1's token is refused (401) everywhere: the
            # rest of the matrix needs cw1 active again
            assert d.req("PUT", "/v1/caseworkers/cw1", {"site": "dortmund",
                         "topics": ["general"], "languages": ["de"], "active": True},
                         admin)[0] == 200
    for method, path in PUBLIC:
        assert d.req(method, path)[0] == 200
    assert denied > 60 and allowed > 20


def test_caseworker_sees_only_own_objects(t):
    d = t.daemon()
    admin, tel = d.token("admin"), d.token("telephony")
    for cid in ("anna", "ben"):
        assert d.req("POST", "/v1/caseworkers", {"id": cid, "site": "dortmund",
                     "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    anna, ben = d.token("caseworker", caseworker="anna"), d.token("caseworker", caseworker="ben")
    st, _, mine, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 8080802", "topic": "general",
                           "site": "dortmund", "assignee": "anna"}, tel)
    st, _, other, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 8080803", "topic": "general",
                            "site": "soest"}, tel)
    assert d.req("GET", f"/v1/callbacks/{mine['id']}", token=anna)[0] == 200
    assert d.req("GET", f"/v1/callbacks/{mine['id']}", token=ben)[0] == 403
    assert d.req("GET", f"/v1/callbacks/{other['id']}", token=anna)[0] == 403
    # ben's queue does not show anna's callback; ben cannot claim it
    st, _, q, _ = d.req("GET", "/v1/queue", token=ben)
    assert mine["id"] not in [c["id"] for c in q["callbacks"]]
    assert d.req("POST", "/v1/queue/claim", None, ben)[0] == 204
    got = d.req("POST", "/v1/queue/claim", None, anna)[2]
    assert got["callback"]["id"] == mine["id"]
    before = snapshot(t)
    for what, body in (("attempts", {"lease": got["lease"]["token"], "result": "reached"}),
                       ("heartbeat", {"lease": got["lease"]["token"]}),
                       ("release", {"lease": got["lease"]["token"]})):
        st, _, err, _ = d.req("POST", f"/v1/callbacks/{mine['id']}/{what}", body, ben)
        assert st == 403 and err["error"]["code"] == "lease_foreign", (what, st, err)
    assert snapshot(t) == before


def test_revoked_token_stops_working_here_at_once_elsewhere_soon(t):
    """Token lookups are cached for a few seconds: the daemon that revokes
    forgets at once, another daemon within the cache time."""
    d1 = t.daemon()
    d2 = t.daemon(name="d2")
    admin = d1.token("admin")
    made = d1.req("POST", "/v1/tokens", {"role": "agent", "label": "temp"}, admin)[2]
    tok = made["token"]
    # both daemons have it cached now
    assert d1.req("GET", "/v1/session", token=tok)[0] == 200
    assert d2.req("GET", "/v1/session", token=tok)[0] == 200
    assert d1.req("POST", f"/v1/tokens/{made['id']}/revoke", None, admin)[0] == 200
    assert d1.req("GET", "/v1/session", token=tok)[0] == 401
    revoked = time.monotonic()
    wait_for("the other daemon refuses it",
             lambda: d2.req("GET", "/v1/session", token=tok)[0] == 401, timeout=10)
    assert time.monotonic() - revoked <= 6.5
