"""Open callbacks do not stay forever: one whose window (not_after) has
passed, or that stayed open longer than max_open_age, closes as expired,
with an event, counted in the reports, out of the queue; then retention
erases it like any closed one, call_id included."""

import csv
import datetime
import io

from harness import wait_for
from test_claims import World, iso
from test_limits import daemon_with
from test_retention import _two_checks_pass

WIDE = "from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z"


def _state(t, cb_id):
    return t.scalar(f"SELECT state FROM callbacks WHERE id = '{cb_id}'")


def _expired_events(t, cb_id):
    return t.sql(f"SELECT actor, data->>'reason' FROM events WHERE callback_id = "
                 f"'{cb_id}' AND kind = 'expired'")


def test_a_callback_past_its_window_expires_and_leaves_the_queue(t):
    w = World(t, daemon=daemon_with(t, retention_check="1s"))
    w.caseworker("anna")
    mgr = w.d.token("manager")
    now = datetime.datetime.now(datetime.timezone.utc)
    window = {"not_after": iso(now + datetime.timedelta(hours=2))}
    late = w.create(window=window)
    held = w.create(window=window)
    keeps = w.create(window=window)
    # the claimed one keeps its lease; the window of both ends now
    st, _, c, _ = w.claim("anna")
    assert st == 200 and c["callback"]["id"] == late["id"], (st, c)
    late, claimed = held, c
    t.sql("UPDATE callbacks SET not_after = now() - interval '1 minute' "
          f"WHERE id IN ('{late['id']}', '{claimed['callback']['id']}')")
    wait_for("expiry", lambda: _state(t, late["id"]) == "expired")
    assert _expired_events(t, late["id"]) == [["callbackd", "not_after"]]
    assert _state(t, keeps["id"]) == "queued"
    # out of the queue: the next claim is the one whose window is open
    st, _, c2, _ = w.claim("anna")
    assert st == 200 and c2["callback"]["id"] == keeps["id"], (st, c2)
    assert w.claim("anna")[0] == 204
    st, _, got, _ = w.d.req("GET", f"/v1/callbacks/{late['id']}", token=w.agent)
    assert st == 200 and got["state"] == "expired" and got["closed_at"], got
    assert t.index_faults() == []
    st, _, page, _ = w.d.req("GET", "/v1/callbacks?state=expired", token=mgr)
    assert st == 200 and [x["id"] for x in page["callbacks"]] == [late["id"]], page
    # a claimed one expires only when its lease is over
    _two_checks_pass(w.d)
    cid = claimed["callback"]["id"]
    assert _state(t, cid) == "claimed"
    assert w.act("anna", cid, "release", {"lease": claimed["lease"]["token"]})[0] == 200
    wait_for("expiry after the release", lambda: _state(t, cid) == "expired")
    # the reports count them, JSON and CSV
    st, _, rep, _ = w.d.req("GET", f"/v1/reports/sla?{WIDE}", token=mgr)
    assert st == 200 and rep["rows"][0]["expired"] == 2, rep
    assert rep["rows"][0]["requests"] == 3
    st, _, _, raw = w.d.req("GET", f"/v1/reports/sla?{WIDE}&format=csv", token=mgr)
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert rows[0]["expired"] == "2", rows


def test_a_callback_open_longer_than_max_open_age_expires(t):
    w = World(t, daemon=daemon_with(t, retention_check="1s", max_open_age="2d"))
    old = w.create()
    young = w.create()
    flagged = w.create()
    t.sql("UPDATE callbacks SET received_at = received_at - interval '3 days', "
          "requested_at = requested_at - interval '3 days' "
          f"WHERE id IN ('{old['id']}', '{flagged['id']}')")
    t.sql(f"UPDATE callbacks SET flagged = true WHERE id = '{flagged['id']}'")
    wait_for("expiry", lambda: _state(t, old["id"]) == "expired"
             and _state(t, flagged["id"]) == "expired")
    assert _expired_events(t, old["id"]) == [["callbackd", "max_open_age"]]
    _two_checks_pass(w.d)
    assert _state(t, young["id"]) == "queued"
    assert "expired 2 open callbacks" in w.d.log_tail(60)


def test_max_open_age_zero_keeps_open_callbacks(t):
    w = World(t, daemon=daemon_with(t, retention_check="1s", max_open_age="0"))
    old = w.create()
    t.sql("UPDATE callbacks SET received_at = received_at - interval '400 days' "
          f"WHERE id = '{old['id']}'")
    _two_checks_pass(w.d)
    assert _state(t, old["id"]) == "queued"
    assert "max_open_age = 0 keeps the others open" in w.d.log_tail(200)


def test_an_expired_callback_loses_personal_data_and_call_id_after_retention(t):
    w = World(t, daemon=daemon_with(t, retention_check="1s", retention_days=30))
    now = datetime.datetime.now(datetime.timezone.utc)
    cb = w.create(name="Erika Mustermann", note="privat", call_id="pbx-4711",
                  window={"not_after": iso(now + datetime.timedelta(hours=2))})
    t.sql(f"UPDATE callbacks SET not_after = now() - interval '1 minute' "
          f"WHERE id = '{cb['id']}'")
    wait_for("expiry", lambda: _state(t, cb["id"]) == "expired")
    assert t.scalar(f"SELECT call_id FROM callbacks WHERE id = '{cb['id']}'") == "pbx-4711"
    t.sql(f"UPDATE callbacks SET closed_at = closed_at - interval '40 days' "
          f"WHERE id = '{cb['id']}'")
    wait_for("erasure", lambda: t.scalar(
        f"SELECT erased_at IS NOT NULL FROM callbacks WHERE id = '{cb['id']}'") == "t")
    row = t.sql(f"SELECT phone IS NULL, name IS NULL, note IS NULL, call_id IS NULL, "
                f"state FROM callbacks WHERE id = '{cb['id']}'")
    assert row == [["t", "t", "t", "t", "expired"]], row
    assert t.scalar(f"SELECT count(*) FROM callback_keys WHERE callback_id = "
                    f"'{cb['id']}'") == "0"
