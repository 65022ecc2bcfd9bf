"""End-to-end tests of callbackd's web pages: for each scenario of
pages.mjs a fresh database and daemon (real Redis, PostgreSQL and
syslog-ng from the integration harness) serving www/, the tokens and data
the scenario needs, and headless Chromium driven by playwright-core.
Screenshots land in build/e2e/<scenario>/. Prints a line per scenario and
"N passed, M failed"; exits 1 on any failure.

    CALLBACKD=build/plain/callbackd python3 tests/e2e/run.py [SCENARIO]
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402

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
        env["CB_ID"], env["CB_PHONE"] = cb["id"], cb["phone"]
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
    return env


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                       timeout=600)
    cluster = harness.Cluster()
    passed = failed = 0
    try:
        cluster.start()
        for name in SCENARIOS:
            if only and name != only:
                continue
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
                env = dict(os.environ, BASE=f"http://127.0.0.1:{d.port}",
                           OUT=os.path.join(TOP, "build", "e2e", name), **prepare(d, name))
                out = subprocess.run(["node", os.path.join(HERE, "pages.mjs"), name],
                                     env=env, capture_output=True, text=True, timeout=180)
                if out.returncode != 0:
                    why = (out.stderr or out.stdout).strip()[-1500:]
            except Exception as e:  # the harness or the daemon failed
                why = f"{type(e).__name__}: {e}"
            code = d.stop()
            if why is None and code != 0:
                why = f"daemon exited {code}"
            if why:
                failed += 1
                print(f"FAIL {name}: {why}")
                print(f"--- daemon log:\n{d.log_tail()}")
            else:
                passed += 1
                print(f"ok   {name}")
    finally:
        cluster.stop()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
