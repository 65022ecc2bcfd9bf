"""End-to-end tests of callbackd's web pages: for each scenario of
pages.mjs a fresh database and daemon (real Redis, PostgreSQL and
syslog-ng from the integration harness) serving www/, the tokens and data
the scenario needs, and headless Chromium (/usr/bin/chromium) driven by
playwright-core. Screenshots land in build/e2e/<scenario>/, and the
daemon's log too when a scenario fails. Prints a line per scenario and
"N passed, M failed"; exits 1 on any failure.

    python3 tests/e2e/run.py [SCENARIO]

The daemon is $CALLBACKD, by default build/plain/callbackd.
"""

import os
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
CHROMIUM = "/usr/bin/chromium"
os.environ.setdefault("CALLBACKD", os.path.join(TOP, "build", "plain", "callbackd"))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402  (reads CALLBACKD)

SCENARIOS = ("caseworker", "agent", "manager", "english")


def prepare(d, name):
    """Tokens and data for a scenario, through the API."""
    env = {}
    admin, tel = d.token("admin"), d.token("telephony")
    env["AGENT_TOKEN"] = d.token("agent")
    env["MANAGER_TOKEN"] = d.token("manager")
    if name == "caseworker":
        st = d.req("POST", "/v1/caseworkers", {"id": "anna", "site": "dortmund",
                   "topics": ["general"], "languages": ["de"]}, admin)[0]
        assert st == 201, st
        env["CW_TOKEN"] = d.token("caseworker", caseworker="anna")
        st, _, cb, _ = d.req("POST", "/v1/callbacks", {
            "phone": "0231 5551234", "topic": "general", "site": "dortmund",
            "name": "Erika Beispiel"}, tel)
        assert st == 201, (st, cb)
        # telephony gets ids and states back; the stored number is the agent's to read
        env["CB_ID"] = cb["id"]
        env["CB_PHONE"] = d.req("GET", f"/v1/callbacks/{cb['id']}",
                                token=env["AGENT_TOKEN"])[2]["phone"]
        # the next one in the queue, for keeping and giving back a lease
        st, _, cb2, _ = d.req("POST", "/v1/callbacks", {
            "phone": "0231 5554321", "topic": "general", "site": "dortmund"}, tel)
        assert st == 201, (st, cb2)
        env["CB2_ID"] = cb2["id"]
    if name == "manager":
        # the harness's topic "quick" has a 4 s target
        st = d.req("POST", "/v1/callbacks", {"phone": "0231 5559876", "topic": "quick",
                   "site": "dortmund"}, tel)[0]
        assert st == 201, st
        # and one with 48 h to go: undecided today, pending
        st = d.req("POST", "/v1/callbacks", {"phone": "02921 555123", "topic": "general",
                   "site": "soest"}, tel)[0]
        assert st == 201, st
    return env


def node(name, env, timeout=120):
    """Runs one scenario; None when it passed, else why not. Node and its
    Chromium get a process group of their own, killed whole on a timeout."""
    proc = subprocess.Popen(["node", os.path.join(HERE, "pages.mjs"), name], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"timed out after {timeout} s"
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return None if proc.returncode == 0 else (out.strip() or f"node exited {proc.returncode}")


def scenario(cluster, name):
    """Runs one scenario against a daemon of its own; None or why it failed."""
    out = os.path.join(TOP, "build", "e2e", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    db, prefix = cluster.fresh()
    d = cluster.daemon(db, prefix)
    with open(d.conf) as f:
        text = f.read()
    # a short lease, so that the caseworker page must keep it alive
    extra = "lease = 6s\n" if name == "caseworker" else ""
    with open(d.conf, "w") as f:
        f.write(text.replace("[daemon]\n", f"[daemon]\nwww = {TOP}/www\n{extra}", 1))
    why = None
    try:
        d.migrate()
        d.start()
        why = node(name, dict(os.environ, BASE=f"http://127.0.0.1:{d.port}", OUT=out,
                              **prepare(d, name)))
    except Exception as e:  # the harness or the daemon failed
        why = f"{type(e).__name__}: {e}"
    code = d.stop()
    if why is None and code != 0:
        why = f"daemon exited {code}"
    if why:
        shutil.copy(d.log, os.path.join(out, "daemon.log"))
        # CI shows only what is printed: the log's end, before the verdict
        print(f"--- daemon log of {name}:\n{d.log_tail()}", flush=True)
        why += f" (daemon log: build/e2e/{name}/daemon.log)"
    return why


def main():
    only = sys.argv[1:2]
    for path, hint in ((CHROMIUM, "apt-get install -y chromium"),
                       (harness.CALLBACKD, "build it, or set CALLBACKD")):
        if not os.access(path, os.X_OK):
            print(f"FAIL setup: no {path} ({hint})")
            print("0 passed, 1 failed")
            sys.exit(1)
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       timeout=600, stdout=subprocess.DEVNULL)
    cluster = harness.Cluster()
    passed = failed = 0
    try:
        cluster.start()
        for name in SCENARIOS:
            if only and name not in only:
                continue
            why = scenario(cluster, name)
            if why:
                failed += 1
                print(f"FAIL {name}: {' '.join(why.split())}", flush=True)
            else:
                passed += 1
                print(f"ok {name}", flush=True)
    except Exception as e:  # Redis, PostgreSQL or syslog-ng did not start
        failed += 1
        print(f"FAIL setup: {type(e).__name__}: {e}")
    finally:
        cluster.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
