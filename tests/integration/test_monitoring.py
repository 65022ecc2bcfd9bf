"""What contrib/ ships for monitoring, against the real daemon: the
Prometheus rules and the Grafana dashboard name only series the daemon
exports (read from its own /metrics), promtool checks the rules and runs
their unit tests, and a real syslog-ng that includes the syslog-ng snippet
files the daemon's alerts by level."""

import json
import os
import re
import shutil
import socket
import subprocess

from harness import free_port, stop_process, wait_for
from test_metrics import parse

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CONTRIB = os.path.join(TOP, "contrib")
RULES = os.path.join(CONTRIB, "prometheus", "callbackd-rules.yml")
RULES_TEST = os.path.join(CONTRIB, "prometheus", "callbackd-rules.test.yml")
DASHBOARD = os.path.join(CONTRIB, "grafana", "callbackd.json")
SNIPPET = os.path.join(CONTRIB, "syslog-ng", "callbackd.conf")

QUICK = {"phone": "0231 9876543", "topic": "quick", "site": "dortmund"}

# Series Prometheus makes itself for every target, not the daemon
SYNTHETIC = {"up"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan"}


def names_in(expr):
    """The metric names a PromQL expression selects: what is left once
    strings, label matchers, ranges, grouping lists, numbers, durations
    and function names are taken out."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\boffset\s+\S+", " ", e)
    e = re.sub(r"\$\w+", " ", e)
    e = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?[a-z]*", " ", e)
    out = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        if re.match(r"\s*\(", e[m.end():]) or m.group(0).lower() in KEYWORDS:
            continue
        out.add(m.group(0))
    return out


def rule_exprs():
    """The expr of every rule in the rules file (a YAML file of our own
    shape: "expr:" on one line each)."""
    with open(RULES) as f:
        text = f.read()
    exprs = re.findall(r"^\s*expr:\s*(.+?)\s*$", text, re.M)
    assert exprs, "no expr in the rules file"
    # one expr line per rule, none folded over lines where this would miss it
    assert len(exprs) == len(re.findall(r"^\s*- (?:alert|record):", text, re.M)), exprs
    assert not [e for e in exprs if e in (">", "|", ">-", "|-")], exprs
    return exprs


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [tg["expr"] for p in dash["panels"] for tg in p.get("targets", [])]
    for v in dash["templating"]["list"]:
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else None
        m = re.fullmatch(r"label_values\((.+),\s*\w+\)", q or "")
        if m:
            exprs.append(m.group(1))
    assert exprs, "no expr in the dashboard"
    return exprs


def unclaimable_daemon(t):
    """A daemon that also looks for callbacks nobody may claim, so that
    callbackd_unclaimable is exported too (the harness turns it off)."""
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    with open(d.conf, "w") as f:
        f.write(text.replace("unclaimable_check = 0\n", "unclaimable_check = 1s\n"))
    return d


def exported(d):
    """Every series name the daemon's /metrics declares: the family of
    each TYPE line, with _bucket, _sum and _count for a histogram."""
    st, _, _, raw = d.req("GET", "/metrics")
    assert st == 200
    text = raw.decode()
    parse(text)  # the strict reader: fails on anything the format forbids
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        names |= {name + s for s in ("_bucket", "_sum", "_count")} \
            if kind == "histogram" else {name}
    return names


def test_names_in_reads_the_metric_names_of_an_expression(t):
    """The reader the two tests below rest on finds a made-up name, and
    nothing else, in expressions of every shape the files use."""
    assert names_in('sum by (site) (rate(callbackd_made_up_total{job="a", '
                    'route=~"/v1/.*"}[5m] offset 1h)) > 0.75') == {"callbackd_made_up_total"}
    assert names_in('histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="$job"}'
                    '[$__rate_interval]))) / on (job) group_left () y') == {"x_bucket", "y"}
    assert names_in('absent(up{job="callbackd"})') == {"up"}
    assert names_in("max(a) > 1e3 and b unless c") == {"a", "b", "c"}


def test_rules_and_dashboard_name_only_series_the_daemon_exports(t):
    d = unclaimable_daemon(t)
    d.start()
    tel = d.token("telephony")
    # a request, so that the request counters and the histogram have series
    assert d.req("POST", "/v1/callbacks", dict(QUICK, topic="general"), tel)[0] == 201
    have = wait_for("the unclaimable gauge", lambda: (lambda n: n if "callbackd_unclaimable"
                                                      in n else None)(exported(d)))
    for what, exprs in (("rules", rule_exprs()), ("dashboard", dashboard_exprs())):
        used = set().union(*(names_in(e) for e in exprs))
        assert any(n.startswith("callbackd_") for n in used), (what, used)
        unknown = sorted(used - have - SYNTHETIC)
        assert not unknown, f"the {what} name series the daemon does not export: {unknown}"


def test_dashboard_reads_its_datasource_variable_and_shows_what_it_promises(t):
    """Every panel and query reads the Prometheus data source chosen in
    the dashboard's datasource variable, and the panels cover queue depth
    by site, oldest age, at risk, breaches, requests, latency and
    reconnects."""
    with open(DASHBOARD) as f:
        dash = json.load(f)
    var = [v for v in dash["templating"]["list"] if v["name"] == "datasource"]
    assert var and var[0]["type"] == "datasource" and var[0]["query"] == "prometheus", var
    ds = {"type": "prometheus", "uid": "${datasource}"}
    panels = [p for p in dash["panels"] if p["type"] != "row"]
    assert panels
    for p in panels:
        assert p["datasource"] == ds and p["targets"], p["title"]
        assert all(tg["datasource"] == ds for tg in p["targets"]), p["title"]
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            assert v["datasource"] == ds, v["name"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), ids
    exprs = " ".join(tg["expr"] for p in panels for tg in p["targets"])
    assert re.search(r"sum by \(site[,)].*callbackd_queue_depth", exprs)
    for name in ("callbackd_oldest_ready_age_seconds", "callbackd_callbacks_at_risk",
                 "callbackd_breaches_total", "callbackd_http_requests_total",
                 "callbackd_http_request_duration_seconds_bucket",
                 "callbackd_reconnects_total"):
        assert name in exprs, name


def promtool(*args):
    exe = shutil.which("promtool")
    assert exe, "promtool is missing (Debian package prometheus; scripts/deps.sh test installs it)"
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(RULES))


def test_promtool_checks_the_rules_and_their_unit_tests_pass(t):
    out = promtool("check", "rules", RULES)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr
    out = promtool("test", "rules", RULES_TEST)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr
    # every rule is tested, firing and not firing
    with open(RULES) as f:
        rules = set(re.findall(r"^\s*- alert:\s*(\w+)", f.read(), re.M))
    with open(RULES_TEST) as f:
        text = f.read()
    for name in rules:
        cases = re.findall(rf"alertname: {name}\n\s*exp_alerts:(.*)", text)
        assert "[]" in [c.strip() for c in cases], f"{name}: no case where it does not fire"
        assert "" in [c.strip() for c in cases], f"{name}: no case where it fires"


class SnippetSyslog:
    """A real syslog-ng whose whole config is a TCP source on a loopback
    port and the snippet, told by its one @define to read that source and
    to write into a temp folder."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "syslog-ng-snippet")
        self.out = os.path.join(self.dir, "alerts")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "syslog-ng.conf")
        with open(self.conf, "w") as f:
            f.write(f"""@version: 3.38
options {{ stats_freq(0); }};
source s_test {{ syslog(ip("127.0.0.1") port({self.port}) transport("tcp")); }};
@define callbackd_sla_options "source(s_test) dir('{self.out}')"
@include "{os.path.abspath(SNIPPET)}"
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["syslog-ng", "-F", "--no-caps", "-f", self.conf,
             "-R", os.path.join(self.dir, "persist"), "-p", os.path.join(self.dir, "pid"),
             "-c", os.path.join(self.dir, "ctl")],
            stdout=open(os.path.join(self.dir, "log"), "ab"), stderr=subprocess.STDOUT)

        def listening():
            with socket.socket() as s:
                s.settimeout(0.2)
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for("syslog-ng with the snippet", listening, timeout=15)

    def lines(self, name):
        try:
            with open(os.path.join(self.out, name), errors="replace") as f:
                return [x for x in f.read().split("\n") if x]
        except OSError:
            return []


def syntax_only(conf):
    return subprocess.run(["syslog-ng", "--syntax-only", "-f", conf],
                          capture_output=True, text=True, timeout=60)


def test_syslog_ng_snippet_is_valid_alone_and_as_configured(t):
    """As dropped into Debian's conf.d (its source s_src, no @define), and
    with the @define the snippet documents."""
    tmp = os.path.join(t.cluster.tmp, f"{t.db}-syntax")
    os.makedirs(tmp, exist_ok=True)
    plain = os.path.join(tmp, "plain.conf")
    with open(plain, "w") as f:
        f.write(f'@version: 3.38\nsource s_src {{ internal(); }};\n'
                f'@include "{os.path.abspath(SNIPPET)}"\n')
    out = syntax_only(plain)
    assert out.returncode == 0, out.stdout + out.stderr
    out = syntax_only(SnippetSyslog(tmp).conf)
    assert out.returncode == 0, out.stdout + out.stderr
    # and an option the snippet's block does not take is refused: the
    # check can fail
    with open(os.path.join(tmp, "broken.conf"), "w") as f:
        f.write('@version: 3.38\nsource s_src { internal(); };\n'
                f'@include "{os.path.abspath(SNIPPET)}"\n'
                'log { callbackd_sla_alerts(folder("/tmp")); };\n')
    assert syntax_only(os.path.join(tmp, "broken.conf")).returncode != 0


def test_syslog_ng_snippet_files_each_alert_by_its_level(t):
    syslog = SnippetSyslog(os.path.join(t.cluster.tmp, t.db))
    syslog.start()
    try:
        d = unclaimable_daemon(t)
        with open(d.conf) as f:
            text = f.read()
        with open(d.conf, "w") as f:
            f.write(text.replace(f"port = {t.cluster.syslog.port}\n", f"port = {syslog.port}\n")
                    .replace("[alerts]\n", "[alerts]\nforecast_breaches = 1\n")
                    .replace("[daemon]\n", "[daemon]\nforecast_interval = 500ms\n"))
        d.start()
        tel = d.token("telephony")
        body = dict(QUICK, name="Erika Mustermann", customer_ref="BG-4711-XY",
                    note="Wohnungsangebot")
        st, _, cb, _ = d.req("POST", "/v1/callbacks", body, tel)
        assert st == 201
        mine = lambda name: [x for x in syslog.lines(name)  # noqa: E731
                             if f'callback="{cb["id"]}"' in x]
        wait_for("the breach in its file", lambda: mine("sla-breached.log"), timeout=20)
        wait_for("the warning in its file", lambda: mine("sla-at-risk.log"), timeout=20)
        # no caseworker at all: nobody may claim it
        wait_for("unclaimable in its file", lambda: mine("sla-unclaimable.log"), timeout=20)
        # the open callback, with nobody at work, is a breach the forecast sees
        wait_for("the forecast in its file", lambda: syslog.lines("sla-forecast.log"), timeout=20)
        got = syslog.lines("sla-forecast.log")
        assert len(got) == 1 and 'level="forecast"' in got[0], got
        assert 'site="dortmund"' in got[0] and 'topic="quick"' in got[0], got
        for name, level in (("sla-at-risk.log", "at_risk"), ("sla-breached.log", "breached"),
                            ("sla-unclaimable.log", "unclaimable")):
            got = mine(name)
            assert len(got) == 1, (name, got)
            assert f'level="{level}"' in got[0] and 'site="dortmund"' in got[0], got
            assert all(f'level="{level}"' in x for x in syslog.lines(name)), syslog.lines(name)
        files = "".join("\n".join(syslog.lines(n)) for n in os.listdir(syslog.out))
        for secret in ("9876543", "Erika", "Mustermann", "BG-4711", "Wohnungsangebot"):
            assert secret not in files, secret
    finally:
        stop_process(syslog.proc)


def test_make_install_puts_the_monitoring_files_under_docdir(t):
    """Under $(docdir)/contrib, the rules beside their tests, which pass
    there too."""
    import tempfile

    build = os.path.dirname(os.path.abspath(os.environ["CALLBACKD"]))
    dest = tempfile.mkdtemp(prefix="install.", dir=t.cluster.tmp)
    out = subprocess.run(["make", "-C", build, "install", f"DESTDIR={dest}"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = os.path.join(dest, "usr/local/share/doc/callbackd/contrib")
    for rel in ("prometheus/callbackd-rules.yml", "prometheus/callbackd-rules.test.yml",
                "grafana/callbackd.json", "syslog-ng/callbackd.conf"):
        with open(os.path.join(doc, rel)) as f, open(os.path.join(CONTRIB, rel)) as g:
            assert f.read() == g.read(), rel
    exe = shutil.which("promtool")
    assert exe, "promtool is missing (Debian package prometheus)"
    out = subprocess.run([exe, "test", "rules", "callbackd-rules.test.yml"], capture_output=True,
                         text=True, timeout=120, cwd=os.path.join(doc, "prometheus"))
    assert out.returncode == 0, out.stdout + out.stderr
