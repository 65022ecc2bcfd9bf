"""callbackctl through a whole day of work: the admin adds a caseworker,
telephony files requests, the caseworker claims and logs attempts, an
agent cancels, the manager reads reports as a table and as CSV."""

import csv
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


def test_a_day_with_callbackctl(t):
    d = t.daemon()
    admin, tel, agent, mgr = (d.token(r) for r in ("admin", "telephony", "agent", "manager"))
    ctl(d, admin, "caseworker", "add", "mueller", "--site", "dortmund",
        "--topics", "general,housing_approval", "--languages", "de,tr")
    cw = d.token("caseworker", caseworker="mueller")
    made = [json.loads(ctl(d, tel, "create", "--phone", f"0231 55500{i}", "--topic",
                           "housing_approval" if i == 0 else "general", "--site", "dortmund",
                           "--urgent", "yes" if i == 0 else "no").stdout)
            for i in range(3)]
    assert made[0]["urgent"] is True and made[0]["state"] == "queued"
    queue = json.loads(ctl(d, cw, "queue").stdout)
    assert [c["id"] for c in queue["callbacks"]][0] == made[0]["id"]
    got = json.loads(ctl(d, cw, "claim").stdout)
    assert got["callback"]["id"] == made[0]["id"]
    lease = got["lease"]["token"]
    ctl(d, cw, "heartbeat", made[0]["id"], "--lease", lease)
    done = json.loads(ctl(d, cw, "attempt", made[0]["id"], "reached", "--lease", lease,
                          "--duration", "120", "--note", "Zusage erteilt").stdout)
    assert done["state"] == "completed"
    got = json.loads(ctl(d, cw, "claim").stdout)
    again = json.loads(ctl(d, cw, "attempt", got["callback"]["id"], "no_answer",
                           "--lease", got["lease"]["token"]).stdout)
    assert again["state"] == "queued" and again["not_before"]
    assert json.loads(ctl(d, agent, "cancel", made[2]["id"]).stdout)["state"] == "cancelled"
    listed = json.loads(ctl(d, agent, "list", "--state", "cancelled").stdout)
    assert [c["id"] for c in listed["callbacks"]] == [made[2]["id"]]
    # refusals come out in words, with exit status 1
    out = ctl(d, agent, "cancel", made[2]["id"], ok=False)
    assert out.returncode == 1 and "409 wrong_state" in out.stderr
    out = ctl(d, tel, "create", "--phone", "call me", "--topic", "general",
              "--site", "dortmund", ok=False)
    assert out.returncode == 1 and "422 invalid_phone in phone" in out.stderr
    out = ctl(d, "cbd_" + "0" * 64, "claim", ok=False)
    assert out.returncode == 1 and "401 unauthorized" in out.stderr
    # the manager's view
    table = ctl(d, mgr, "report", "sla", "--group-by", "site").stdout.splitlines()
    assert table[0].split()[:3] == ["site", "requests", "merged_requests"]
    assert table[1].split()[:2] == ["dortmund", "3"]
    rows = list(csv.DictReader(io.StringIO(
        ctl(d, mgr, "report", "sla", "--group-by", "site", "--format", "csv").stdout)))
    assert rows[0]["requests"] == "3" and rows[0]["within_target"] == "2"
    assert "mueller" in ctl(d, admin, "caseworker", "list").stdout
    assert json.loads(ctl(d, admin, "caseworker", "deactivate", "mueller").stdout)["active"] is False
    # tokens through the API: made once, listed without the secret, revoked
    made_tok = json.loads(ctl(d, admin, "token", "add", "telephony", "--label", "PBX").stdout)
    assert made_tok["token"].startswith("cbd_") and made_tok["role"] == "telephony"
    assert ctl(d, made_tok["token"], "create", "--phone", "0231 5559999", "--topic",
               "general", "--site", "dortmund").returncode == 0
    listing = ctl(d, admin, "token", "list").stdout
    assert "PBX" in listing and made_tok["token"] not in listing
    revoked = json.loads(ctl(d, admin, "token", "revoke", str(made_tok["id"])).stdout)
    assert revoked["revoked_at"]
    out = ctl(d, made_tok["token"], "create", "--phone", "0231 5559998", "--topic",
              "general", "--site", "dortmund", ok=False)
    assert out.returncode == 1 and "401" in out.stderr
    out = ctl(d, admin, "token", "add", "caseworker", ok=False)
    assert out.returncode == 1 and "422 invalid_value in caseworker" in out.stderr
    help_out = subprocess.run([CTL, "--help"], capture_output=True, text=True, timeout=10)
    assert help_out.returncode == 2 and "callbackctl claim" in help_out.stderr
