"""The admin scenario's data: a callback that an agent (token "Empfang")
has read, and another read 50 times, so that the access log holds two
pages; the page never shows the callers' names or numbers."""


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
    # 50 reads of another: the access log then has a second page (50 rows
    # a page), and a filter by the first callback finds its one row
    st, _, cb2, _ = d.req("POST", "/v1/callbacks", {
        "phone": "0231 5557799", "topic": "general", "site": "soest"}, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb2)
    for _ in range(50):
        assert d.req("GET", f"/v1/callbacks/{cb2['id']}", token=agent["token"])[0] == 200
    env["CB_ID"] = cb["id"]
    env["READER_ID"] = str(agent["id"])
    env["CB_PHONE"] = read["phone"]
