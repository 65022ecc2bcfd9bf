"""The words scenario's data: labels for a topic and a site, languages
that include one written right to left, and caseworker samira, who takes
housing approvals in Arabic at dortmund."""

DAEMON = "languages = de, tr, ar, ru, uk, en\n"
SECTIONS = {
    "topic housing_approval": "label = Wohnungszustimmung\nlabel_en = Housing approval\n",
    "site dortmund": "label = Dortmund Mitte\nlabel_en = Dortmund centre\n",
}


def prepare(d, env):
    env["CW_TOKEN"] = d.caseworker(env["ADMIN_TOKEN"], "samira", "dortmund",
                                   ["housing_approval"], ["ar"])
