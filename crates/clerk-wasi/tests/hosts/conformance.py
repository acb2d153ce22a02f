"""The transport contract's conformance cases, run by clerk-wasi inside wasmtime.

    conformance.py COMPONENT.wasm

scripts/conformance.sh runs it with CONFORMANCE_ADMIN (the admin origin of
`conformance serve`), CONFORMANCE_RESULTS (a folder) and CONFORMANCE_CASES
(cases.json). The component (crates/clerk-wasi/conformance) is compiled once and
instantiated afresh for each case, in this process, through the `wasmtime`
Python package with WASIp2 and wasi:http linked; it gets the case's settings,
its server's URL and the key in its environment and prints what happened.
This writes one observation a case to CONFORMANCE_RESULTS/wasi-wasmtime.jsonl;
the judge is `conformance matrix`.
"""

import json
import os
import sys
import tempfile
import time
import urllib.request

import wasmtime
from wasmtime import component as cm

TRANSPORT = "wasi-wasmtime"
NOT_SETTINGS = {"name", "what", "server", "url", "body_bytes", "expect", "na"}


def admin(path, method="GET"):
    request = urllib.request.Request(os.environ["CONFORMANCE_ADMIN"] + path, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def run(engine, component, env):
    """Instantiates the component with `env`, runs it, returns its stdout."""
    linker = cm.Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.env = list(env.items())
    wasi.argv = ["conformance"]
    out = tempfile.NamedTemporaryFile(prefix="conformance.", suffix=".out", delete=False)
    out.close()
    wasi.stdout_file = out.name
    wasi.inherit_stderr()
    store.set_wasi(wasi)
    store.set_wasi_http()
    instance = linker.instantiate(store, component)
    run_func = None
    for minor in range(10, -1, -1):
        iface = instance.get_export_index(store, f"wasi:cli/run@0.2.{minor}")
        if iface is not None:
            run_func = instance.get_func(store, instance.get_export_index(store, "run", iface))
            break
    if run_func is None:
        raise SystemExit("conformance.py: the component exports no wasi:cli/run")
    try:
        run_func(store)
    except wasmtime.ExitTrap:
        pass
    except wasmtime.WasmtimeError as e:
        print(f"conformance.py: the component trapped: {e}", flush=True)
    with open(out.name) as f:
        stdout = f.read()
    os.unlink(out.name)
    return stdout


def main():
    component_path = sys.argv[1]
    with open(os.environ["CONFORMANCE_CASES"]) as f:
        table = json.load(f)
    engine = wasmtime.Engine()
    component = cm.Component.from_file(engine, component_path)
    urls = admin("/urls")
    observations = []
    for case in table["cases"]:
        name = case["name"]
        observation = {"transport": TRANSPORT, "case": name, "outcome": "", "not_sent": None,
                       "elapsed_ms": 0, "error_text": ""}
        reason = case.get("na", {}).get(TRANSPORT)
        if reason:
            observation["na"] = reason
            observations.append(observation)
            print(f"{TRANSPORT:>16} | {name:<44} | n/a", flush=True)
            continue
        settings = dict(table["defaults"])
        settings.update({k: v for k, v in case.items() if k not in NOT_SETTINGS})
        admin(f"/reset/{name}", method="POST")
        env = {"CASE_SETTINGS": json.dumps(settings), "CASE_URL": urls[name], "CASE_KEY": table["key"]}
        started = time.monotonic()
        stdout = run(engine, component, env)
        observation["elapsed_ms"] = round((time.monotonic() - started) * 1000)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if lines:
            result = json.loads(lines[-1])
            observation["outcome"] = result["outcome"]
            observation["not_sent"] = result["not_sent"]
            observation["error_text"] = result["error_text"]
        else:
            observation["outcome"] = "no_report"
            observation["error_text"] = stdout[-2000:]
        observation["server"] = admin(f"/stats/{name}")
        observations.append(observation)
        print(f"{TRANSPORT:>16} | {name:<44} | {observation['outcome']:<16} | "
              f"{observation['elapsed_ms']} ms", flush=True)
    results = os.environ["CONFORMANCE_RESULTS"]
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, f"{TRANSPORT}.jsonl"), "w") as f:
        for o in observations:
            f.write(json.dumps(o) + "\n")


if __name__ == "__main__":
    main()
