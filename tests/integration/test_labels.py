"""Words instead of identifiers: the display names of topics and sites
([topic NAME] label, label_en) and the languages' own names, as GET
/v1/session sends them to the pages and the reports' CSV writes them
beside the identifiers; a SIGHUP takes new ones."""

import csv
import io
import signal

from harness import wait_for

ARABIC = "\u0627\u0644\u0639\u0631\u0628\u064a\u0629"  # العربية


def labelled(t, extra=None):
    """A daemon whose housing_approval and dortmund have labels (general
    and soest none), with extra lines for [daemon]."""
    d = t.daemon(start=False)
    write_labels(d, "Wohnungszustimmung", "Housing approval", extra)
    d.start()
    return d


def write_labels(d, topic_de, topic_en, extra=None):
    with open(d.conf) as f:
        lines = [x for x in f.read().split("\n") if not x.startswith("label")
                 and not x.startswith("language_names")]
    text = "\n".join(lines)
    text = text.replace("[topic housing_approval]\n", "[topic housing_approval]\n"
                        f"label = {topic_de}\nlabel_en = {topic_en}\n", 1)
    text = text.replace("[site dortmund]\n", "[site dortmund]\nlabel = Dortmund Mitte\n", 1)
    if extra:
        text = text.replace("[daemon]\n", "[daemon]\n" + extra + "\n", 1)
    with open(d.conf, "w") as f:
        f.write(text)


def test_session_gives_the_labels_of_topics_sites_and_languages(t):
    d = labelled(t, "languages = de, tr, ar, ku\nlanguage_names = ku: Kurd\u00ee (Kurmanc\u00ee)")
    st, _, s, _ = d.req("GET", "/v1/session", token=d.token("agent"))
    assert st == 200, s
    # what the pages had before stays as it was
    assert s["role"] == "agent" and "general" in s["topics"] and "soest" in s["sites"]
    assert "reached" in s["attempt_results"]
    assert s["topic_labels"]["housing_approval"] == {"de": "Wohnungszustimmung",
                                                     "en": "Housing approval"}
    # none given: the identifier; label_en none: the label
    assert s["topic_labels"]["general"] == {"de": "general", "en": "general"}
    assert s["site_labels"]["dortmund"] == {"de": "Dortmund Mitte", "en": "Dortmund Mitte"}
    assert s["site_labels"]["soest"] == {"de": "soest", "en": "soest"}
    assert set(s["topic_labels"]) == set(s["topics"]) and set(s["site_labels"]) == set(s["sites"])
    # in the config's order, the first the default; each in its own words
    assert s["languages"] == ["de", "tr", "ar", "ku"]
    assert s["language_names"] == {"de": "Deutsch", "tr": "T\u00fcrk\u00e7e", "ar": ARABIC,
                                   "ku": "Kurd\u00ee (Kurmanc\u00ee)"}


def test_a_bad_label_is_refused_with_file_and_line(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("[site soest]\n", "[site soest]\nlabel = Soest\x01\n", 1))
    out = d.run("--check-config", check=False)
    line = text[:text.index("[site soest]\n")].count("\n") + 2
    assert out.returncode != 0 and \
        f"{d.conf}:{line}: label: has a control character" in out.stderr, out.stderr


def test_reports_csv_has_a_label_column_beside_each_identifier(t):
    d = labelled(t)
    tel, mgr = d.token("telephony"), d.token("manager")
    for phone, topic, site in (("0231 5550101", "housing_approval", "dortmund"),
                               ("02921 555102", "general", "soest")):
        st = d.req("POST", "/v1/callbacks", {"phone": phone, "topic": topic, "site": site},
                   tel)[0]
        assert st == 201
    q = "/v1/reports/sla?group_by=site,topic&format=csv"
    st, _, _, raw = d.req("GET", q, token=mgr)
    assert st == 200, raw
    head = raw.decode().split("\r\n")[0].split(",")
    assert head[:4] == ["site", "site_label", "topic", "topic_label"], head
    rows = sorted((r["site"], r["site_label"], r["topic"], r["topic_label"])
                  for r in csv.DictReader(io.StringIO(raw.decode())))
    assert rows == [("dortmund", "Dortmund Mitte", "housing_approval", "Wohnungszustimmung"),
                    ("soest", "soest", "general", "general")], rows
    # English labels on asking, and the spreadsheet form
    raw = d.req("GET", q + "&lang=en", token=mgr)[3]
    rows = {r["topic"]: r["topic_label"] for r in csv.DictReader(io.StringIO(raw.decode()))}
    assert rows["housing_approval"] == "Housing approval", rows
    raw = d.req("GET", q.replace("csv", "csv-excel"), token=mgr)[3]
    assert raw.startswith(b"\xef\xbb\xbfsite;site_label;topic;topic_label;"), raw[:60]
    # the breaches' CSV too; the JSON keeps the identifiers alone
    raw = d.req("GET", "/v1/reports/breaches?format=csv", token=mgr)[3]
    head = raw.decode().split("\r\n")[0].split(",")
    assert head[head.index("site") + 1] == "site_label" and \
        head[head.index("topic") + 1] == "topic_label", head
    st, _, rep, _ = d.req("GET", "/v1/reports/sla?group_by=site", token=mgr)
    assert st == 200 and all("site_label" not in r for r in rep["rows"]), rep
    st, _, err, _ = d.req("GET", q + "&lang=fr", token=mgr)
    assert st == 400 and err["error"]["field"] == "lang", err


def test_a_reload_takes_new_labels(t):
    d = labelled(t)
    agent = d.token("agent")
    write_labels(d, "Wohnen", "Housing", "language_names = de: Deutsch (Deutschland)")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: "configuration reloaded" in d.log_tail())
    assert "language_names changed and took effect" in d.log_tail(), d.log_tail()
    s = d.req("GET", "/v1/session", token=agent)[2]
    assert s["topic_labels"]["housing_approval"] == {"de": "Wohnen", "en": "Housing"}, s
    assert s["language_names"]["de"] == "Deutsch (Deutschland)", s
