"""A reload (SIGHUP) or a start with a topic or site removed from the
configuration while open callbacks still use it: refused, with a log line
saying which and how many, until they are closed."""

import os
import signal
import subprocess

from harness import CALLBACKD, wait_for


def drop_section(d, header):
    with open(d.conf) as f:
        text = f.read()
    start = text.index(header)
    end = text.find("\n[", start + 1)
    with open(d.conf, "w") as f:
        f.write(text[:start] + (text[end + 1:] if end != -1 else ""))
    return text


def create(d, tel, phone, topic="benefits", site="dortmund"):
    return d.req("POST", "/v1/callbacks", {"phone": phone, "topic": topic,
                                           "site": site}, tel)


def test_reload_removing_a_topic_in_use_is_refused_until_its_callbacks_close(t):
    d = t.daemon()
    tel, agent = d.token("telephony"), d.token("agent")
    st, _, cb, _ = create(d, tel, "0231 4440001")
    assert st == 201
    drop_section(d, "[topic benefits]")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "reload refused: topic benefits has 1 open callback"
             in d.log_tail(), timeout=10)
    # the old configuration stays: an attempt on it, and a new intake
    st, _, body, _ = d.req("POST", f"/v1/callbacks/{cb['id']}/attempts",
                           {"result": "busy"}, agent)
    assert st == 201, body
    st, _, cb2, _ = create(d, tel, "0231 4440002")
    assert st == 201, cb2
    for c in (cb, cb2):
        st, _, body, _ = d.req("POST", f"/v1/callbacks/{c['id']}/cancel", None, agent)
        assert st == 200, body
    # the same file again, with nothing open that uses the topic
    d.proc.send_signal(signal.SIGHUP)
    wait_for("reload", lambda: "configuration reloaded" in d.log_tail(), timeout=10)
    st, _, body, _ = create(d, tel, "0231 4440003")
    assert st == 422 and body["error"]["code"] == "unknown_topic", body


def test_reload_removing_a_site_in_use_is_refused(t):
    d = t.daemon()
    tel = d.token("telephony")
    assert create(d, tel, "0231 4440011", topic="general", site="soest")[0] == 201
    assert create(d, tel, "0231 4440012", topic="general", site="soest")[0] == 201
    drop_section(d, "[site soest]")
    d.proc.send_signal(signal.SIGHUP)
    wait_for("refusal", lambda: "reload refused: site soest has 2 open callbacks"
             in d.log_tail(), timeout=10)
    assert "configuration reloaded" not in d.log_tail()
    assert create(d, tel, "0231 4440013", topic="general", site="soest")[0] == 201


def test_start_with_a_topic_removed_that_open_callbacks_use_fails(t):
    d = t.daemon()
    tel = d.token("telephony")
    assert create(d, tel, "0231 4440021")[0] == 201
    assert d.stop() == 0
    drop_section(d, "[topic benefits]")
    with open(d.log, "ab") as log:
        proc = subprocess.Popen([CALLBACKD, "-c", d.conf, "-f"],
                                stdout=subprocess.DEVNULL, stderr=log,
                                env=dict(os.environ))
    try:
        code = proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 1, d.log_tail()
    assert "topic benefits has 1 open callback" in d.log_tail(), d.log_tail()
