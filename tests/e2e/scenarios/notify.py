"""The notify scenario's data: caseworker cora at soest, her queue empty."""


def prepare(d, env):
    st = d.req("POST", "/v1/caseworkers", {"id": "cora", "site": "soest",
               "topics": ["general"], "languages": ["de"]}, env["ADMIN_TOKEN"])[0]
    assert st == 201, st
    env["CW_TOKEN"] = d.token("caseworker", caseworker="cora")
