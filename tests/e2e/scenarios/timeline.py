"""The timeline scenario's data: a callback that breaches at once (the
harness's topic "quick", 4 s) and was asked for twice, so that its story
has a merge and alerts; and an open one whose number the agent types."""


def prepare(d, env):
    quick = {"phone": "0231 5553210", "topic": "quick", "site": "dortmund",
             "name": "Erika Beispiel"}
    st, _, cb, _ = d.req("POST", "/v1/callbacks", quick, env["TELEPHONY_TOKEN"])
    assert st == 201, (st, cb)
    env["BREACH_ID"] = cb["id"]
    st, _, again, _ = d.req("POST", "/v1/callbacks", dict(quick, note="ruft wieder an"),
                            env["TELEPHONY_TOKEN"])
    assert st == 200 and again["merged"], (st, again)
    st, _, open_cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": "02921 555777", "topic": "benefits", "site": "soest"},
        env["TELEPHONY_TOKEN"])
    assert st == 201, (st, open_cb)
    env["OPEN_PHONE"] = "02921 555777"
