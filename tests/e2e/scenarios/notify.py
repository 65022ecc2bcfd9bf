"""The notify scenario's data: caseworker cora at soest, her queue empty."""


def prepare(d, env):
    env["CW_TOKEN"] = d.caseworker(env["ADMIN_TOKEN"], "cora", "soest", ["general"])
