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
# 3. runs the host tests with node --test, each starting its own mock
#    (`clerk-sign-in-tokens mock-server`) on loopback and stopping it:
#    node.test.mjs (Node's fetch), workerd.test.mjs (a module Worker in
#    Cloudflare's workerd), chromium.test.mjs (headless Chromium: a page
#    and a dedicated web worker).
#
# Exits non-zero when anything fails; prints how long each step took.
# HOSTS="node workerd" limits the hosts run (default: all three).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
HOSTS_DIR=crates/clerk-fetch/tests/hosts
OUT=$ROOT/target/wasm-fetch
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HOSTS=${HOSTS:-node workerd chromium}

step_start=$SECONDS
step() {
  if [ -n "${step_name:-}" ]; then printf '   (%s: %ds)\n' "$step_name" $((SECONDS - step_start)); fi
  step_name=$1
  step_start=$SECONDS
  printf '\n== %s\n' "$1"
}
die() { printf 'run-hosts.sh: %s\n' "$*" >&2; exit 1; }

step "tools"
command -v node >/dev/null || die "node (18 or later) is not installed"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
  rustup target add wasm32-unknown-unknown
# The CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
[ -n "$wb_version" ] || die "no wasm-bindgen in Cargo.lock"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  echo "installing wasm-bindgen-cli $wb_version (several minutes)"
  # Without --locked: with it the install fails on a webpki-roots pin.
  cargo install -q wasm-bindgen-cli --version "$wb_version"
fi
wasm-bindgen --version
# Versions pinned by package-lock.json; Debian's binaryen is too old. The
# lock file's copy in node_modules says what is installed: a changed lock
# file installs again.
if ! cmp -s "$HOSTS_DIR/package-lock.json" "$HOSTS_DIR/node_modules/.installed-package-lock.json"; then
  (cd "$HOSTS_DIR" && npm ci --no-audit --no-fund &&
    cp package-lock.json node_modules/.installed-package-lock.json)
fi
WORKERD=$ROOT/$HOSTS_DIR/node_modules/.bin/workerd
"$WORKERD" --version
"$ROOT/$HOSTS_DIR/node_modules/.bin/wasm-opt" --version
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
  timeout 300 node --test "$HOSTS_DIR/$host.test.mjs" || { echo "FAILED: $host"; status=1; }
done
step "done"
[ "$status" -eq 0 ] || die "a JavaScript host failed"
echo "clerk-fetch passed in: $HOSTS"
