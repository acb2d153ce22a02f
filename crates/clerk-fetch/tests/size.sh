#!/usr/bin/env bash
# Builds examples/wasm-fetch's WebAssembly module exactly as the host tests
# run it, and prints its size, as BENCHMARKS.md quotes it:
#
#   bash crates/clerk-fetch/tests/size.sh              # after run-hosts.sh installed the tools
#   bash crates/clerk-fetch/tests/size.sh --breakdown  # and what the bytes are
#   CLERK_WASM_STABLE=1 bash crates/clerk-fetch/tests/size.sh  # the stable toolchain's build
#
# 1. cargo build -p clerk-example-wasm-fetch for wasm32-unknown-unknown with
#    the workspace's `wasm-release` profile (opt-level "z", LTO, one codegen
#    unit, panic = "abort", no debug info). By default with the nightly
#    toolchain, which rebuilds the standard library for the module
#    (`-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size`)
#    with panics that abort at once, without formatting a message
#    (`-Cpanic=immediate-abort`; on wasm32-unknown-unknown the message went
#    nowhere anyway) and without panic locations (`-Zlocation-detail=none`).
#    This script installs nightly's rust-src and wasm32-unknown-unknown
#    components when they are missing. CLERK_WASM_STABLE=1 builds with the
#    default toolchain and the profile alone, as a user without nightly
#    would (larger: BENCHMARKS.md section 5b);
# 2. wasm-bindgen --target web into target/wasm-fetch/pkg;
# 3. wasm-opt --low-memory-unused -Oz --converge (npm's binaryen 132,
#    installed by run-hosts.sh; Debian's is too old) with the features rustc
#    enables for the target, debug info and producers stripped. That file is
#    the module the hosts load. `--low-memory-unused` lets wasm-opt fold
#    `p + constant` into load and store offsets, which differs only for an
#    address sum that wraps around past 4 GiB into the first KiB; Rust code
#    computes none (as in crates/clerk-wasi/tests/size.sh).
# Prints bytes and gzip -9 bytes after each of 2 and 3, against the goal of
# at most 180 KB (184,320 bytes) per module; it does not fail over the goal.
# --breakdown also builds the module once more with its name section kept
# (into target/wasm-fetch/named-build), runs wasm-opt -Oz on it without
# stripping, and prints its sections and its code by crate
# (tests/wasm-breakdown.mjs).
# run-hosts.sh calls this script as its build step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
ROOT=$PWD
HOSTS_DIR=crates/clerk-fetch/tests/hosts
OUT=$ROOT/target/wasm-fetch
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WASM_OPT=$ROOT/$HOSTS_DIR/node_modules/.bin/wasm-opt
GOAL=$((180 * 1024))
breakdown=false
case "${1:-}" in
  --breakdown) breakdown=true ;;
  "") ;;
  *) echo "usage: size.sh [--breakdown]" >&2; exit 2 ;;
esac
set -- # what remains of "$@" are the size build's cargo flags

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ] || [ ! -x "$WASM_OPT" ]; then
  echo "size.sh: needs wasm-bindgen $wb_version and $HOSTS_DIR/node_modules (binaryen): run crates/clerk-fetch/tests/run-hosts.sh once" >&2
  exit 1
fi

# The toolchain and flags of the size build (step 1).
# shellcheck source=../../../scripts/wasm-size-toolchain.sh
. scripts/wasm-size-toolchain.sh
wasm_size_toolchain wasm32-unknown-unknown
size_rustflags="${RUSTFLAGS:+$RUSTFLAGS }$size_rustflags"
set -- "$@" "${size_cargo_flags[@]}"
build_started=$SECONDS
RUSTFLAGS=$size_rustflags "${cargo_build[@]}" build -q -p clerk-example-wasm-fetch \
  --target wasm32-unknown-unknown --profile wasm-release "$@"
build_seconds=$((SECONDS - build_started))
rm -rf "$OUT/pkg"
wasm-bindgen --target web --out-dir "$OUT/pkg" \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/clerk_example_wasm_fetch.wasm"
module=$OUT/pkg/clerk_example_wasm_fetch_bg.wasm
cp "$module" "$OUT/bindgen.wasm"

# The features rustc enables for wasm32-unknown-unknown by default.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)
wasm_opt=(--low-memory-unused -Oz --converge)
"$WASM_OPT" "${wasm_opt[@]}" --strip-debug --strip-producers "${features[@]}" -o "$module" "$OUT/bindgen.wasm"
# Node reads the web-target glue as an ES module.
echo '{ "type": "module" }' >"$OUT/pkg/package.json"

report() {
  local bytes gz
  bytes=$(wc -c <"$2")
  gz=$(gzip -9 -c "$2" | wc -c)
  printf '%-44s %8d bytes (%6.1f KiB), gzip -9 %7d bytes\n' "$1" "$bytes" \
    "$(awk -v b="$bytes" 'BEGIN { print b / 1024 }')" "$gz"
}
echo "examples/wasm-fetch module ($toolchain; wasm-bindgen $wb_version, $("$WASM_OPT" --version))"
echo "cargo build: ${build_seconds} s"
report "after wasm-bindgen" "$OUT/bindgen.wasm"
report "after wasm-opt -Oz (the module the hosts run)" "$module"
size=$(wc -c <"$module")
if [ "$size" -le "$GOAL" ]; then
  echo "goal <= $GOAL bytes: met, $((GOAL - size)) bytes to spare"
else
  echo "goal <= $GOAL bytes: NOT met, $((size - GOAL)) bytes over"
fi

if $breakdown; then
  # The same build, but with the name section kept (the profile strips it),
  # in a target directory of its own so neither build invalidates the other.
  RUSTFLAGS=$size_rustflags CARGO_PROFILE_WASM_RELEASE_STRIP=none "${cargo_build[@]}" build -q \
    -p clerk-example-wasm-fetch --target wasm32-unknown-unknown --profile wasm-release \
    --target-dir "$OUT/named-build" "$@"
  wasm-bindgen --target web --out-dir "$OUT/named" \
    "$OUT/named-build/wasm32-unknown-unknown/wasm-release/clerk_example_wasm_fetch.wasm"
  "$WASM_OPT" "${wasm_opt[@]}" -g --strip-producers "${features[@]}" -o "$OUT/named.wasm" \
    "$OUT/named/clerk_example_wasm_fetch_bg.wasm"
  node "$ROOT/crates/clerk-fetch/tests/wasm-breakdown.mjs" "$OUT/named.wasm" "${TOP:-20}"
fi
