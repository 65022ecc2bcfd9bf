"""The admin scenario's data: a callback that an agent (token "Empfang")
has read, so that the access log holds a row; the page never shows the
caller's name or number."""


def prepare(d, env):
    st, _, agent, _ = d.req("POST", "/v1/tokens", {"role": "agent", "label": "Empfang"},
                            env["ADMIN_TOKEN"])
    assert st == 201, (st, agent)
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5557788", "topic": "general", "site": "dortmund",
        "name": "Erika Beispiel"}, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb)
    st, _, read, _ = d.req("GET", f"/v1/callbacks/{cb['id']}", token=agent["token"])
    assert st == 200, (st, read)
    env["CB_ID"] = cb["id"]
    env["READER_ID"] = str(agent["id"])
    env["CB_PHONE"] = read["phone"]
