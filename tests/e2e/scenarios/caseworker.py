"""The caseworker scenario's data: caseworker anna at dortmund and two
callbacks in her queue."""

# a short lease, so that the caseworker page must keep it alive
DAEMON = "lease = 6s\n"


def prepare(d, env):
    env["CW_TOKEN"] = d.caseworker(env["ADMIN_TOKEN"], "anna", "dortmund", ["general"])
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5551234", "topic": "general", "site": "dortmund",
        "name": "Erika Beispiel"}, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb)
    # telephony gets ids and states back; the stored number is the agent's to read
    env["CB_ID"] = cb["id"]
    env["CB_PHONE"] = d.req("GET", f"/v1/callbacks/{cb['id']}",
                            token=env["AGENT_TOKEN"])[2]["phone"]
    # the next one in the queue, for keeping and giving back a lease
    st, _, cb2, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5554321", "topic": "general", "site": "dortmund"},
        env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb2)
    env["CB2_ID"] = cb2["id"]
