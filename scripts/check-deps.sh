#!/usr/bin/env bash
# Dependency hygiene for the workspace (fuzz/ is a workspace of its own and
# is not checked here).
#
#   bash scripts/check-deps.sh
#
# 1. cargo-deny (configured by deny.toml): licences, bans (wildcards,
#    duplicate versions) and sources (crates.io only, no git). The advisories
#    check is not run: its database is fetched from GitHub, which this
#    project's machines and CI cannot reach.
# 2. Its own check that no crate is in the graph at two semver-incompatible
#    versions (different major, or different minor for 0.x, or different
#    patch for 0.0.x) unless ACCEPTED below gives the reason. Every platform,
#    every feature, normal, build and dev dependencies: what `cargo tree -d`
#    reports. The accepted reasons are printed.
#
# Needs cargo-deny: `cargo install cargo-deny --locked` (about 3.5 minutes
# on a 2-core machine). Exits 1 when a check fails, 2 when a tool is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# One line per accepted duplicate: the crate, its incompatible versions as
# compatibility keys in ascending order (major, or 0.minor), then `|` and
# the reason. Investigate with
#   cargo tree --workspace --all-features --target all -e normal,build,dev -i <crate>@<version>
ACCEPTED=(
    "getrandom 0.2 0.4|ring 0.17.14 (rustls' crypto provider, a normal dependency of clerk-hyper) requires getrandom ^0.2.10; 0.4 comes only with clerk-core's dev-dependency proptest 1.12, through rand 0.10 and tempfile 3. Only test builds have both."
    "syn 2 3|zerocopy-derive 0.8 (criterion 0.8 -> ciborium 0.2 -> half 2.7 -> zerocopy 0.8), a proc macro still on syn 2, comes only with clerk-bench's dev-dependency criterion; every other proc macro (serde_derive, tokio-macros, clap_derive) is on syn 3. Build time only, benches only."
    "wasi 0.11 0.14|wasi 0.11 (WASI preview 1 bindings) comes only through getrandom 0.2 (ring, the TLS of clerk-hyper and rcgen) when target_os = \"wasi\"; clerk-wasi needs 0.14 (WASI 0.2 bindings with wasi:http), and only for wasm32-wasip2. No build links both: ring and tokio's sockets are not built for wasm32-wasip2, and clerk-wasi compiles to nothing elsewhere."
    "windows-sys 0.52 0.61|ring 0.17.14 uses windows-sys 0.52 only on aarch64 Windows (CPU feature detection); tokio, mio, socket2, errno and rustix use 0.61. Only aarch64 Windows builds have both."
)

if ! cargo deny --version >/dev/null 2>&1; then
    echo "check-deps: cargo-deny is missing (cargo install cargo-deny --locked)" >&2
    exit 2
fi

failed=0

echo "==> cargo deny --workspace check licenses bans sources"
if ! cargo deny --workspace check licenses bans sources; then
    failed=1
fi

echo "==> crates at two incompatible versions"
# `name vX.Y.Z` for every duplicated crate version (roots of `cargo tree -d`).
tree="$(cargo tree --workspace --all-features --target all -e normal,build,dev \
    --duplicates --prefix none --depth 0)"

# Prints `name key1 key2 ...` (keys sorted, one line per crate) for every crate
# whose versions fall under more than one compatibility key.
duplicates="$(printf '%s\n' "$tree" | awk '
    $2 ~ /^v[0-9]+\.[0-9]+\.[0-9]+/ {
        split(substr($2, 2), v, /[.+-]/)
        if (v[1] > 0) key = v[1]
        else if (v[2] > 0) key = "0." v[2]
        else key = "0.0." v[3]
        if (!((($1) SUBSEP key) in seen)) {
            seen[$1, key] = 1
            keys[$1] = keys[$1] " " key
            count[$1]++
        }
    }
    END {
        for (name in count) if (count[name] > 1) print name keys[name]
    }' | while read -r name keys; do
        # Sort the keys as versions so the line matches ACCEPTED.
        printf '%s %s\n' "$name" "$(printf '%s\n' $keys | sort -V | tr '\n' ' ' | sed 's/ $//')"
    done | sort)"

declare -A reason_for=()
for entry in "${ACCEPTED[@]}"; do
    reason_for["${entry%%|*}"]="${entry#*|}"
done

if [[ -z "$duplicates" ]]; then
    echo "no crate is at two incompatible versions"
else
    while read -r line; do
        if [[ -n "${reason_for[$line]+set}" ]]; then
            echo "accepted: $line"
            echo "    ${reason_for[$line]}"
            unset "reason_for[$line]"
        else
            echo "NOT ACCEPTED: $line (add it to ACCEPTED in $0 with the reason, or remove the duplicate)" >&2
            failed=1
        fi
    done <<<"$duplicates"
fi
for stale in "${!reason_for[@]}"; do
    # Not a failure: a member that brings it (e.g. clerk-bench) may be absent.
    echo "note: accepted but not in the graph now: $stale"
done

if (( failed )); then
    echo "check-deps: FAILED" >&2
    exit 1
fi
echo "check-deps: ok"
