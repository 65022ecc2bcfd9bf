"""What the web pages poll, the caseworker's queue and the alerts, carries
an ETag made from the answer: asked again with it (If-None-Match), the
answer is 304 without a body exactly while nothing in it changed, and 200
with a new tag once something did, from any daemon alike. Such answers
say private, no-cache and Vary: Authorization; the others keep no-store."""

from harness import wait_for
from test_claims import World

ALERTS = "/v1/alerts?level=at_risk&waiting=true"


def get(d, path, tok, tag=None):
    st, h, body, raw = d.req("GET", path, token=tok,
                             headers={"If-None-Match": tag} if tag else None)
    return st, h, body, raw


def test_polled_queue_is_304_exactly_while_it_is_unchanged(t):
    w = World(t)
    anna = w.caseworker("anna")
    first = w.create()
    st, h, body, _ = get(w.d, "/v1/queue", anna)
    assert st == 200 and [c["id"] for c in body["callbacks"]] == [first["id"]], (st, body)
    tag = h["etag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/"), h
    assert h["cache-control"] == "private, no-cache" and h["vary"] == "Authorization", h

    # unchanged: 304, no body, the same tag; the weak form and a list too
    for ask in (tag, "W/" + tag, f'"other", {tag}'):
        st, h2, _, raw = get(w.d, "/v1/queue", anna, ask)
        assert st == 304 and raw == b"" and h2["etag"] == tag, (ask, st, h2, raw)
        assert "content-type" not in h2 and h2["cache-control"] == "private, no-cache", h2
    # what is not in her queue leaves her answer as it was
    w.create(site="soest")
    assert get(w.d, "/v1/queue", anna, tag)[0] == 304

    # a new callback in her queue: 200 with it and another tag, then 304 again
    second = w.create(urgent=True)
    st, h, body, _ = get(w.d, "/v1/queue", anna, tag)
    assert st == 200 and h["etag"] != tag, (st, h)
    assert {c["id"] for c in body["callbacks"]} == {first["id"], second["id"]}, body
    tag2 = h["etag"]
    assert get(w.d, "/v1/queue", anna, tag2)[0] == 304
    # a claim takes one out of the queue: changed again
    st, _, claim, _ = w.claim("anna")
    assert st == 200, (st, claim)
    st, h, body, _ = get(w.d, "/v1/queue", anna, tag2)
    assert st == 200 and h["etag"] not in (tag, tag2), (st, h)
    assert claim["callback"]["id"] not in [c["id"] for c in body["callbacks"]]
    # HEAD asks the same question
    st, h, _, raw = w.d.req("HEAD", "/v1/queue", token=anna, headers={"If-None-Match": tag2})
    assert st == 200 and raw == b"" and h["etag"] == get(w.d, "/v1/queue", anna)[1]["etag"]


def test_polled_queue_has_the_same_tag_from_another_daemon(t):
    w = World(t)
    anna = w.caseworker("anna")
    w.create()
    d2 = t.daemon(name="d2")
    st, h, _, _ = get(w.d, "/v1/queue", anna)
    assert st == 200
    st, h2, _, raw = get(d2, "/v1/queue", anna, h["etag"])
    assert st == 304 and raw == b"" and h2["etag"] == h["etag"], (st, h2)
    w.create()
    st, h3, body, _ = get(d2, "/v1/queue", anna, h["etag"])
    assert st == 200 and len(body["callbacks"]) == 2 and h3["etag"] != h["etag"]
    assert get(w.d, "/v1/queue", anna, h3["etag"])[0] == 304


def test_polled_alerts_are_304_until_an_alert_goes_out_or_is_answered(t):
    w = World(t)
    mgr = w.d.token("manager")
    st, h, body, _ = get(w.d, ALERTS, mgr)
    assert st == 200 and body == {"alerts": [], "next_cursor": None}, body
    tag = h["etag"]
    assert h["cache-control"] == "private, no-cache" and h["vary"] == "Authorization", h
    assert get(w.d, ALERTS, mgr, tag)[0] == 304

    # the harness's topic "quick": at risk after 2 s; the list changes when
    # the alert is written and when syslog has taken it
    cb = w.create(topic="quick")

    def sent():
        st, h, body, _ = get(w.d, ALERTS, mgr)
        mine = [a for a in body["alerts"] if a["callback_id"] == cb["id"]]
        return h["etag"] if st == 200 and mine and mine[0]["sent_at"] else None
    wait_for("the at_risk alert sent", sent, timeout=10)
    st, h, body, _ = get(w.d, ALERTS, mgr, tag)
    assert st == 200 and h["etag"] != tag
    assert [a["callback_id"] for a in body["alerts"]] == [cb["id"]], body
    tag2 = h["etag"]
    assert get(w.d, ALERTS, mgr, tag2)[0] == 304

    # an attempt answers it: no longer waiting, so the list changes back
    st = w.act(None, cb["id"], "attempts", {"result": "reached"})[0]
    assert st == 201 or st == 200, st
    st, h, body, _ = get(w.d, ALERTS, mgr, tag2)
    assert st == 200 and body == {"alerts": [], "next_cursor": None} and h["etag"] == tag, \
        (st, body, h)


def test_unpolled_answers_and_errors_carry_no_tag(t):
    w = World(t)
    anna = w.caseworker("anna")
    st, h, _, _ = get(w.d, "/v1/queue", "cbd_nonsense")
    assert st == 401 and "etag" not in h and h["cache-control"] == "no-store", h
    st, h, _, _ = get(w.d, "/v1/queue?limit=999", anna)
    assert st == 400 and "etag" not in h and h["cache-control"] == "no-store", h
    st, h, _, _ = get(w.d, "/v1/callbacks", w.agent)
    assert st == 200 and "etag" not in h and h["cache-control"] == "no-store", h
