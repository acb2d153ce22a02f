# Sourced by run.sh and instructions.sh, from the repository root, after
# scripts/host-tools.sh: what both need before they measure.

BENCH_DIR=crates/clerk-fetch/bench

# @clerk/backend, pinned by bench/package-lock.json; installed once (the lock
# file's copy in node_modules says what is installed).
ensure_bench_sdk() {
  if ! cmp -s "$BENCH_DIR/package-lock.json" "$BENCH_DIR/node_modules/.installed-package-lock.json"; then
    (cd "$BENCH_DIR" && npm ci --no-audit --no-fund &&
      cp package-lock.json node_modules/.installed-package-lock.json)
  fi
}

# Starts the mock (the CLI at $1) on core 0 when there are two cores, with no
# rate limit and no admin journal, and waits for its port; sets MOCK_PID and
# exports BENCH_API. The caller kills MOCK_PID on exit.
start_mock() {
  local cli=$1 port_file
  port_file=$(mktemp)
  rm -f "$port_file"
  local pin=()
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin=(taskset -c 0); fi
  # taskset execs the program, so $! is the mock itself.
  "${pin[@]}" "$cli" mock-server --port 0 --rate-limit 0 --no-admin --port-file "$port_file" >/dev/null &
  MOCK_PID=$!
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  [ -s "$port_file" ] || { echo "bench: the mock did not start" >&2; return 1; }
  export BENCH_API="http://127.0.0.1:$(cat "$port_file")/v1"
  rm -f "$port_file"
}
