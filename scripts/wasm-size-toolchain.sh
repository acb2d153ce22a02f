# Sourced by crates/clerk-fetch/tests/size.sh and crates/clerk-wasi/tests/size.sh:
# the toolchain and flags of a WebAssembly size build, the same for both.
#
#   wasm_size_toolchain TARGET
#
# sets `cargo_build` (the cargo command, as an array), `size_rustflags`,
# `size_cargo_flags` (extra cargo flags, as an array) and `toolchain` (a line
# for the report). By default: nightly (CLERK_WASM_NIGHTLY, default
# `nightly`), rebuilding std for size with panics that abort at once and no
# panic locations; its rust-src and TARGET are installed when missing.
# CLERK_WASM_STABLE=1: the default toolchain and the profile alone.
wasm_size_toolchain() {
  local target=$1
  cargo_build=(cargo)
  size_rustflags=""
  size_cargo_flags=()
  if [ "${CLERK_WASM_STABLE:-0}" = 1 ]; then
    toolchain="$(rustc --version) (stable path: profile only)"
    return
  fi
  # Pinned: the size figures in BENCHMARKS.md are reproducible with it, and
  # it is a nightly whose wasm32-wasip2 standard library the registries serve
  # (the 2026-05-20 one they have not).
  local nightly=${CLERK_WASM_NIGHTLY:-nightly-2026-05-21}
  command -v rustup >/dev/null || {
    echo "size.sh: the nightly build needs rustup (or set CLERK_WASM_STABLE=1)" >&2
    exit 1
  }
  rustup toolchain list | grep -q "^$nightly" ||
    rustup toolchain install "$nightly" --profile minimal
  rustup component list --toolchain "$nightly" --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain "$nightly"
  rustup target list --toolchain "$nightly" --installed | grep -qx "$target" ||
    rustup target add "$target" --toolchain "$nightly"
  cargo_build=(cargo "+$nightly")
  # With --target, RUSTFLAGS reach the module's crates only, not build
  # scripts or proc macros.
  size_rustflags="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
  size_cargo_flags=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
  toolchain="$(rustc "+$nightly" --version), -Zbuild-std, -Cpanic=immediate-abort"
}
