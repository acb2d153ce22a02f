#!/usr/bin/env bash
# Instructions per call, the clerk-fetch benchmark's second measure, from the
# repository root:
#
#   bash crates/clerk-fetch/bench/instructions.sh    # ~15 min on 2 cores
#
# Calls/s and CPU time (run.sh) move by a third between runs on a shared
# machine; instructions counted by callgrind move much less (with the
# predictable GC schedule below, two runs of one build agreed within 2.3% in
# Node and 4.6% in Deno; quote more than one run). For each host (Node, Deno; INSTR_HOSTS), load (1 and 64 in flight;
# INSTR_LOADS) and contender (module, sdk, fetch: bench.mjs's;
# INSTR_CONTENDERS), the host process runs under `valgrind --tool=callgrind`
# twice, with INSTR_N1 and INSTR_N2 calls (default 500 and 1500) after the
# same 1000 warm-up calls, against the release mock on core 0 (not under
# valgrind). Per call = (Ir(N2) - Ir(N1)) / (N2 - N1): start-up, compiling
# and warming up cancel out. Node and Deno run V8 --single-threaded (its
# helper threads would otherwise be counted in whatever order they ran) and
# --predictable-gc-schedule (without it a garbage collection that falls in
# one of the two runs and not the other moved Deno's module count by 37%);
# every thread of the host counts (Deno's fetch runs on its own). Bun is not
# here: its fetch dies under valgrind (SIGILL on `pcmpestri` with mode 0x04
# in its HTTP client, which valgrind 3.19's VEX does not decode; Bun's
# "baseline" build dies the same way), so Bun has run.sh's figures only. Prints a table; results
# in target/clerk-fetch-bench/instructions.txt. INSTR_PKG counts an earlier
# build of the module (a copy of target/wasm-fetch/pkg) instead of this
# tree's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
OUT=$ROOT/target/clerk-fetch-bench
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
N1=${INSTR_N1:-500}
N2=${INSTR_N2:-1500}
HOSTS=${INSTR_HOSTS:-node deno}
LOADS=${INSTR_LOADS:-1 64}
CONTENDERS=${INSTR_CONTENDERS:-module sdk fetch}
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 1; }

# shellcheck source=scripts/host-tools.sh
source scripts/host-tools.sh
ensure_wasm_bindgen >/dev/null
ensure_fetch_hosts
# shellcheck source=crates/clerk-fetch/bench/common.sh
source crates/clerk-fetch/bench/common.sh
ensure_bench_sdk
if [ -z "${INSTR_PKG:-}" ]; then
  bash crates/clerk-fetch/tests/size.sh | tail -n 2 | head -n 1
fi
cargo build -q -p clerk-cli --release
mkdir -p "$OUT"
start_mock "$TARGET_DIR/release/clerk-sign-in-tokens"
trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT
export BENCH_PKG=${INSTR_PKG:-$ROOT/target/wasm-fetch/pkg}
# A deadline of 10 minutes instead of 10 s: under valgrind 64 calls in
# flight take longer than 10 s each.
export BENCH_MODE=calls BENCH_WARMUP=1000 BENCH_TIMEOUT_MS=600000

# Instructions of one run: host, contender, in flight, calls.
count() {
  local run
  case $1 in
    node) run=(node --single-threaded --predictable-gc-schedule "$BENCH_DIR/bench.mjs") ;;
    deno) run=("$DENO" run -A --v8-flags=--single-threaded,--predictable-gc-schedule "$BENCH_DIR/bench.mjs") ;;
    *) echo "instructions.sh: unknown host $1" >&2; exit 2 ;;
  esac
  local file
  file=$(mktemp)
  BENCH_HOST=$1 BENCH_CONTENDER=$2 BENCH_IN_FLIGHT=$3 BENCH_CALLS=$4 \
    valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$file.out" \
    "${run[@]}" >"$file" 2>&1 || { cat "$file" >&2; exit 1; }
  grep -o 'Collected : [0-9]*' "$file" | awk '{ print $3 }'
  rm -f "$file" "$file.out"
}

: >"$OUT/instructions.txt"
for host in $HOSTS; do
  for in_flight in $LOADS; do
    for contender in $CONTENDERS; do
      # The two runs side by side, one per core's worth of valgrind.
      a_file=$(mktemp)
      count "$host" "$contender" "$in_flight" "$N1" >"$a_file" &
      b=$(count "$host" "$contender" "$in_flight" "$N2")
      wait $!
      a=$(cat "$a_file")
      rm -f "$a_file"
      per_call=$(( (b - a) / (N2 - N1) ))
      echo "$host $in_flight $contender $per_call" | tee -a "$OUT/instructions.txt"
    done
  done
done
echo
echo "| host | in flight | module | sdk | fetch | module/sdk | module/fetch |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk 'function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2fx", a / b) : "-" }
  { v[$1 " " $2 " " $3] = $4; k[$1 " " $2] = 1 }
  END { for (h in k) printf "| %s | %s | %d | %d | %d | %s | %s |\n", substr(h, 1, index(h, " ") - 1),
    substr(h, index(h, " ") + 1), v[h " module"], v[h " sdk"], v[h " fetch"],
    ratio(v[h " module"], v[h " sdk"]), ratio(v[h " module"], v[h " fetch"]) }' "$OUT/instructions.txt" | sort
