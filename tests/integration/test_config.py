"""What --check-config refuses, and why: each mistake gets file, line or
section, key and a sentence an operator can act on."""

import os
import subprocess

import harness


def check(d, text):
    """Runs --check-config on text; returns (exit code, stderr)."""
    path = os.path.join(d.dir, "check.ini")
    with open(path, "w") as f:
        f.write(text)
    out = subprocess.run([harness.CALLBACKD, "-c", path, "--check-config"],
                         capture_output=True, text=True, timeout=10)
    return out.returncode, out.stderr


def conf(d):
    with open(d.conf) as f:
        return f.read()


def test_a_target_past_the_calendar_is_refused(t):
    """A target longer than 90 days, or one that a calendar with few opening
    hours cannot reach within the horizon its due times are searched in,
    would give a due time in 1970 or an overflow: refused at load."""
    d = t.daemon(start=False)
    base = conf(d)
    code, err = check(d, base.replace("target = 4s", "target = 2161h"))
    assert code == 1 and "target:" in err, err
    code, err = check(d, base.replace("target = 4s", "target = 9223372036854775807ms"))
    assert code == 1 and "target:" in err, err
    # one hour a week: 48 h of open time take 48 weeks, more than 200 days
    sparse = base.replace("[site soest]\ncalendar = 24x7", "[site soest]\ncalendar = sparse")
    sparse += "\n[calendar sparse]\ntimezone = Europe/Berlin\nmon = 08:00-09:00\n"
    code, err = check(d, sparse)
    assert code == 1, err
    assert "[topic housing_approval]: target: calendar 'sparse' is not open" in err, err
    # eight hours on weekdays: 48 h of open time are six working days
    office = sparse.replace("mon = 08:00-09:00", "mon = 08:00-16:00\ntue = 08:00-16:00\n"
                            "wed = 08:00-16:00\nthu = 08:00-16:00\nfri = 08:00-16:00")
    code, err = check(d, office)
    assert code == 0, err


def test_create_token_refuses_a_caseworker_id_that_is_none(t):
    """--create-token caseworker --caseworker "" made a token that read
    every unassigned callback as if assigned to it; the API refused it."""
    d = t.daemon(start=False)
    before = t.scalar("SELECT count(*) FROM tokens")
    for bad in ("", "Anna Müller", "a" * 200):
        out = d.run("--create-token", "caseworker", "--caseworker", bad, check=False)
        assert out.returncode == 1 and "is not a caseworker id" in out.stderr, out
        assert out.stdout == ""
    assert t.scalar("SELECT count(*) FROM tokens") == before
    assert d.run("--create-token", "caseworker", "--caseworker", "anna").returncode == 0


def _line_of(text, needle, nth=1):
    """The 1-based line number of the nth line that is needle."""
    seen = 0
    for i, line in enumerate(text.split("\n")):
        if line == needle:
            seen += 1
            if seen == nth:
                return i + 1
    raise AssertionError(needle)


def test_check_config_refuses_what_it_used_to_pass(t):
    """Each of these gave "config OK" and then did something else than the
    file said: a site that silently did not exist, a key or section given
    twice where the last won, a date that is no day, and errors without
    the line to look at."""
    d = t.daemon(start=False)
    base = conf(d)
    path = os.path.join(d.dir, "check.ini")

    # an empty site, and one whose calendar is commented out
    for body in ("", "# calendar = 24x7\n"):
        text = base + f"\n[site bar]\n{body}"
        code, err = check(d, text)
        assert code == 1, err
        assert f"{path}:{_line_of(text, '[site bar]')}: [site bar]: empty section: " \
            "calendar is missing" in err, err
    # a section given twice
    text = base + "\n[topic general]\ntarget = 24h\n"
    code, err = check(d, text)
    line = _line_of(text, "[topic general]", 2)
    first = _line_of(text, "[topic general]")
    assert code == 1 and f"{path}:{line}: [topic general]: given twice (first on line " \
        f"{first})" in err, err
    # a key given twice: the second country code would have won
    text = base.replace("[daemon]\n", "[daemon]\ncountry_code = 49\ncountry_code = 41\n", 1)
    code, err = check(d, text)
    line = _line_of(text, "country_code = 41")
    assert code == 1 and f"{path}:{line}: country_code: given twice in [daemon] " \
        f"(first on line {line - 1})" in err, err
    # closure days must be days
    for day, ok in (("2026-02-30", False), ("2026-04-31", False), ("2027-02-29", False),
                    ("2028-02-29", True), ("2026-12-31", True)):
        text = base + f"\n[calendar office]\nmon = 08:00-16:00\nclosed = {day}\n"
        code, err = check(d, text)
        assert (code == 0) == ok, (day, err)
        if not ok:
            assert f"{path}:{_line_of(text, 'closed = ' + day)}: closed:" in err, err
    # a missing key and an undefined calendar name their section's line
    text = base + "\n[topic pension]\nurgent = yes\n"
    code, err = check(d, text)
    assert code == 1 and f"{path}:{_line_of(text, '[topic pension]')}: [topic pension]: " \
        "target is missing" in err, err
    text = base.replace("[site soest]\ncalendar = 24x7", "[site soest]\ncalendar = office")
    code, err = check(d, text)
    assert code == 1 and f"{path}:{_line_of(text, '[site soest]')}: [site soest]: " \
        "calendar 'office' is not defined" in err, err
    # a continued value is one key, not a key given twice
    text = base + "\n[calendar office]\nmon = 08:00-16:00\nclosed = 2026-12-24,\n  2026-12-31\n"
    assert check(d, text)[0] == 0


def test_check_config_refuses_a_listen_host_that_does_not_resolve(t):
    """The check passed and the start failed with a raw libevent line.
    Run in a network namespace of its own: the resolver's question goes
    nowhere, not to the machine's name server."""
    d = t.daemon(start=False)
    text = conf(d).replace("listen = 127.0.0.1:", "listen = no-such-host.invalid:")
    path = os.path.join(d.dir, "check.ini")
    with open(path, "w") as f:
        f.write(text)
    line = next(i + 1 for i, x in enumerate(text.split("\n")) if x.startswith("listen ="))
    for args in (["--check-config"], ["-f"]):
        out = subprocess.run(["unshare", "--net", harness.CALLBACKD, "-c", path] + args,
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1, out
        assert f"{path}:{line}: listen: cannot resolve 'no-such-host.invalid'" in out.stderr, \
            out.stderr


def test_check_config_refuses_a_metrics_listen_it_cannot_use(t):
    """metrics_listen is host:port like listen, and not listen itself."""
    d = t.daemon(start=False)
    listen = next(x for x in conf(d).split("\n") if x.startswith("listen ="))
    for value, why in (("9464", "metrics_listen: '9464' is not host:port"),
                       (listen.split(" = ")[1], "metrics_listen: the same address as listen")):
        text = conf(d).replace("[daemon]\n", f"[daemon]\nmetrics_listen = {value}\n")
        path = os.path.join(d.dir, "check.ini")
        with open(path, "w") as f:
            f.write(text)
        out = subprocess.run([harness.CALLBACKD, "-c", path, "--check-config"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1 and f"{path}:2: {why}" in out.stderr, out.stderr
