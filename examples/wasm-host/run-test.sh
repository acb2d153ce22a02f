#!/usr/bin/env bash
# End-to-end test of the wasm host example, from the repository root:
#
#   bash examples/wasm-host/run-test.sh
#
# Builds the wasm32-unknown-unknown module (installing the target with rustup
# if missing), prints its size, runs the module's native unit tests, builds
# the CLI, starts its mock Clerk on a free port, runs test.mjs under Node
# against it, and stops the server. Every step is bounded in time; any failure
# exits non-zero.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
HERE=examples/wasm-host
WASM_TARGET_DIR="$HERE/target"
WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/release/clerk_wasm_host.wasm"
CLI="${CARGO_TARGET_DIR:-target}/debug/clerk-sign-in-tokens"

step() { printf '\n== %s\n' "$*"; }
die() { printf 'run-test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is not installed"
command -v node >/dev/null || die "node (18 or later) is not installed"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "node $node_major is too old: fetch needs 18 or later"

step "wasm32-unknown-unknown target"
if command -v rustup >/dev/null; then
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        timeout 300 rustup target add wasm32-unknown-unknown
    fi
    echo "installed"
else
    echo "no rustup: assuming the toolchain has the target"
fi

step "build the module"
# Its own workspace, lock file and target directory (examples/wasm-host/target).
timeout 900 cargo build --release --target wasm32-unknown-unknown \
    --manifest-path "$HERE/Cargo.toml" --target-dir "$WASM_TARGET_DIR"
[ -f "$WASM" ] || die "no module at $WASM"
echo "module: $WASM"
echo "module size: $(wc -c <"$WASM" | tr -d ' ') bytes"

step "the module's unit tests (native, with a recording host)"
timeout 900 cargo test --quiet --manifest-path "$HERE/Cargo.toml" --target-dir "$WASM_TARGET_DIR"

step "build the CLI (mock server)"
timeout 1200 cargo build -p clerk-cli
[ -x "$CLI" ] || die "no CLI binary at $CLI"

step "start the mock Clerk"
work=$(mktemp -d)
server_pid=""
stop_server() {
    # Prints nothing, returns the server's exit status (or 0 if not running).
    local pid=$server_pid status=0
    [ -n "$pid" ] || return 0
    server_pid=""
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "the mock server ignored SIGTERM for 5 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" || status=$?
    return "$status"
}
cleanup() {
    stop_server || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CLI" mock-server --port 0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!

first_line=""
for _ in $(seq 300); do # up to 30 s
    if [ "$(wc -l <"$work/stdout")" -ge 1 ]; then # a whole first line
        first_line=$(head -n 1 "$work/stdout")
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; die "the mock server exited early"; }
    sleep 0.1
done
case $first_line in
    "listening on http://"*) ;;
    *) cat "$work/stderr" >&2; die "unexpected first line from the mock server: '$first_line'" ;;
esac
origin=${first_line#listening on }
base_url="$origin/v1"
echo "$first_line (pid $server_pid); base URL $base_url"

step "node $HERE/test.mjs $base_url"
test_status=0
timeout 120 node "$HERE/test.mjs" "$base_url" "$WASM" || test_status=$?

step "stop the mock Clerk"
server_status=0
stop_server || server_status=$?
echo "mock server exited with status $server_status"

[ "$test_status" -eq 0 ] || die "test.mjs failed (status $test_status)"
[ "$server_status" -eq 0 ] || die "the mock server did not exit cleanly (status $server_status)"
echo
echo "PASS"
