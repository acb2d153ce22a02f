# Sourced by the scripts that run the project's code inside real hosts
# (crates/clerk-fetch/tests/run-hosts.sh, crates/clerk-wasi/tests/run-hosts.sh,
# scripts/conformance.sh): each installs one host's tools once, pinned, and
# does nothing when they are already there. Run from the repository root.

FETCH_HOSTS_DIR=crates/clerk-fetch/tests/hosts
WASMTIME_PY_VERSION=50.0.1

# The wasm32-unknown-unknown target, and the wasm-bindgen CLI of the exact
# version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
    rustup target add wasm32-unknown-unknown
  local version
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
  [ -n "$version" ] || { echo "host-tools.sh: no wasm-bindgen in Cargo.lock" >&2; return 1; }
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    echo "installing wasm-bindgen-cli $version (several minutes)"
    # Without --locked: with it the install fails on a webpki-roots pin.
    cargo install -q wasm-bindgen-cli --version "$version"
  fi
  wasm-bindgen --version
}

# workerd, Deno, Bun and binaryen (wasm-opt), pinned by package-lock.json,
# into crates/clerk-fetch/tests/hosts/node_modules. The lock file's copy in
# node_modules says what is installed: a changed lock file installs again.
# Sets WORKERD, DENO, BUN and WASM_OPT.
ensure_fetch_hosts() {
  command -v node >/dev/null || { echo "host-tools.sh: node (18 or later) is not installed" >&2; return 1; }
  if ! cmp -s "$FETCH_HOSTS_DIR/package-lock.json" "$FETCH_HOSTS_DIR/node_modules/.installed-package-lock.json"; then
    (cd "$FETCH_HOSTS_DIR" && npm ci --no-audit --no-fund &&
      cp package-lock.json node_modules/.installed-package-lock.json)
  fi
  local root=$PWD/$FETCH_HOSTS_DIR/node_modules
  WORKERD=$root/.bin/workerd
  DENO=$root/@deno/linux-x64-glibc/deno
  BUN=$root/@oven/bun-linux-x64/bin/bun
  WASM_OPT=$root/.bin/wasm-opt
  echo "node $(node --version), $("$DENO" --version | head -n 1), bun $("$BUN" --version)"
}

# The wasm32-wasip2 target, and a Python venv with the `wasmtime` package in
# $1 (default target/wasi-hosts). Sets WASI_PY to its python.
ensure_wasmtime_py() {
  local tools=${1:-target/wasi-hosts}
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    timeout 300 rustup target add wasm32-wasip2
  fi
  mkdir -p "$tools"
  tools=$(cd "$tools" && pwd)
  WASI_PY="$tools/venv/bin/python"
  if ! "$WASI_PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('wasmtime') != '$WASMTIME_PY_VERSION')" 2>/dev/null; then
    timeout 300 python3 -m venv "$tools/venv"
    timeout 600 "$WASI_PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "wasmtime==$WASMTIME_PY_VERSION"
  fi
  echo "wasmtime (Python) $("$WASI_PY" -c "import importlib.metadata as m; print(m.version('wasmtime'))")"
}
