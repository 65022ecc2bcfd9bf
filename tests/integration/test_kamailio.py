"""A phone call becomes a call-back: a real Kamailio running
contrib/kamailio/kamailio.cfg as shipped (pointed at the test's daemon by
-A defines) and real calls placed by sipp with the scenarios in
contrib/kamailio/sipp/, all on loopback UDP. sipp's exit status and its
statistics say whether a call got the answer its scenario expects;
PostgreSQL and the daemon's metrics say what came of it."""

import hashlib
import os
import socket
import subprocess

import harness
from harness import wait_for

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CFG = os.path.join(ROOT, "contrib", "kamailio", "kamailio.cfg")
SCENARIOS = os.path.join(ROOT, "contrib", "kamailio", "sipp")

# the service numbers of kamailio.cfg's route[TOPIC]
GENERAL, HOUSING = "1000", "1001"


def udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kamailio:
    def __init__(self, t, daemon, token):
        self.dir = os.path.join(t.cluster.tmp, f"{t.db}-kamailio")
        self.run = os.path.join(self.dir, "run")
        os.makedirs(self.run, exist_ok=True)
        self.log = os.path.join(self.dir, "stderr.log")
        self.token_file = os.path.join(self.dir, "callbackd.token")
        with open(self.token_file, "w") as f:
            f.write(token + "\n")
        os.chmod(self.token_file, 0o640)
        self.port = udp_port()
        self.url = f"http://127.0.0.1:{daemon.port}/v1/callbacks"
        self.proc = None
        self.n = 0

    def start(self):
        self.proc = subprocess.Popen(
            ["kamailio", "-f", CFG, "-DD", "-E", "-Y", self.run,
             "-P", os.path.join(self.run, "kamailio.pid"), "-m", "32", "-M", "8",
             "-A", f"CB_LISTEN=udp:127.0.0.1:{self.port}",
             "-A", f'CB_URL="{self.url}"',
             "-A", f'CB_TOKEN_FILE="{self.token_file}"',
             "-A", 'CB_RETRY_AFTER="7"'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"))
        wait_for("kamailio answering OPTIONS", self.options, timeout=20)

    def options(self):
        """Whether kamailio answers an OPTIONS with 200 (it has started)."""
        assert self.proc.poll() is None, f"kamailio exited: {self.tail()}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.5)
            lport = s.getsockname()[1]
            s.sendto((f"OPTIONS sip:ping@127.0.0.1:{self.port} SIP/2.0\r\n"
                      f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK-ping{lport}\r\n"
                      "From: <sip:test@127.0.0.1>;tag=1\r\n"
                      f"To: <sip:ping@127.0.0.1:{self.port}>\r\n"
                      f"Call-ID: ping-{lport}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
                      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(),
                     ("127.0.0.1", self.port))
            return s.recv(4096).startswith(b"SIP/2.0 200 ")

    def stop(self):
        harness.stop_process(self.proc)
        self.proc = None

    def tail(self, n=30):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def call(self, scenario, service, caller, identity="Privacy: none",
             call_id=None, expect=(0, 1, 0)):
        """Places one call with sipp and returns (exit status, successful
        calls, failed calls), which must be expect unless that is None.
        identity is one header line the INVITE carries."""
        self.n += 1
        stats = os.path.join(self.dir, f"call{self.n}.csv")
        args = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-m", "1",
                "-l", "1", "-nostdin", "-s", service,
                "-key", "caller", caller, "-key", "identity", identity,
                "-i", "127.0.0.1", "-p", str(udp_port()), "-mp", str(udp_port()),
                "-recv_timeout", "10000", "-timeout", "20s", "-timeout_error",
                "-trace_stat", "-stf", stats]
        if call_id:
            args += ["-cid_str", call_id]
        out = subprocess.run(args + [f"127.0.0.1:{self.port}"], cwd=self.dir,
                             stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=40)
        with open(stats) as f:
            rows = [line.split(";") for line in f.read().splitlines() if line]
        col = {name: i for i, name in enumerate(rows[0])}
        last = rows[-1]
        ok = int(last[col["SuccessfulCall(C)"]])
        failed = int(last[col["FailedCall(C)"]])
        got = (out.returncode, ok, failed)
        assert expect is None or got == expect, (
            f"{scenario}: sipp {got}, not {expect}\n{out.stderr[-1500:]}\n{self.tail()}")
        return got


def setup(t):
    d = t.daemon()
    k = Kamailio(t, d, d.token("telephony"))
    k.start()
    return d, k


def run(t, fn):
    """Runs fn(d, k) with the daemon and kamailio up; kamailio is stopped
    whatever happens."""
    d, k = setup(t)
    try:
        fn(d, k)
    finally:
        k.stop()


def callbacks(t):
    return t.sql("SELECT phone, topic, site, request_count, coalesce(call_id, '') "
                 "FROM callbacks ORDER BY created_at")


def intake_answers(d):
    """POST /v1/callbacks answers so far, by status."""
    _, _, _, raw = d.req("GET", "/metrics")
    out = {}
    for line in raw.decode().splitlines():
        head = 'callbackd_http_requests_total{route="/v1/callbacks",status="'
        if line.startswith(head):
            out[int(line[len(head):].split('"')[0])] = int(float(line.split()[-1]))
    return out


def test_kamailio_call_from_a_national_number_becomes_a_callback(t):
    def go(d, k):
        k.call("call_answered.xml", HOUSING, "02311234567",
               call_id="national-1@pbx.example")
        assert callbacks(t) == [["+492311234567", "housing_approval", "dortmund",
                                 "1", "national-1@pbx.example"]]
        key = "sip-" + hashlib.sha256(b"national-1@pbx.example").hexdigest()
        assert t.scalar(f"SELECT count(*) FROM callback_keys "
                        f"WHERE key = 'idem:{key}'") == "1"
        with open(k.log, errors="replace") as f:
            log = f.read()
        assert "call-back housing_approval: callbackd 201, answered" in log, log
        assert "2311234567" not in log
    run(t, go)


def test_kamailio_second_call_from_the_same_number_merges(t):
    def go(d, k):
        k.call("call_answered.xml", GENERAL, "02311234567")
        # the PBX's trunk in From, the caller in P-Asserted-Identity
        k.call("call_answered.xml", GENERAL, "trunk",
               "P-Asserted-Identity: <tel:+492311234567>")
        rows = callbacks(t)
        assert [r[:4] for r in rows] == [["+492311234567", "general", "dortmund", "2"]], rows
        assert intake_answers(d) == {201: 1, 200: 1}
    run(t, go)


def test_kamailio_retransmitted_invite_is_posted_once(t):
    def go(d, k):
        k.call("call_retransmitted.xml", GENERAL, "02319876543")
        assert [r[:4] for r in callbacks(t)] == [["+492319876543", "general", "dortmund", "1"]]
        assert intake_answers(d) == {201: 1}, intake_answers(d)
    run(t, go)


def test_kamailio_same_call_id_again_is_the_same_callback(t):
    def go(d, k):
        for _ in range(2):
            k.call("call_answered.xml", GENERAL, "02319876543",
                   call_id="again-1@pbx.example")
        # one callback, asked for once: the second INVITE was a replay of
        # the first (the same Idempotency-Key), not a merge
        assert [r[:4] for r in callbacks(t)] == [["+492319876543", "general", "dortmund", "1"]]
        assert intake_answers(d) == {201: 1, 200: 1}
    run(t, go)


def test_kamailio_withheld_number_is_refused_with_433(t):
    def go(d, k):
        k.call("call_withheld.xml", GENERAL, "anonymous")
        k.call("call_withheld.xml", GENERAL, "02311234567", "Privacy: id")
        k.call("call_withheld.xml", GENERAL, "trunk",
               "P-Asserted-Identity: <sip:anonymous@anonymous.invalid>")
        assert callbacks(t) == []
        assert intake_answers(d) == {}
        # the scenario expecting an answer fails on a refusal
        k.call("call_answered.xml", GENERAL, "anonymous", expect=(1, 0, 1))
    run(t, go)


def test_kamailio_number_callbackd_refuses_is_not_answered(t):
    def go(d, k):
        # too short for a phone number: callbackd's invalid_phone, 433
        k.call("call_withheld.xml", GENERAL, "123")
        # a premium-rate number (not_dialable): 403
        k.call("call_not_dialable.xml", GENERAL, "0900123456")
        assert intake_answers(d) == {422: 2}
        assert callbacks(t) == []
    run(t, go)


def test_kamailio_token_fault_is_a_500_naming_it(t):
    def go(d, k):
        with open(k.token_file, "w") as f:
            f.write("cbd_not_a_token_callbackd_knows\n")
        k.call("call_misconfigured.xml", GENERAL, "02311234567")
        assert intake_answers(d) == {401: 1}
        os.unlink(k.token_file)
        k.call("call_misconfigured.xml", GENERAL, "02311234567")
        assert intake_answers(d) == {401: 1}
        assert callbacks(t) == []
        with open(k.log, errors="replace") as f:
            log = f.read()
        assert "call-back general: callbackd 401 unauthorized, refused" in log
        assert "call-back general: cannot read the token file" in log
    run(t, go)


def test_kamailio_callbackd_down_answers_503_with_retry_after(t):
    def go(d, k):
        d.stop()
        k.call("call_unavailable.xml", GENERAL, "02311234567",
               call_id="down-1@pbx.example")
        d.start()
        # the PBX tries again, the same call: now it becomes a callback
        k.call("call_answered.xml", GENERAL, "02311234567",
               call_id="down-1@pbx.example")
        assert [r[:4] for r in callbacks(t)] == [["+492311234567", "general", "dortmund", "1"]]
    run(t, go)


def test_kamailio_postgres_down_answers_503(t):
    def go(d, k):
        t.pg.stop()
        try:
            k.call("call_unavailable.xml", GENERAL, "02311234567")
            # callbackd's own 503, not only Kamailio giving up on it
            wait_for("callbackd's 503", lambda: intake_answers(d).get(503) == 1)
        finally:
            t.pg.start()
        wait_for("readyz", lambda: d.req("GET", "/readyz")[0] == 200)
        assert callbacks(t) == []
    run(t, go)
