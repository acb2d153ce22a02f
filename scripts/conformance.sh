#!/usr/bin/env bash
# The transport contract's conformance matrix: every case of
# crates/clerk-test-support/conformance/cases.json, run by every transport,
# judged by one judge, printed as one table (case x transport). Exits 1 on
# any failed or missing cell. From the repository root:
#
#   bash scripts/conformance.sh
#
# 1. installs what is missing (scripts/host-tools.sh): the wasm targets, the
#    wasm-bindgen CLI, Node's workerd/Deno/Bun packages, wasmtime for Python;
# 2. builds the `conformance` command (clerk-test-support), clerk-fetch's
#    runner module (crates/clerk-fetch/conformance, wasm-bindgen --target web)
#    and clerk-wasi's runner component (crates/clerk-wasi/conformance);
# 3. starts `conformance serve` (every case's server on 127.0.0.1, and an
#    admin endpoint) for the runners outside cargo;
# 4. runs the Rust transports (tests/conformance.rs: clerk-hyper pooled and
#    on smol, clerk-reqwest async and blocking, clerk-tower), clerk-fetch inside Node,
#    Deno and Bun (crates/clerk-fetch/tests/hosts/conformance.mjs), and
#    clerk-wasi inside wasmtime (crates/clerk-wasi/tests/hosts/conformance.py),
#    each writing its observations to target/conformance/results;
# 5. prints the matrix (`conformance matrix`), with every n/a's reason.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/host-tools.sh
source scripts/host-tools.sh
OUT=$ROOT/target/conformance
RESULTS=$OUT/results
CASES=$ROOT/crates/clerk-test-support/conformance/cases.json
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

started=$SECONDS
step() { printf '\n== %s (at %d s)\n' "$*" $((SECONDS - started)); }

step "tools"
ensure_wasm_bindgen
ensure_fetch_hosts
ensure_wasmtime_py

step "build: the conformance command, clerk-fetch's module, clerk-wasi's component"
cargo build -q -p clerk-test-support --bin conformance
cargo build -q -p clerk-fetch-conformance --target wasm32-unknown-unknown --release
rm -rf "$OUT/pkg"
wasm-bindgen --target web --out-dir "$OUT/pkg" \
  "$TARGET_DIR/wasm32-unknown-unknown/release/clerk_fetch_conformance.wasm"
cargo build -q -p clerk-wasi-conformance --target wasm32-wasip2 --release
COMPONENT=$TARGET_DIR/wasm32-wasip2/release/clerk-wasi-conformance.wasm

step "start the servers (conformance serve)"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
fifo=$OUT/serve.stdin
rm -f "$fifo" && mkfifo "$fifo"
"$TARGET_DIR/debug/conformance" serve <"$fifo" >"$OUT/serve.json" &
serve_pid=$!
exec 3>"$fifo" # held open: the server runs until it closes
cleanup() { exec 3>&- 2>/dev/null || true; kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$OUT/serve.json" ] && break; sleep 0.1; done
ADMIN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin'])" "$OUT/serve.json")
export CONFORMANCE_ADMIN=$ADMIN CONFORMANCE_RESULTS=$RESULTS CONFORMANCE_CASES=$CASES
echo "admin $ADMIN"

failed=()
step "Rust: clerk-hyper (pooled, smol), clerk-reqwest (async, blocking), clerk-tower"
# The runner judges as it goes and fails on a red case; the matrix below
# says which. Its observations are written either way.
cargo test -q -p clerk-sign-in-tokens --test conformance -- --test-threads=2 || failed+=(rust)

export CONFORMANCE_PKG=$OUT/pkg
step "clerk-fetch inside Node"
CONFORMANCE_HOST=node timeout 300 node "$FETCH_HOSTS_DIR/conformance.mjs" || failed+=(node)
step "clerk-fetch inside Deno"
CONFORMANCE_HOST=deno timeout 300 "$DENO" run -A "$FETCH_HOSTS_DIR/conformance.mjs" || failed+=(deno)
step "clerk-fetch inside Bun"
CONFORMANCE_HOST=bun timeout 300 "$BUN" "$FETCH_HOSTS_DIR/conformance.mjs" || failed+=(bun)
step "clerk-wasi inside wasmtime"
timeout 600 "$WASI_PY" crates/clerk-wasi/tests/hosts/conformance.py "$COMPONENT" || failed+=(wasmtime)

step "the matrix"
status=0
"$TARGET_DIR/debug/conformance" matrix "$RESULTS" || status=1
if [ "${#failed[@]}" -ne 0 ]; then
  echo "conformance.sh: runners that failed: ${failed[*]}"
  status=1
fi
printf '\nconformance.sh: %d s\n' $((SECONDS - started))
exit "$status"
