"""Targets in working days: "target = 2 workdays" is due at the same
local time on the second open day after the request (weekends, public
holidays and closure days skipped), not after 48 hours of open time; the
at_risk warnings are fractions of the open time up to then. The requests
lie in 2025 and 2026, and max_request_age lets them in for years to come."""

import os
import subprocess

import harness
from harness import wait_for

# Berlin, North Rhine-Westphalia's holidays; Mon-Thu 08-12 and 13-16,
# Fri 08-12; closed on 24 and 31 December 2025
EXTRA = """
[calendar office]
timezone = Europe/Berlin
state = NW
mon = 08:00-12:00, 13:00-16:00
tue = 08:00-12:00, 13:00-16:00
wed = 08:00-12:00, 13:00-16:00
thu = 08:00-12:00, 13:00-16:00
fri = 08:00-12:00
closed = 2025-12-24, 2025-12-31

[topic promise]
target = 2 workdays
urgent_target = 2h
calendar = office
warn_at = 0.5
"""


def workdays_daemon(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        text = f.read()
    text = text.replace("[daemon]\n", "[daemon]\nmax_request_age = 3650d\n"
                        "max_open_age = 0\n", 1) + EXTRA
    with open(d.conf, "w") as f:
        f.write(text)
    d.start()
    return d, d.token("telephony")


def request(d, tel, phone, requested_at, urgent=False):
    st, _, cb, _ = d.req("POST", "/v1/callbacks", {
        "phone": phone, "topic": "promise", "site": "dortmund",
        "urgent": urgent, "requested_at": requested_at}, tel)
    assert st == 201, cb
    return cb


def test_two_workdays_from_friday_are_due_tuesday_same_time(t):
    d, tel = workdays_daemon(t)
    # Friday 27.11.2026 10:00 in Berlin -> Tuesday 1.12 10:00 (09:00Z)
    cb = request(d, tel, "0231 5557001", "2026-11-27T09:00:00Z")
    assert cb["due_at"] == "2026-12-01T09:00:00.000Z", cb
    # urgent: 2 h of open time, Friday 12:00
    urgent = request(d, tel, "0231 5557002", "2026-11-27T09:00:00Z", urgent=True)
    assert urgent["due_at"] == "2026-11-27T11:00:00.000Z", urgent
    # the warning at half of the 11 open hours up to the due time (Fri
    # 2 h, Mon 7 h, Tue 2 h): Monday 30.11 11:30 Berlin (10:30Z)
    warn = t.scalar(f"SELECT alert_warn FROM callbacks WHERE id = '{cb['id']}'")
    assert warn.replace(" ", "") == "[[0.5,1796034600000]]", warn
    # long past: the warning and the breach go out at once, each at its
    # planned moment
    wait_for("alerts", lambda: t.scalar(
        f"SELECT count(*) FROM alerts WHERE callback_id = '{cb['id']}'") == "2")
    fired = t.scalar("SELECT string_agg(level || ' ' || threshold || ' ' || "
                     "to_char(fire_at AT TIME ZONE 'Europe/Berlin', "
                     "'YYYY-MM-DD HH24:MI'), ', ' ORDER BY fire_at) "
                     f"FROM alerts WHERE callback_id = '{cb['id']}'")
    assert fired == "at_risk 0.500 2026-11-30 11:30, breached 1.000 2026-12-01 10:00", fired


def test_two_workdays_skip_christmas_and_easter(t):
    d, tel = workdays_daemon(t)
    # Tuesday 23.12.2025 10:00: 24.12 closed, 25.12 and 26.12 holidays,
    # the weekend; Monday 29.12 and Tuesday 30.12 10:00 (09:00Z)
    cb = request(d, tel, "0231 5557003", "2025-12-23T09:00:00Z")
    assert cb["due_at"] == "2025-12-30T09:00:00.000Z", cb
    # Thursday 2.4.2026 10:00 CEST: Good Friday, the weekend and Easter
    # Monday; Tuesday 7.4 and Wednesday 8.4 10:00 (08:00Z)
    cb = request(d, tel, "0231 5557004", "2026-04-02T08:00:00Z")
    assert cb["due_at"] == "2026-04-08T08:00:00.000Z", cb
    # on Saturday 28.11.2026: counted from Monday 08:00, due Wednesday 08:00
    cb = request(d, tel, "0231 5557005", "2026-11-28T10:00:00Z")
    assert cb["due_at"] == "2026-12-02T07:00:00.000Z", cb


def test_check_config_refuses_workdays_out_of_bounds(t):
    d = t.daemon(start=False)
    with open(d.conf) as f:
        base = f.read()
    path = os.path.join(d.dir, "check.ini")
    for value, why in (("0 workdays", "'0 workdays': working days go from 1 to 20"),
                       ("21 workdays", "'21 workdays': working days go from 1 to 20"),
                       ("1.5 workdays", "'1.5 workdays' is not working days"),
                       ("2 days", "'2 days' is neither open time")):
        text = base.replace("[topic general]\ntarget = 48h\n",
                            f"[topic general]\ntarget = {value}\n", 1)
        line = text.split("\n").index(f"target = {value}") + 1
        with open(path, "w") as f:
            f.write(text)
        out = subprocess.run([harness.CALLBACKD, "-c", path, "--check-config"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1, (value, out)
        assert f"{path}:{line}: target: {why}" in out.stderr, out.stderr
    with open(path, "w") as f:
        f.write(base.replace("[topic general]\ntarget = 48h\n",
                             "[topic general]\ntarget = 2 workdays\n", 1))
    out = subprocess.run([harness.CALLBACKD, "-c", path, "--check-config"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr


def test_config_keys_show_targets_in_open_time_or_workdays(t):
    out = subprocess.run([harness.CALLBACKD, "--config-keys"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    rows = {(r[0], r[1]): r for r in (x.split("\t") for x in out.stdout.strip().split("\n"))}
    for key in ("target", "urgent_target"):
        assert rows[("[topic NAME]", key)][4] == \
            "open time (2h) or working days (2 workdays)", rows[("[topic NAME]", key)]
    assert rows[("[daemon]", "lease")][4].startswith("duration"), rows[("[daemon]", "lease")]
