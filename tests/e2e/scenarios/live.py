"""The live scenario's data: caseworker bert at dortmund (general and
housing approvals) with one callback in his queue; the urgent one is filed
by the scenario while his page is open."""

# a short lease, so that a network drop can outlast it
DAEMON = "lease = 6s\n"


def prepare(d, env):
    env["CW_TOKEN"] = d.caseworker(env["ADMIN_TOKEN"], "bert", "dortmund",
                                   ["general", "housing_approval"])
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5556001", "topic": "general", "site": "dortmund",
        "name": "Hans Beispiel"}, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb)
    env["CB_ID"] = cb["id"]
