"""The manager scenario's data: one callback that breaches at once, one
still pending."""


def prepare(d, env):
    # the harness's topic "quick" has a 4 s target
    st = d.req("POST", "/v1/callbacks", {"phone": "0231 5559876", "topic": "quick",
               "site": "dortmund"}, env["TELEPHONY_TOKEN"])[0]
    assert st == 201, st
    # and one with 48 h to go: undecided today, pending
    st = d.req("POST", "/v1/callbacks", {"phone": "02921 555123", "topic": "general",
               "site": "soest"}, env["TELEPHONY_TOKEN"])[0]
    assert st == 201, st
