#!/usr/bin/env bash
# The clerk-fetch benchmark, from the repository root:
#
#   bash crates/clerk-fetch/bench/run.sh           # BENCHMARKS.md's figures (~10 min)
#   bash crates/clerk-fetch/bench/run.sh --smoke   # every host and contender once, small (CI)
#   bash crates/clerk-fetch/bench/run.sh --threads # CPU per call by host thread (threads.mjs, Linux)
#
# examples/wasm-fetch's module (built by tests/size.sh, the module the host
# tests run) against @clerk/backend (pinned in bench/package.json) and plain
# fetch + JSON.parse, creating sign-in tokens against the project's mock
# (`clerk-sign-in-tokens mock-server`, release build, no rate limit, no
# admin journal) in Node, Deno and Bun. The mock is pinned to core 0 and
# the host to core 1 (taskset). In each host one process runs every
# contender in alternating rounds (bench.mjs); BENCH_INSTANTIATE fresh
# processes time the module's compile and instantiate. Results go to
# target/clerk-fetch-bench/results.jsonl; summarize.mjs prints the table.
#
# BENCH_ROUNDS (default 7), BENCH_CALLS (1 in flight, default 2000),
# BENCH_CALLS_64 (64 in flight, default 20000), BENCH_WARMUP (calls per
# contender before the first round, default 20000: the hosts recompile the
# module's hot functions in their optimizing tier only after thousands of
# calls), BENCH_INSTANTIATE (5), BENCH_HOSTS ("node deno bun").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
OUT=$ROOT/target/clerk-fetch-bench
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
smoke=false
script=bench.mjs
case "${1:-}" in
  --smoke) smoke=true ;;
  --threads) script=threads.mjs ;;
  "") ;;
  *) echo "usage: run.sh [--smoke|--threads]" >&2; exit 2 ;;
esac
if $smoke; then
  export BENCH_ROUNDS=1 BENCH_CALLS=50 BENCH_CALLS_64=300 BENCH_INSTANTIATE=1 BENCH_WARMUP=50
  profile=dev
else
  export BENCH_ROUNDS=${BENCH_ROUNDS:-7} BENCH_CALLS=${BENCH_CALLS:-2000}
  export BENCH_CALLS_64=${BENCH_CALLS_64:-20000} BENCH_INSTANTIATE=${BENCH_INSTANTIATE:-5}
  profile=release
fi
HOSTS=${BENCH_HOSTS:-node deno bun}

# shellcheck source=scripts/host-tools.sh
source scripts/host-tools.sh
ensure_wasm_bindgen >/dev/null
ensure_fetch_hosts
# shellcheck source=crates/clerk-fetch/bench/common.sh
source crates/clerk-fetch/bench/common.sh
ensure_bench_sdk
echo "@clerk/backend $(node -p "require('./$BENCH_DIR/node_modules/@clerk/backend/package.json').version")"

bash crates/clerk-fetch/tests/size.sh | tail -n 3
cargo build -q -p clerk-cli --profile "$profile"
cli_dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
CLI=$TARGET_DIR/$cli_dir/clerk-sign-in-tokens

if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  core1=(taskset -c 1)
else
  core1=()
fi
mkdir -p "$OUT"
rm -f "$OUT/results.jsonl"
start_mock "$CLI"
trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT
export BENCH_PKG=$ROOT/target/wasm-fetch/pkg

for host in $HOSTS; do
  case $host in
    node) run=(node "$BENCH_DIR/$script") ;;
    deno) run=("$DENO" run -A "$BENCH_DIR/$script") ;;
    bun) run=("$BUN" "$BENCH_DIR/$script") ;;
    *) echo "run.sh: unknown host $host" >&2; exit 2 ;;
  esac
  echo "== $host"
  if [ "$script" = threads.mjs ]; then
    for in_flight in 1 64; do
      BENCH_IN_FLIGHT=$in_flight "${core1[@]}" "${run[@]}"
    done
    continue
  fi
  for _ in $(seq "$BENCH_INSTANTIATE"); do
    BENCH_HOST=$host BENCH_MODE=instantiate "${core1[@]}" "${run[@]}" >>"$OUT/results.jsonl"
  done
  BENCH_HOST=$host "${core1[@]}" "${run[@]}" | tee -a "$OUT/results.jsonl" | awk 'END { print NR " batches" }'
done
if [ "$script" = bench.mjs ]; then
  node "$BENCH_DIR/summarize.mjs" "$OUT/results.jsonl"
fi
