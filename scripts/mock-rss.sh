#!/usr/bin/env bash
# Resident memory of `clerk-sign-in-tokens mock-server` under a sustained
# create load: the release server on core 0, the load generator
# (clerk-bench-creates: clerk-core's client over hyper, 64 creates in flight)
# on core 1, VmRSS and VmHWM read from /proc/PID/status before the load and
# after every batch.
#
#   scripts/mock-rss.sh [batches] [creates per batch] [extra mock-server flags...]
#   scripts/mock-rss.sh 10 100000                     # 1,000,000 creates
#   scripts/mock-rss.sh 5 100000 --max-tokens 1000000 # a larger cap
#
# Linux only (/proc, taskset). Builds both binaries in release first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BATCHES=${1:-10}
PER_BATCH=${2:-100000}
shift $(( $# > 2 ? 2 : $# ))

cargo build --release -q -p clerk-cli -p clerk-bench --bin clerk-sign-in-tokens --bin clerk-bench-creates
BIN=target/release
PIN_SERVER=() PIN_CLIENT=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0) PIN_CLIENT=(taskset -c 1)
else
  echo "note: running unpinned (no taskset or fewer than 2 cores)"
fi

PORT_FILE=$(mktemp -u "${TMPDIR:-/tmp}/clerk-mock-rss.XXXXXX")
"${PIN_SERVER[@]}" "$BIN/clerk-sign-in-tokens" mock-server --rate-limit 0 --port-file "$PORT_FILE" "$@" >/dev/null 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$PORT_FILE")/v1"

mem() { awk '/^(VmRSS|VmHWM)/ {printf "%s %6.1f MiB  ", $1, $2 / 1024}' "/proc/$PID/status"; echo; }
echo "mock-server pid $PID at $URL, flags: --rate-limit 0 $*"
printf '%9s creates  ' 0; mem
for b in $(seq "$BATCHES"); do
  out=$("${PIN_CLIENT[@]}" "$BIN/clerk-bench-creates" "$URL" "$PER_BATCH" 64)
  printf '%9s creates  ' $((b * PER_BATCH)); mem
  echo "           ($out)"
done
kill -TERM $PID
wait $PID && echo "mock-server exited 0 on SIGTERM"
trap - EXIT
