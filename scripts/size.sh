#!/usr/bin/env bash
# Size of clerk-core in a wasm32 bundle, and the size of its dependency tree.
#
#   scripts/size.sh
#
# 1. Builds crates/clerk-bench/wasm-size (a cdylib that builds and parses both
#    sign-in-token operations with clerk-core; its own workspace, release
#    profile: opt-level "z", LTO, panic = "abort", codegen-units = 1, strip)
#    for wasm32-unknown-unknown into target/wasm-size, with the workspace's
#    Cargo.lock so the versions are the workspace's, and prints its size.
#    Where node is installed, it first runs the module once (check.mjs) to show
#    that the bytes measured work.
# 2. Counts clerk-core's normal (non-dev, non-build) dependencies: the unique
#    package names and versions in `cargo tree -p clerk-core -e normal`, less
#    clerk-core itself. Proc-macro crates would count too (`-e normal` keeps
#    them); build dependencies would not.
#
# Targets: wasm <= 180 KB (184,320 bytes); <= 12 crates. Exits non-zero when a
# target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

crate=crates/clerk-bench/wasm-size
target_dir=target/wasm-size
wasm=$target_dir/wasm32-unknown-unknown/release/clerk_wasm_size.wasm
max_wasm=$((180 * 1024))
max_crates=12

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown >/dev/null
fi

cp Cargo.lock "$crate/Cargo.lock"
cargo build --quiet --release --target wasm32-unknown-unknown \
  --manifest-path "$crate/Cargo.toml" --target-dir "$target_dir"
wasm_bytes=$(wc -c < "$wasm")
if command -v node >/dev/null; then
  node "$crate/check.mjs" "$wasm"
fi

tree=$(cargo tree -p clerk-core -e normal --prefix none | sed 's/ (\*)//' | sort -u)
crates=$(($(printf '%s\n' "$tree" | wc -l) - 1))

printf 'wasm32 cdylib (build + parse of create and revoke): %d bytes (%.1f KiB) — target <= %d bytes\n' \
  "$wasm_bytes" "$(awk -v b="$wasm_bytes" 'BEGIN { print b / 1024 }')" "$max_wasm"
printf '  %s\n' "$wasm"
printf 'clerk-core normal dependencies: %d crates (clerk-core itself not counted) — target <= %d\n' \
  "$crates" "$max_crates"
printf '%s\n' "$tree" | grep -v '^clerk-core ' | sed 's/^/  /'

status=0
if [ "$wasm_bytes" -gt "$max_wasm" ]; then
  echo "MISSED: wasm is $((wasm_bytes - max_wasm)) bytes over the target"; status=1
fi
if [ "$crates" -gt "$max_crates" ]; then
  echo "MISSED: $((crates - max_crates)) crates over the target"; status=1
fi
exit $status
