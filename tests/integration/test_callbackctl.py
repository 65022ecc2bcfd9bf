"""callbackctl through a whole day of work: the admin adds and edits
caseworkers and makes their tokens, telephony files requests with every
field, the caseworker works the queue, an agent finds, logs and cancels,
the manager reads reports and alerts; every option callbackctl documents
is used and what it stored is checked. And callbackctl never drops what
the user typed: an unknown option or a bad value is refused with status 2
before anything is sent."""

import csv
import datetime
import io
import json
import os
import subprocess

import harness

CTL = os.path.join(os.path.dirname(harness.CALLBACKD), "callbackctl")


def ctl(d, tok, *args, ok=True):
    out = subprocess.run([CTL, "-u", f"http://127.0.0.1:{d.port}", "-t", tok] + list(args),
                         capture_output=True, text=True, timeout=30)
    if ok:
        assert out.returncode == 0, (args, out.stderr)
    return out


def js(d, tok, *args):
    return json.loads(ctl(d, tok, *args).stdout)


def at(delta_s):
    """An RFC 3339 time delta_s seconds from now, to the second."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(t, sql):
    return int(float(t.scalar(f"SELECT extract(epoch FROM ({sql}))")))


def rfc_epoch(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def refused(out, *words):
    """callbackctl said no (status 2) in words that name what it refused."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    for w in words:
        assert w in out.stderr, (w, out.stderr)


def count(t):
    return int(t.scalar("SELECT count(*) FROM callbacks"))


def test_callbackctl_refuses_unknown_options_and_bad_values(t):
    d = t.daemon()
    tel, agent = d.token("telephony"), d.token("agent")
    base = ["create", "--phone", "0231 6660001", "--topic", "general", "--site", "dortmund"]
    refused(ctl(d, tel, *base, "--nmae", "Hans", ok=False), "unknown option", "--nmae")
    refused(ctl(d, tel, *base, "--customer_ref", "KD-1", ok=False), "--customer_ref")
    refused(ctl(d, tel, *base, "--urgent", "maybe", ok=False), "--urgent", "maybe")
    refused(ctl(d, tel, *base, "--urgent", "", ok=False), "--urgent")
    refused(ctl(d, tel, *base, "--site", "soest", ok=False), "--site", "twice")
    refused(ctl(d, tel, *base, "--note", ok=False), "--note", "needs a value")
    refused(ctl(d, tel, *base, "stray", ok=False), "stray")
    refused(ctl(d, agent, "list", "--urgent", "yes", ok=False), "list", "--urgent")
    refused(ctl(d, agent, "list", "--limit", "ten", ok=False), "--limit", "ten")
    refused(ctl(d, agent, "attempt", "x", "reached", "--duration", "abc", ok=False),
            "--duration", "abc")
    refused(ctl(d, agent, "attempt", "x", "reached", "--duration", "-5", ok=False),
            "--duration")
    refused(ctl(d, agent, "attempt", "x", ok=False), "ID RESULT")
    refused(ctl(d, agent, "report", "breaches", "--group-by", "site", ok=False),
            "--group-by")
    refused(ctl(d, agent, "frobnicate", ok=False), "unknown command", "frobnicate")
    refused(ctl(d, agent, "token", "mint", ok=False), "token", "mint")
    refused(ctl(d, agent, "-x", "list", ok=False), "-x")
    # nothing reached the daemon
    assert count(t) == 0


def test_callbackctl_booleans_take_every_spelling(t):
    d = t.daemon()
    tel = d.token("agent")  # agents get the record back, telephony only ids
    spellings = [("yes", True), ("YES", True), ("true", True), ("True", True), ("1", True),
                 ("ja", True), ("JA", True), ("on", True), ("no", False), ("NO", False),
                 ("false", False), ("0", False), ("nein", False), ("Nein", False),
                 ("off", False)]
    for i, (word, want) in enumerate(spellings):
        cb = js(d, tel, "create", "--phone", f"0231 66600{i:02d}", "--topic",
                "housing_approval", "--site", "dortmund", "--urgent", word)
        assert cb["urgent"] is want, (word, cb["urgent"])
        stored = t.scalar(f"SELECT urgent FROM callbacks WHERE id = '{cb['id']}'")
        assert stored == ("t" if want else "f"), word
        # an urgent housing case gets 2 h, not 48 h
        hours = epoch(t, f"SELECT due_at - requested_at FROM callbacks WHERE id = '{cb['id']}'") / 3600
        assert hours == (2 if want else 48), (word, hours)


def test_callbackctl_list_filters_by_phone_and_reference(t):
    d = t.daemon()
    tel, agent = d.token("telephony"), d.token("agent")
    a = js(d, tel, "create", "--phone", "0231 6660001", "--topic", "general", "--site",
           "dortmund", "--customer-ref", "KD-1")
    b = js(d, tel, "create", "--phone", "0231 6660002", "--topic", "general", "--site",
           "dortmund")
    assert t.scalar(f"SELECT customer_ref FROM callbacks WHERE id = '{a['id']}'") == "KD-1"
    got = js(d, agent, "list", "--phone", "0231 6660001")
    assert [c["id"] for c in got["callbacks"]] == [a["id"]]
    got = js(d, agent, "list", "--phone", "+49 231 6660002")
    assert [c["id"] for c in got["callbacks"]] == [b["id"]]
    got = js(d, agent, "list", "--customer-ref", "KD-1")
    assert [c["id"] for c in got["callbacks"]] == [a["id"]]
    assert js(d, agent, "list", "--phone", "0231 6669999")["callbacks"] == []


def test_a_day_with_callbackctl(t):
    d = t.daemon()
    admin, tel, agent, mgr = (d.token(r) for r in ("admin", "telephony", "agent", "manager"))

    # the admin: caseworkers and their tokens
    cw_row = lambda i: t.sql("SELECT site, array_to_string(topics, ','), "  # noqa: E731
                              "array_to_string(languages, ','), active FROM caseworkers "
                              f"WHERE id = '{i}'")[0]
    made = js(d, admin, "caseworker", "add", "mueller", "--site", "dortmund",
              "--topics", "general,housing_approval", "--languages", "de,tr", "--active", "yes")
    assert made["id"] == "mueller" and made["active"] is True
    assert cw_row("mueller") == ["dortmund", "general,housing_approval", "de,tr", "t"]
    js(d, admin, "caseworker", "add", "schmidt", "--site", "soest", "--topics", "general")
    assert cw_row("schmidt") == ["soest", "general", "de", "t"]  # languages: de by default
    # edit changes what is given and keeps the rest
    js(d, admin, "caseworker", "edit", "schmidt", "--active", "nein")
    assert cw_row("schmidt") == ["soest", "general", "de", "f"]
    js(d, admin, "caseworker", "update", "schmidt", "--languages", "de,en", "--site",
       "dortmund", "--topics", "general,benefits", "--active", "ja")
    assert cw_row("schmidt") == ["dortmund", "general,benefits", "de,en", "t"]
    assert js(d, admin, "caseworker", "show", "schmidt")["languages"] == ["de", "en"]
    assert js(d, admin, "caseworker", "deactivate", "schmidt")["active"] is False
    assert cw_row("schmidt")[3] == "f"
    listing = ctl(d, admin, "caseworker", "list").stdout
    assert "mueller" in listing and "schmidt" in listing
    made_tok = js(d, admin, "token", "add", "caseworker", "--caseworker", "mueller",
                  "--label", "Frau Müller")
    cw = made_tok["token"]
    assert t.sql("SELECT role, caseworker_id, label FROM tokens WHERE id = "
                  f"{made_tok['id']}")[0] == ["caseworker", "mueller", "Frau Müller"]

    # telephony: one request with every field, replayed once
    requested = at(-600)
    nb, na = at(-3600), at(86400)
    first = ("create", "--phone", "0231 555000", "--topic", "housing_approval",
             "--site", "dortmund", "--name", "Hans Meier", "--customer-ref", "KD-1",
             "--language", "tr", "--urgent", "ja", "--assignee", "mueller",
             "--requested-at", requested, "--not-before", nb, "--not-after", na,
             "--note", "Bescheid fehlt", "--call-id", "pbx-1", "--idempotency-key", "key-1")
    a = js(d, tel, *first)
    row = t.sql("SELECT phone, topic, site, name, customer_ref, language, urgent, "
                "assignee, note, call_id FROM callbacks WHERE id = '" + a["id"] + "'")[0]
    assert row == ["+49231555000", "housing_approval", "dortmund", "Hans Meier", "KD-1",
                   "tr", "t", "mueller", "Bescheid fehlt", "pbx-1"]
    for col, want in (("requested_at", requested), ("not_before", nb), ("not_after", na)):
        assert epoch(t, f"SELECT {col} FROM callbacks WHERE id = '{a['id']}'") == \
            rfc_epoch(want), col
    assert t.scalar("SELECT count(*) FROM callback_keys WHERE callback_id = "
                    f"'{a['id']}' AND key LIKE '%key-1'") == "1"
    # the telephony system's retry replays; the same key for another caller
    # is refused, and nothing is written
    again = js(d, tel, *first)
    assert again["replayed"] is True and again["id"] == a["id"]
    other = ctl(d, tel, "create", "--phone", "0231 555099", "--topic", "general",
                "--site", "dortmund", "--idempotency-key", "key-1", ok=False)
    assert other.returncode == 1 and "422 idempotency_conflict" in other.stderr, other
    assert t.scalar("SELECT count(*) FROM callbacks WHERE phone = '+49231555099'") == "0"
    b = js(d, tel, "create", "--phone", "0231 555001", "--topic", "general",
           "--site", "dortmund", "--urgent", "no")
    c = js(d, tel, "create", "--phone", "0231 555002", "--topic", "general",
           "--site", "dortmund")
    quick = js(d, tel, "create", "--phone", "0231 555003", "--topic", "quick",
               "--site", "dortmund")

    # the caseworker: queue, claim, heartbeat, release, attempts
    first = js(d, cw, "queue", "--offset", "0", "--limit", "1")["callbacks"]
    assert [x["id"] for x in first] == [a["id"]]
    rest = js(d, cw, "queue", "--offset", "1", "--limit", "5")["callbacks"]
    assert [x["id"] for x in rest] == [b["id"], c["id"]]
    got = js(d, cw, "claim")
    assert got["callback"]["id"] == a["id"]
    lease = got["lease"]["token"]
    assert js(d, cw, "heartbeat", a["id"], "--lease", lease)["lease"]["until"]
    js(d, cw, "release", a["id"], "--lease", lease)
    assert t.sql(f"SELECT state, claimed_by IS NULL FROM callbacks WHERE id = '{a['id']}'"
                  )[0] == ["queued", "t"]
    got = js(d, cw, "claim")
    assert got["callback"]["id"] == a["id"]
    done = js(d, cw, "attempt", a["id"], "reached", "--lease", got["lease"]["token"],
              "--duration", "120", "--note", "Zusage erteilt")
    assert done["state"] == "completed"
    assert t.sql("SELECT result, duration_s, note FROM attempts WHERE callback_id = "
                  f"'{a['id']}'") == [["reached", "120", "Zusage erteilt"]]
    got = js(d, cw, "claim")
    assert got["callback"]["id"] == b["id"]
    later = at(7200)
    again = js(d, cw, "attempt", b["id"], "callback_later", "--lease", got["lease"]["token"],
               "--not-before", later)
    assert again["state"] == "queued"
    assert epoch(t, f"SELECT not_before FROM callbacks WHERE id = '{b['id']}'") == \
        rfc_epoch(later)

    # the agent: logs an attempt without a lease, cancels, finds
    js(d, agent, "attempt", c["id"], "no_answer", "--note", "besetzt", "--duration", "15")
    assert t.sql("SELECT result, duration_s, note FROM attempts WHERE callback_id = "
                  f"'{c['id']}'") == [["no_answer", "15", "besetzt"]]
    assert js(d, agent, "cancel", c["id"])["state"] == "cancelled"
    ids = lambda out: [x["id"] for x in out["callbacks"]]  # noqa: E731
    assert ids(js(d, agent, "list", "--state", "cancelled")) == [c["id"]]
    assert ids(js(d, agent, "list", "--phone", "0231 555001")) == [b["id"]]
    assert ids(js(d, agent, "list", "--customer-ref", "KD-1")) == [a["id"]]
    assert ids(js(d, agent, "list", "--assignee", "mueller")) == [a["id"]]
    assert ids(js(d, agent, "list", "--site", "soest")) == []
    page = js(d, agent, "list", "--site", "dortmund", "--topic", "general", "--limit", "1")
    assert ids(page) == [b["id"]] and page["next_cursor"]
    page = js(d, agent, "list", "--site", "dortmund", "--topic", "general", "--limit", "1",
              "--cursor", page["next_cursor"])
    assert ids(page) == [c["id"]]
    # none is flagged: not flagged are all of them
    assert sorted(ids(js(d, agent, "list", "--flagged", "no", "--site", "dortmund"))) == \
        sorted(x["id"] for x in (a, b, c, quick))
    shown = js(d, agent, "show", a["id"])
    assert shown["name"] == "Hans Meier" and len(shown["attempts"]) == 1
    # three lapsed leases left one for a supervisor: listed, and a manager
    # (not an agent) hands it back
    t.sql(f"UPDATE callbacks SET flagged = true, lapsed_leases = 3 WHERE id = '{b['id']}'")
    t.reindex()
    assert ids(js(d, agent, "list", "--flagged", "yes")) == [b["id"]]
    out = ctl(d, agent, "unflag", b["id"], ok=False)
    assert out.returncode == 1 and "403 forbidden" in out.stderr
    back = js(d, mgr, "unflag", b["id"])
    assert back["flagged"] is False and back["lapsed_leases"] == 0
    assert ids(js(d, agent, "list", "--flagged", "yes")) == []

    # refusals come out in words, with exit status 1
    out = ctl(d, agent, "cancel", c["id"], ok=False)
    assert out.returncode == 1 and "409 wrong_state" in out.stderr
    out = ctl(d, tel, "create", "--phone", "call me", "--topic", "general",
              "--site", "dortmund", ok=False)
    assert out.returncode == 1 and "422 invalid_phone in phone" in out.stderr
    out = ctl(d, "cbd_" + "0" * 64, "claim", ok=False)
    assert out.returncode == 1 and "401 unauthorized" in out.stderr

    # the manager: reports in each format, alerts by each filter
    period = ["--from", at(-86400), "--to", at(60)]
    table = ctl(d, mgr, "report", "sla", *period, "--group-by", "site", "--tz", "UTC",
                "--format", "table").stdout.splitlines()
    assert table[0].split()[:3] == ["site", "requests", "merged_requests"]
    assert table[1].split()[:2] == ["dortmund", "4"]
    rows = list(csv.DictReader(io.StringIO(ctl(
        d, mgr, "report", "sla", *period, "--group-by", "site,topic", "--format", "csv").stdout)))
    assert {(r["topic"], r["requests"]) for r in rows} == \
        {("general", "2"), ("housing_approval", "1"), ("quick", "1")}
    rep = js(d, mgr, "report", "sla", *period, "--group-by", "urgency", "--format", "json")
    assert sorted((r["urgent"], r["requests"]) for r in rep["rows"]) == [(False, 3), (True, 1)]
    excel = ctl(d, mgr, "report", "sla", *period, "--format", "csv-excel").stdout
    assert excel.startswith("\ufeff") and ";" in excel.splitlines()[0]
    assert "reason" in ctl(d, mgr, "report", "breaches", *period, "--format", "csv",
                           "--tz", "Europe/Berlin").stdout.splitlines()[0]
    alerts = lambda *a: js(d, mgr, "alerts", "--since", at(-3600), *a)["alerts"]  # noqa: E731
    harness.wait_for("the quick callback's breach", lambda: alerts(
        "--level", "breached", "--site", "dortmund", "--waiting", "yes"), timeout=20)
    got = alerts("--level", "at_risk", "--site", "dortmund", "--waiting", "true")
    assert [x["callback_id"] for x in got] == [quick["id"]]
    assert alerts("--site", "soest") == []
    assert alerts("--waiting", "no", "--level", "breached")[0]["callback_id"] == quick["id"]
    assert breaches_listed(d, mgr, period) >= 1
    assert js(d, mgr, "health")
    # a caller in a language nobody at the site speaks: nobody may claim it
    ar = js(d, tel, "create", "--phone", "0231 555003", "--topic", "general",
            "--site", "dortmund", "--language", "ar")
    nobody = ids(js(d, mgr, "list", "--unclaimable", "yes", "--site", "dortmund"))
    assert ar["id"] in nobody and b["id"] not in nobody, nobody

    # tokens through the API: made once, listed without the secret, revoked
    made_tok = js(d, admin, "token", "add", "telephony", "--label", "PBX")
    assert made_tok["token"].startswith("cbd_") and made_tok["role"] == "telephony"
    assert ctl(d, made_tok["token"], "create", "--phone", "0231 5559999", "--topic",
               "general", "--site", "dortmund").returncode == 0
    listing = ctl(d, admin, "token", "list").stdout
    assert "PBX" in listing and made_tok["token"] not in listing
    revoked = js(d, admin, "token", "revoke", str(made_tok["id"]))
    assert revoked["revoked_at"]
    out = ctl(d, made_tok["token"], "create", "--phone", "0231 5559998", "--topic",
              "general", "--site", "dortmund", ok=False)
    assert out.returncode == 1 and "401" in out.stderr
    out = ctl(d, admin, "token", "add", "caseworker", ok=False)
    assert out.returncode == 1 and "422 invalid_value in caseworker" in out.stderr


def breaches_listed(d, mgr, period):
    """Rows of the breach report as callbackctl's table shows them."""
    lines = ctl(d, mgr, "report", "breaches", *period).stdout.splitlines()
    return 0 if lines == ["(no rows)"] else len(lines) - 1


def test_callbackctl_help_shows_every_command_with_an_example(t):
    out = subprocess.run([CTL, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    for cmd in ("create", "show", "list", "cancel", "unflag", "queue", "claim",
                "heartbeat", "release", "attempt", "report sla", "report breaches",
                "report forecast", "report at-risk", "story",
                "alerts", "caseworker add", "caseworker edit", "caseworker deactivate",
                "caseworker list", "caseworker show", "token add", "token list", "token revoke",
                "access", "admin-events", "health"):
        assert f"\n      callbackctl {cmd}" in out.stderr, cmd
    # and each option of each command
    for word in ("--customer-ref", "--not-before", "--not-after", "--idempotency-key",
                 "--flagged", "--unclaimable", "--phone", "--offset", "--duration", "--tz",
                 "--waiting", "--horizon", "--weeks", "--lang",
                 "--active", "--label", "--caseworker", "--kind"):
        assert word in out.stderr, word


def test_callbackctl_tells_a_callbacks_story_and_the_forecast(t):
    d = t.daemon()
    tel, agent, mgr = (d.token(r) for r in ("telephony", "agent", "manager"))
    made = js(d, tel, "create", "--phone", "0231 5550199", "--topic", "general",
              "--site", "dortmund", "--name", "Erika Mustermann")
    js(d, tel, "create", "--phone", "0231 5550199", "--topic", "general", "--site", "dortmund")
    story = js(d, agent, "story", made["id"])
    assert story["callback"]["id"] == made["id"], story
    assert [e["kind"] for e in story["events"]][:2] == ["created", "merged"], story
    assert "Mustermann" not in json.dumps(story), story
    # the manager's forecast, as JSON and as the daemon's CSV
    fc = js(d, mgr, "report", "forecast", "--site", "dortmund", "--horizon", "2d", "--weeks", "2")
    assert fc["horizon"] == "2d" and fc["history_weeks"] == 2, fc
    assert [s["site"] for s in fc["sites"]] == ["dortmund"], fc
    general = next(x for x in fc["sites"][0]["topics"] if x["topic"] == "general")
    assert general["backlog"] == 1, general
    out = ctl(d, mgr, "report", "forecast", "--site", "dortmund", "--format", "csv", "--lang", "en")
    assert out.stdout.startswith("site,site_label,staffing,"), out.stdout
    out = ctl(d, mgr, "report", "sla", "--group-by", "site", "--format", "csv", "--lang", "en")
    assert out.stdout.startswith("site,site_label,"), out.stdout
    out = ctl(d, mgr, "report", "breaches", "--lang", "xx", ok=False)
    assert out.returncode == 1 and "lang" in out.stderr, out.stderr
    # the daemon's refusal, named
    out = ctl(d, mgr, "report", "forecast", "--horizon", "20d", ok=False)
    assert out.returncode == 1 and "horizon" in out.stderr, (out.returncode, out.stderr)
    out = ctl(d, tel, "story", made["id"], ok=False)
    assert out.returncode == 1, out.stderr
