#!/usr/bin/env bash
# clerk-wasi inside real WASI 0.2 hosts, against the mock Clerk on loopback.
#
#   bash crates/clerk-wasi/tests/run-hosts.sh
#
# 1. Installs what is missing, pinned, into target/wasi-hosts (override with
#    CLERK_WASI_TOOLS): the wasm32-wasip2 target; a Python venv with the
#    `wasmtime` package; @bytecodealliance/jco and preview2-shim from npm.
# 2. Runs the crate's unit and doc tests for wasm32-wasip2 inside wasmtime
#    (tests/hosts/wasmtime-run.py is cargo's runner).
# 3. Builds the `host_check` and `create_and_revoke` examples as wasi:cli
#    components with tests/size.sh (the size build BENCHMARKS.md quotes:
#    nightly build-std, jco opt, wasm-tools strip; CLERK_WASM_STABLE=1 for
#    the stable toolchain's), which prints their sizes, and builds the CLI;
#    starts `clerk-sign-in-tokens mock-server` and the fault front
#    (tests/hosts/faults.py), both on 127.0.0.1.
# 4. Runs the stripped host_check component under wasmtime (in-process
#    through the Python package, wasi:http linked) and under Node 20 after
#    `jco transpile`; tests/hosts/driver.py checks its report and the mock's
#    state each time. Then runs the stripped create_and_revoke component,
#    the one whose size is quoted, under both hosts (driver.py's
#    create-and-revoke mode: it must create and revoke a token).
# 5. Stops the servers. Exits non-zero if any step or host failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

HERE=crates/clerk-wasi/tests
TOOLS=${CLERK_WASI_TOOLS:-target/wasi-hosts}
JCO_VERSION=1.35.0
SHIM_VERSION=0.26.1
COMPONENT=target/wasi-size/host_check.opt.stripped.wasm
SIZED=target/wasi-size/create_and_revoke.opt.stripped.wasm
CLI="${CARGO_TARGET_DIR:-target}/debug/clerk-sign-in-tokens"

started=$SECONDS
step() { printf '\n== %s (at %d s)\n' "$*" $((SECONDS - started)); }
die() { printf 'run-hosts.sh: %s\n' "$*" >&2; exit 1; }

for tool in cargo node npm python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "node $node_major is too old: jco's shim needs 20 or later"

step "tools (install only what is missing)"
# shellcheck source=scripts/host-tools.sh
source scripts/host-tools.sh
ensure_wasmtime_py "$TOOLS"
TOOLS=$(cd "$TOOLS" && pwd) # absolute: node and cargo's runner resolve it elsewhere
PY=$WASI_PY
have_npm() { # package version
    [ "$(node -p "try { require('$TOOLS/node_modules/$1/package.json').version } catch { '' }")" = "$2" ]
}
if ! have_npm @bytecodealliance/jco "$JCO_VERSION" || ! have_npm @bytecodealliance/preview2-shim "$SHIM_VERSION"; then
    timeout 600 npm install --silent --no-audit --no-fund --prefix "$TOOLS" \
        "@bytecodealliance/jco@$JCO_VERSION" "@bytecodealliance/preview2-shim@$SHIM_VERSION"
fi
JCO="$TOOLS/node_modules/.bin/jco"
echo "jco $("$JCO" --version), preview2-shim $SHIM_VERSION, node $(node --version)"

step "unit and doc tests for wasm32-wasip2, inside wasmtime"
CARGO_TARGET_WASM32_WASIP2_RUNNER="$PY $PWD/$HERE/hosts/wasmtime-run.py" \
    timeout 900 cargo test -p clerk-wasi --target wasm32-wasip2

step "build the components (tests/size.sh) and the CLI"
CLERK_WASI_TOOLS="$TOOLS" timeout 1200 bash "$HERE/size.sh"
[ -f "$COMPONENT" ] || die "no component at $COMPONENT"
[ -f "$SIZED" ] || die "no component at $SIZED"
timeout 1200 cargo build -p clerk-cli
[ -x "$CLI" ] || die "no CLI at $CLI"

step "start the mock Clerk and the fault front"
work=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts "$@" in the background, waits for its "listening on URL" line, and
# prints URL.
start() {
    local name=$1 out="$work/$1.out"
    shift
    "$@" >"$out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 300); do # up to 30 s
        if [ "$(wc -l <"$out")" -ge 1 ]; then
            local line
            line=$(head -n 1 "$out")
            case $line in
                "listening on http://"*) echo "${line#listening on }"; return 0 ;;
                *) cat "$work/$name.err" >&2; die "$name: unexpected first line '$line'" ;;
            esac
        fi
        sleep 0.1
    done
    cat "$work/$name.err" >&2
    die "$name did not start within 30 s"
}
mock=$(start mock "$CLI" mock-server --port 0)
faults=$(start faults python3 "$HERE/hosts/faults.py" "$mock")
echo "mock $mock, fault front $faults"

failed=()
step "host 1: wasmtime (Python package $WASMTIME_PY_VERSION, wasi:http linked)"
timeout 180 "$PY" "$HERE/hosts/driver.py" wasmtime "$COMPONENT" "$mock" "$faults" || failed+=(wasmtime)

step "host 2: jco $JCO_VERSION transpile, then Node $(node --version) with preview2-shim"
rm -rf "$TOOLS/jco-out"
if timeout 300 "$JCO" transpile "$COMPONENT" -o "$TOOLS/jco-out" --name host_check --quiet; then
    echo '{"type": "module"}' >"$TOOLS/jco-out/package.json" # jco emits ES modules
    timeout 180 "$PY" "$HERE/hosts/driver.py" jco "$TOOLS/jco-out/host_check.js" "$mock" "$faults" \
        || failed+=(jco)
else
    failed+=("jco transpile")
fi

for host in wasmtime jco; do
    step "create_and_revoke (the measured component) under $host"
    artifact=$SIZED
    if [ "$host" = jco ]; then
        rm -rf "$TOOLS/jco-out-cr"
        timeout 300 "$JCO" transpile "$SIZED" -o "$TOOLS/jco-out-cr" --name create_and_revoke --quiet ||
            { failed+=("jco transpile create_and_revoke"); continue; }
        echo '{"type": "module"}' >"$TOOLS/jco-out-cr/package.json"
        artifact=$TOOLS/jco-out-cr/create_and_revoke.js
    fi
    timeout 180 "$PY" "$HERE/hosts/driver.py" "$host" "$artifact" "$mock" create-and-revoke ||
        failed+=("$host (create_and_revoke)")
done

step "stop the servers"
cleanup
trap - EXIT

[ "${#failed[@]}" -eq 0 ] || die "failed under: ${failed[*]}"
printf '\nPASS: clerk-wasi under wasmtime and jco (%d s)\n' $((SECONDS - started))
