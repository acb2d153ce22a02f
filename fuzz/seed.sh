#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with the seeds of fuzz/seeds/<target>/.
#
# When the spec is at hand (SPEC, default
# /work/shared/spec/sign-in-tokens.openapi.yml) and python3 has PyYAML, the
# seeds are first regenerated from its response examples by gen_seeds.py
# (deterministic: an unchanged spec gives unchanged files). Otherwise the
# committed seeds are used as they are.
#
#   bash fuzz/seed.sh            # regenerate if possible, then copy
#   bash fuzz/seed.sh --no-regen # copy the committed seeds only
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPEC="${SPEC:-/work/shared/spec/sign-in-tokens.openapi.yml}"
TARGETS=(response_parser request_builder mock_handler)

if [[ "${1:-}" != "--no-regen" ]]; then
    if [[ -f "$SPEC" ]] && python3 -c 'import yaml' 2>/dev/null; then
        python3 "$FUZZ_DIR/gen_seeds.py" "$SPEC" "$FUZZ_DIR/seeds"
    else
        echo "seed.sh: spec or PyYAML not available; using the committed seeds" >&2
    fi
fi

for target in "${TARGETS[@]}"; do
    src="$FUZZ_DIR/seeds/$target"
    dst="$FUZZ_DIR/corpus/$target"
    if [[ ! -d "$src" ]]; then
        echo "seed.sh: no seeds in $src" >&2
        exit 1
    fi
    mkdir -p "$dst"
    # Seeds keep their names, so copying again only refreshes them; corpus
    # entries libFuzzer added (named by their SHA-1) are left alone.
    cp -f "$src"/* "$dst"/
    echo "seed.sh: $(ls "$src" | wc -l) seeds -> $dst ($(ls "$dst" | wc -l) files)"
done
