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

import importlib.util
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

# a scenario is scenarios/NAME.mjs (the page) with, when it needs data,
# scenarios/NAME.py: prepare(d, env) files it through the API and adds to
# env; DAEMON, lines for the daemon's [daemon] section; SECTIONS, lines
# for other sections of the harness's config, by header ("topic general").
SCENARIOS = sorted(f[:-4] for f in os.listdir(os.path.join(HERE, "scenarios"))
                   if f.endswith(".mjs"))


def setup_of(name):
    """The scenario's Python side: a module, or None."""
    path = os.path.join(HERE, "scenarios", name + ".py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("scenario_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def prepare(d, name):
    """Tokens every scenario gets, and the scenario's own data."""
    env = {"ADMIN_TOKEN": d.token("admin"), "TELEPHONY_TOKEN": d.token("telephony"),
           "AGENT_TOKEN": d.token("agent"), "MANAGER_TOKEN": d.token("manager")}
    mod = setup_of(name)
    if mod and hasattr(mod, "prepare"):
        mod.prepare(d, env)
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
    extra = getattr(setup_of(name), "DAEMON", "")
    for header, lines in getattr(setup_of(name), "SECTIONS", {}).items():
        text = text.replace(f"[{header}]\n", f"[{header}]\n{lines}", 1)
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
    if not all(os.path.isdir(os.path.join(HERE, "node_modules", m))
               for m in ("playwright-core", "@axe-core/playwright")):
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
