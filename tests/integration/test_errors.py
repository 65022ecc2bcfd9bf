"""Clear answers: a list or alert filter naming a site or topic callbackd
does not know is refused like an unknown state, an empty filter value is
an error rather than no filter, and every error code the daemon can send
is in the README's list."""

import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_unknown_or_empty_filters_are_refused(t):
    d = t.daemon()
    tel, agent, mgr = d.token("telephony"), d.token("agent"), d.token("manager")
    st, _, _, _ = d.req("POST", "/v1/callbacks", {"phone": "0231 3330001",
                        "topic": "general", "site": "dortmund"}, tel)
    assert st == 201
    for q, status, code, field in (
            ("site=dortmnud", 422, "unknown_site", "site"),
            ("topic=genral", 422, "unknown_topic", "topic"),
            ("state=open", 422, "invalid_value", "state"),
            ("site=", 400, "invalid_value", "site"),
            ("topic=", 400, "invalid_value", "topic"),
            ("state=", 400, "invalid_value", "state"),
            ("assignee=", 400, "invalid_value", "assignee"),
            ("customer_ref=", 400, "invalid_value", "customer_ref"),
            ("phone=", 400, "invalid_value", "phone"),
            ("limit=", 400, "invalid_value", "limit"),
            ("cursor=", 400, "invalid_value", "cursor")):
        st, _, err, _ = d.req("GET", f"/v1/callbacks?{q}", token=agent)
        assert (st, err["error"]["code"], err["error"]["field"]) == (status, code, field), \
            (q, st, err)
    # known values still filter
    st, _, got, _ = d.req("GET", "/v1/callbacks?site=dortmund&topic=general", token=agent)
    assert st == 200 and len(got["callbacks"]) == 1
    st, _, got, _ = d.req("GET", "/v1/callbacks?site=soest", token=agent)
    assert st == 200 and got["callbacks"] == []
    for q, status, code, field in (
            ("site=dortmnud", 422, "unknown_site", "site"),
            ("site=", 400, "invalid_value", "site"),
            ("level=", 400, "invalid_value", "level"),
            ("waiting=", 400, "invalid_value", "waiting")):
        st, _, err, _ = d.req("GET", f"/v1/alerts?{q}", token=mgr)
        assert (st, err["error"]["code"], err["error"]["field"]) == (status, code, field), \
            (q, st, err)
    st, _, got, _ = d.req("GET", "/v1/alerts?site=soest", token=mgr)
    assert st == 200 and got["alerts"] == []


def codes_in_sources():
    """Every error code a source file of the daemon can answer with: the
    code argument of http_error() and validate.c's fail(), the codes a
    handler hands on as data (cw_call, the "code" of a JSON error built by
    hand) and those written out raw (http_conn.c)."""
    found = {}
    patterns = (r'\b(?:http_error|fail)\(\s*[^,()]+,\s*\d+,\s*"([a-z_]+)"',
                r'\bcw_call\(\s*[^,()]+,\s*\d+,\s*"([a-z_]+)"',
                r'"code",\s*"([a-z_]+)"',
                r'\\"code\\":\s*\\"([a-z_]+)\\"')
    daemon = os.path.join(ROOT, "daemon")
    for name in sorted(os.listdir(daemon)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(daemon, name)) as f:
            text = f.read()
        for p in patterns:
            for code in re.findall(p, text):
                found.setdefault(code, name)
        # a code that is not a literal is one handed on from the places
        # above (a struct verr, a cw_call); another way would escape this
        for arg in re.findall(r'\bhttp_error\(\s*[^,()]+,\s*[^,]+,\s*([^,]+),', text):
            assert arg.strip().startswith('"') or arg.strip() in (
                "e.code", "c->none", "const char *code"), (name, arg)
    return found


def readme_error_list():
    """The codes in the README's "Errors:" paragraph."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"^Errors: (.*?)(?:\n\n)", text, re.S | re.M)
    assert m, "README.md has no Errors: paragraph"
    return set(re.findall(r"`([a-z_]+)`", m.group(1)))


def test_every_error_code_the_daemon_sends_is_in_the_readme(t):
    found = codes_in_sources()
    # the extraction itself works: codes from each kind of place
    for code in ("invalid_json", "invalid_phone", "wrong_state", "exists",
                 "too_many_connections", "invalid_duration"):
        assert code in found, code
    listed = readme_error_list()
    missing = {c: f for c, f in found.items() if c not in listed}
    assert not missing, f"error codes the README does not list: {missing}"
    stale = listed - set(found)
    assert not stale, f"README lists codes the daemon never sends: {stale}"
