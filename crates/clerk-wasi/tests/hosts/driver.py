"""Runs the host_check component in one WASI host and checks the mock's state.

    driver.py wasmtime COMPONENT.wasm MOCK_ORIGIN FAULTS_ORIGIN
    driver.py jco      TRANSPILED.js  MOCK_ORIGIN FAULTS_ORIGIN
    driver.py wasmtime|jco ARTIFACT   MOCK_ORIGIN create-and-revoke

The last form runs the create_and_revoke example instead (the component
tests/size.sh measures): with the key in CLERK_SECRET_KEY and a user id as
its argument it must print `created ID (pending)` and `revoked ID (revoked)`,
exit 0, never print the key, and leave the token revoked in the mock.

wasmtime: the component runs in this process through the `wasmtime` Python
package (its component Linker with WASIp2 and wasi:http).
jco: the component, transpiled by jco, runs under Node with
@bytecodealliance/preview2-shim.

Then, over plain HTTP to the mock: every token the component reports as kept
must still be pending (revoking it here succeeds), every token it reports as
revoked must be revoked (revoking it here answers 400), and the fault front
must have seen the create over a 429 and the revoke over a 503 twice each
(the 429 retry at least 1 s after the 429, which said Retry-After: 1), and
the create over a 503 once (never retried). Exits 0 when all holds, 1 otherwise.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

KEY = "sk_test_WASI_SENTINEL_7f3a"
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message):
    print(f"driver: FAIL: {message}", flush=True)
    sys.exit(1)


def closed_url():
    """A loopback URL where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def run_wasmtime(component_path, env, argv=("host_check",)):
    import wasmtime
    from wasmtime import component as cm

    engine = wasmtime.Engine()
    component = cm.Component.from_file(engine, component_path)
    linker = cm.Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.env = list(env.items())
    wasi.argv = list(argv)
    out = tempfile.NamedTemporaryFile(prefix="host_check.", suffix=".out", delete=False)
    out.close()
    wasi.stdout_file = out.name
    wasi.inherit_stderr()
    store.set_wasi(wasi)
    store.set_wasi_http()
    instance = linker.instantiate(store, component)
    run = None
    for minor in range(10, -1, -1):
        iface = instance.get_export_index(store, f"wasi:cli/run@0.2.{minor}")
        if iface is not None:
            run = instance.get_func(store, instance.get_export_index(store, "run", iface))
            break
    if run is None:
        fail("the component exports no wasi:cli/run")
    status = 0
    try:
        result = run(store)
        # result<_, _> without payloads comes back as a tagged Variant.
        if getattr(result, "tag", None) != "ok":
            print(f"driver: wasi:cli/run returned {result!r}", flush=True)
            status = 1
    except wasmtime.ExitTrap as e:  # std::process::exit
        status = e.code
    except wasmtime.WasmtimeError as e:
        print(f"driver: the component trapped or failed: {e}", flush=True)
        status = 1
    with open(out.name) as f:
        stdout = f.read()
    os.unlink(out.name)
    return status, stdout


def run_jco(js_path, env, argv=("host_check",)):
    runner = os.path.join(HERE, "jco-run.mjs")
    answer = subprocess.run(
        ["node", runner, os.path.abspath(js_path), *argv],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    return answer.returncode, answer.stdout


def post(url):
    """POST with the key; returns (status, json body)."""
    request = urllib.request.Request(
        url, data=b"", method="POST", headers={"Authorization": f"Bearer {KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def create_and_revoke(host, artifact, mock):
    env = {"CLERK_API_URL": f"{mock}/v1", "CLERK_SECRET_KEY": KEY}
    argv = ("create_and_revoke", "user_wasi_size")
    started = time.monotonic()
    status, stdout = (run_wasmtime if host == "wasmtime" else run_jco)(artifact, env, argv)
    print(stdout, end="", flush=True)
    print(f"driver: the component ran for {time.monotonic() - started:.1f} s, exit status {status}")
    if "SENTINEL" in stdout:
        fail("the secret key appeared in the component's output")
    lines = stdout.splitlines()
    if status != 0 or len(lines) != 2:
        fail(f"create_and_revoke did not create and revoke under {host}")
    created, revoked = (line.split() for line in lines)
    if (created[0], created[2]) != ("created", "(pending)") or (
        revoked[0],
        revoked[2],
    ) != ("revoked", "(revoked)") or created[1] != revoked[1]:
        fail(f"unexpected output: {lines}")
    code, body = post(f"{mock}/v1/sign_in_tokens/{created[1]}/revoke")
    codes = [e.get("code") for e in body.get("errors", [])]
    if code != 400 or "sign_in_token_cannot_be_revoked_code" not in codes:
        fail(f"{created[1]} was not revoked in the mock: {code} {codes}")
    print(f"driver: PASS create_and_revoke under {host}")


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("wasmtime", "jco"):
        print(__doc__)
        sys.exit(2)
    host, artifact, mock, faults = sys.argv[1:]
    if faults == "create-and-revoke":
        create_and_revoke(host, artifact, mock)
        return
    run_name = f"{host}-{os.getpid()}"
    env = {
        "CLERK_API_URL": f"{mock}/v1",
        "CLERK_FAULTS_URL": faults,
        "CLERK_RUN": run_name,
        "CLERK_CLOSED_URL": closed_url(),
    }
    started = time.monotonic()
    status, stdout = (run_wasmtime if host == "wasmtime" else run_jco)(artifact, env)
    print(stdout, end="", flush=True)
    print(f"driver: the component ran for {time.monotonic() - started:.1f} s, exit status {status}")
    lines = stdout.splitlines()
    if status != 0 or not lines or lines[-1] != "PASS":
        fail(f"the component did not pass under {host}")
    if "SENTINEL" in stdout:
        fail("the secret key appeared in the component's output")

    kept = [line.split()[1] for line in lines if line.startswith("kept ")]
    revoked = [line.split()[1] for line in lines if line.startswith("revoked ")]
    if len(kept) != 2 or len(revoked) != 2:
        fail(f"expected 2 kept and 2 revoked tokens, got {kept} and {revoked}")
    # A kept token is still pending: the mock lets us revoke it now.
    for token_id in kept:
        if token_id in revoked:
            continue
        code, body = post(f"{mock}/v1/sign_in_tokens/{token_id}/revoke")
        if code != 200 or body.get("status") != "revoked":
            fail(f"{token_id} was not pending in the mock: {code} {body}")
    # A revoked token is revoked in the mock.
    for token_id in revoked:
        code, body = post(f"{mock}/v1/sign_in_tokens/{token_id}/revoke")
        codes = [e.get("code") for e in body.get("errors", [])]
        if code != 400 or "sign_in_token_cannot_be_revoked_code" not in codes:
            fail(f"{token_id} was not revoked in the mock: {code} {codes}")
    print("driver: the mock's state matches (kept tokens pending, revoked tokens revoked)")

    def report(run):
        with urllib.request.urlopen(f"{faults}/_report/{run}", timeout=10) as answer:
            return json.load(answer)

    seen = report(run_name)
    for fault in ("503", "429"):
        times = seen.get(fault, [])
        if len(times) != 2:
            fail(f"the {fault} path saw {len(times)} requests, expected the fault and one retry")
    gap = seen["429"][1] - seen["429"][0]
    if gap < 0.95:
        fail(f"the retry after a 429 with Retry-After: 1 came {gap:.2f} s later")
    if len(seen.get("slow", [])) != 1:
        fail(f"the slow path saw {len(seen.get('slow', []))} requests, expected 1")
    creates = report(f"{run_name}-create").get("503", [])
    if len(creates) != 1:
        fail(f"a create over a 503 was sent {len(creates)} times, expected once (no retry)")
    print(f"driver: create retried once after the 429 ({gap:.2f} s later), "
          "revoke once after the 503, create not retried after a 503")
    print(f"driver: PASS under {host}")


if __name__ == "__main__":
    main()
