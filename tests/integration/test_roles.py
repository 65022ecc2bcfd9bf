"""The role matrix: every route of the daemon's route table, every role,
no token, and tokens that are not (or no longer) valid: unknown, revoked,
expired, a deactivated caseworker's. Exactly the allowed ones get past the
door; the others get 401 or 403 and change nothing in PostgreSQL or
Redis."""

import os
import re
import secrets
import time

from harness import wait_for

ROLES = ("telephony", "agent", "caseworker", "manager", "admin")

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
ROLE_BITS = {"ROLE_" + r.upper(): r for r in ROLES}


def routes_from_code():
    """The daemon's route table (daemon/routes.c), as (method, path, roles):
    the matrix below is made from it, so a route added later is tested
    (and must be documented) without anyone adding a row here."""
    with open(os.path.join(TOP, "daemon", "routes.c")) as f:
        text = f.read()
    table = text[text.index("static const struct route routes[] = {"):]
    table = table[:table.index("};")]
    out = []
    for m in re.finditer(r'\{\s*EVHTTP_REQ_(\w+),\s*"([^"]+)",\s*([^,]+),', table):
        roles = frozenset(ROLE_BITS[b.strip()] for b in m.group(3).split("|")
                          if b.strip() != "0")
        out.append((m.group(1), m.group(2), roles))
    assert len(out) > 20, out
    return out


def routes_from_readme():
    """The README's API table, as {(method, path): roles}; "anyone" and
    "scraper" are no token at all, "any token" every role, "claim holder"
    the caseworker who holds the lease."""
    with open(os.path.join(TOP, "README.md")) as f:
        text = f.read()
    text = text[text.index("## The HTTP API (v1)"):]
    text = text[:text.index("\n## ", 5)]
    out = {}
    for line in text.split("\n"):
        cells = line.split(" | ")
        if not line.startswith("| `") or len(cells) < 3:
            continue
        who = cells[1]
        roles = {r for r in ROLES if r in who}
        if "claim holder" in who:
            roles.add("caseworker")
        if "any token" in who:
            roles = set(ROLES)
        for method, path in re.findall(r"`([A-Z]+) (/[^`?]*)", cells[0]):
            for p in ([path.replace("[/{id}]", ""), path.replace("[/{id}]", "/{id}")]
                      if "[/{id}]" in path else [path]):
                out[(method, p)] = frozenset(roles)
    return out


def test_the_readme_documents_every_route_as_the_code_has_it(t):
    code = {(m, p): r for m, p, r in routes_from_code()}
    doc = routes_from_readme()
    assert set(code) == set(doc), (sorted(set(code) - set(doc)), sorted(set(doc) - set(code)))
    for route, roles in code.items():
        assert doc[route] == roles, (route, sorted(roles), sorted(doc[route]))


ROUTES = [(m, p.replace("{id}", "{cb}" if p.startswith("/v1/callbacks") else
                         "{cw}" if p.startswith("/v1/caseworkers") else "{tk}"), set(r))
          for m, p, r in routes_from_code() if r]
PUBLIC = [(m, p) for m, p, r in routes_from_code() if not r]

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
    # tokens that are no longer, or never were, valid: each is refused at
    # the door like no token at all, whatever role it had
    gone = d.req("POST", "/v1/tokens", {"role": "admin", "label": "gone"}, admin)[2]
    assert d.req("POST", f"/v1/tokens/{gone['id']}/revoke", None, admin)[0] == 200
    old = d.req("POST", "/v1/tokens", {"role": "admin", "label": "old"}, admin)[2]
    t.sql(f"UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = {old['id']}")
    assert d.req("POST", "/v1/caseworkers", {"id": "leaver", "site": "dortmund",
                 "topics": ["general"], "languages": ["de"]}, admin)[0] == 201
    leaver = d.token("caseworker", caseworker="leaver")
    assert d.req("POST", "/v1/caseworkers/leaver/deactivate", None, admin)[0] == 200
    invalid = {"unknown": "cbd_" + secrets.token_hex(32), "revoked admin": gone["token"],
               "expired admin": old["token"], "deactivated caseworker": leaver}
    denied = allowed = 0
    for method, route, roles in ROUTES:
        path = route.format(**fill)
        body = BODY if method in ("POST", "PUT") else None
        # every refusal of this route, then one look: none changed anything
        before = snapshot(t)
        for what, token in invalid.items():
            st, _, err, _ = d.req(method, path, body, token)
            assert st == 401 and err["error"]["code"] == "unauthorized", \
                (method, path, what, st, err)
            denied += 1
        for role in ROLES + (None,):
            if role in roles:
                continue
            st, h, err, _ = d.req(method, path, body, tok.get(role))
            want = 401 if role is None else 403
            assert st == want, (method, path, role, st, err)
            assert err["error"]["code"] == ("unauthorized" if role is None else "forbidden")
            denied += 1
        assert snapshot(t) == before, (method, path, "a refused request changed something")
        for role in roles:
            st, _, err, _ = d.req(method, path, body, tok[role])
            assert st not in (401, 403) or (role == "caseworker" and st == 403 and
                                            err["error"]["code"].startswith(("lease", "caseworker"))) \
                or route in ("/v1/callbacks/{cb}", "/v1/callbacks/{cb}/events") \
                and role == "caseworker", \
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


def test_session_lists_the_languages_a_caseworker_profile_takes(t):
    """GET /v1/session names the config's languages beside its sites and
    topics, for the admin page's caseworker form: the profile made of
    them all is taken, and a language that is not listed is refused."""
    d = t.daemon()
    admin = d.token("admin")
    st, _, session, _ = d.req("GET", "/v1/session", token=admin)
    assert st == 200, (st, session)
    # the harness's config leaves languages at its default
    assert session["languages"] == ["de", "en", "tr", "ar", "ru", "uk", "pl", "fr"], session
    st, _, cw, _ = d.req("POST", "/v1/caseworkers", {
        "id": "polyglot", "site": session["sites"][0], "topics": session["topics"],
        "languages": session["languages"]}, admin)
    assert st == 201 and cw["languages"] == session["languages"], (st, cw)
    st, _, err, _ = d.req("POST", "/v1/caseworkers", {
        "id": "other", "site": "dortmund", "topics": ["general"], "languages": ["xx"]}, admin)
    assert st == 422 and err["error"]["field"] == "languages", (st, err)
