#!/usr/bin/env bash
# clerk-fetch in real JavaScript hosts, from the repository root:
#
#   bash crates/clerk-fetch/tests/run-hosts.sh
#
# 1. installs what is missing (each only when absent): the wasm32 target, the
#    wasm-bindgen CLI of the exact version in Cargo.lock, npm's workerd and
#    binaryen (wasm-opt) into crates/clerk-fetch/tests/hosts/node_modules,
#    Debian's chromium and chromium-driver;
# 2. builds examples/wasm-fetch's module with tests/size.sh (cargo build for
#    wasm32-unknown-unknown, profile wasm-release, by default on nightly with
#    build-std and immediate-abort panics, whose components size.sh installs
#    when missing; CLERK_WASM_STABLE=1 for the stable toolchain's build;
#    wasm-bindgen --target web; wasm-opt -Oz), which prints its size and gzip
#    size, and builds the CLI (the mock Clerk). The module the hosts load is
#    the one size.sh measured;
# 3. runs the host tests, each starting its own mock
#    (`clerk-sign-in-tokens mock-server`) on loopback and stopping it:
#    server.test.mjs in Node (`node --test`), Deno (`deno test -A`) and Bun
#    (`bun test`), each with its own fetch; with `node --test`,
#    workerd.test.mjs (a module Worker in Cloudflare's workerd) and
#    chromium.test.mjs (headless Chromium: a page and a dedicated web
#    worker).
#
# Exits non-zero when anything fails; prints how long each step took.
# HOSTS="node workerd" limits the hosts run (default: all five).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
HOSTS_DIR=crates/clerk-fetch/tests/hosts
OUT=$ROOT/target/wasm-fetch
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HOSTS=${HOSTS:-node deno bun workerd chromium}

step_start=$SECONDS
step() {
  if [ -n "${step_name:-}" ]; then printf '   (%s: %ds)\n' "$step_name" $((SECONDS - step_start)); fi
  step_name=$1
  step_start=$SECONDS
  printf '\n== %s\n' "$1"
}
die() { printf 'run-hosts.sh: %s\n' "$*" >&2; exit 1; }

step "tools"
# shellcheck source=scripts/host-tools.sh
source scripts/host-tools.sh
ensure_wasm_bindgen
ensure_fetch_hosts
"$WORKERD" --version
"$WASM_OPT" --version
case " $HOSTS " in
  *" chromium "*)
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    fi
    chromedriver --version
    ;;
esac

step "build the module (examples/wasm-fetch) and the mock (clerk-cli)"
bash crates/clerk-fetch/tests/size.sh
cargo build -q -p clerk-cli

export CLERK_CLI=$TARGET_DIR/debug/clerk-sign-in-tokens
export WASM_PKG=$OUT/pkg
export WORKERD
export WORKER_JS=$ROOT/examples/wasm-fetch/worker.mjs
status=0
for host in $HOSTS; do
  step "host: $host"
  case $host in
    node) run=(node --test "$HOSTS_DIR/server.test.mjs") ;;
    deno) run=("$DENO" test -A "$HOSTS_DIR/server.test.mjs") ;;
    bun) run=("$BUN" test "$HOSTS_DIR/server.test.mjs") ;;
    *) run=(node --test "$HOSTS_DIR/$host.test.mjs") ;;
  esac
  timeout 300 "${run[@]}" || { echo "FAILED: $host"; status=1; }
done
step "done"
[ "$status" -eq 0 ] || die "a JavaScript host failed"
echo "clerk-fetch passed in: $HOSTS"
