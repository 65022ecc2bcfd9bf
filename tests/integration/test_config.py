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
