#!/usr/bin/env bash
# Fuzzes every target for a while; exits non-zero if any of them crashed.
#
#   bash fuzz/run.sh [seconds]      # seconds per target, default 30
#
# Steps: install cargo-fuzz if it is missing, seed the corpora
# (fuzz/seed.sh), build, replay fuzz/regressions/<target>-*, then run each
# target for `seconds` with libFuzzer's -max_total_time. Targets run one
# after the other, one process each. A crash leaves its input in
# fuzz/artifacts/<target>/ and the run goes on to the next target; the exit
# status is 1 if anything crashed.
#
# Environment:
#   FUZZ_TOOLCHAIN           rustup toolchain, default nightly.
#   FUZZ_ARGS                extra libFuzzer arguments, e.g. "-jobs=2".
set -uo pipefail

SECONDS_PER_TARGET="${1:-30}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || (( SECONDS_PER_TARGET < 1 )); then
    echo "usage: $0 [seconds per target, default 30]" >&2
    exit 2
fi
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
TARGETS=(response_parser request_builder mock_handler)
cd "$FUZZ_DIR" || exit 2

if ! cargo "+$TOOLCHAIN" --version >/dev/null 2>&1; then
    echo "run.sh: the $TOOLCHAIN toolchain is missing (rustup toolchain install $TOOLCHAIN)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 2
fi

bash "$FUZZ_DIR/seed.sh" || exit 2

for target in "${TARGETS[@]}"; do
    cargo "+$TOOLCHAIN" fuzz build "$target" || exit 2
done

failed=()
summary=()
for target in "${TARGETS[@]}"; do
    # Known crashing inputs first: a fixed bug must stay fixed.
    shopt -s nullglob
    regressions=("$FUZZ_DIR"/regressions/"$target"-*)
    shopt -u nullglob
    if (( ${#regressions[@]} > 0 )); then
        echo "=== $target: replaying ${#regressions[@]} regression input(s)"
        if ! cargo "+$TOOLCHAIN" fuzz run "$target" "${regressions[@]}"; then
            failed+=("$target (regression replay)")
        fi
    fi

    echo "=== $target: fuzzing for ${SECONDS_PER_TARGET}s"
    dict=()
    [[ -f "$FUZZ_DIR/dict/$target.dict" ]] && dict=("-dict=$FUZZ_DIR/dict/$target.dict")
    log="$(mktemp)"
    # shellcheck disable=SC2086 # FUZZ_ARGS is split on purpose.
    cargo "+$TOOLCHAIN" fuzz run "$target" "$FUZZ_DIR/corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 "${dict[@]}" ${FUZZ_ARGS:-} \
        2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')"
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
    rm -f "$log"
    if (( status != 0 )); then
        failed+=("$target (exit $status, see fuzz/artifacts/$target/)")
    fi
    summary+=("$target: exit $status, ${execs:-?} execs in ${SECONDS_PER_TARGET}s; ${done_line:-no DONE line}")
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} > 0 )); then
    echo "=== FAILED:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "=== all targets ran ${SECONDS_PER_TARGET}s without a crash"
