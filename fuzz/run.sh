#!/usr/bin/env bash
# Runs the fuzz targets for a bounded time each, one after the other.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 600 s, every target)
#
# Keeps what each run learns in corpus/<target>/ (minimized with `cargo fuzz
# cmin` afterwards, committed), reads the hand-written seeds in seeds/<target>/,
# writes crashing inputs to artifacts/<target>/ and a log per target to
# artifacts/<target>.log (both git-ignored). Exits non-zero when a target
# crashed. See README.md beside this script.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-600}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "run.sh: SECONDS_PER_TARGET must be a positive whole number, got '$seconds'" >&2
    exit 2
fi
shift || true
all=(intake langid html enrich)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for target in "${targets[@]}"; do
    if [ ! -f "fuzz_targets/$target.rs" ]; then
        echo "run.sh: no fuzz target '$target' (have: ${all[*]})" >&2
        exit 2
    fi
done

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# No sanitizer: the crates forbid `unsafe`, so what is left to find is panics,
# aborts, timeouts and memory blow-ups, which libFuzzer sees without one. It
# also means no unstable rustc flag, so a stable toolchain builds the targets.
# Four codegen units: the default of one makes the build far slower on two
# cores.
fuzz=(-s none --codegen-units 4)

echo "== building the fuzz targets"
start=$(date +%s)
cargo fuzz build "${fuzz[@]}"
echo "== built in $(($(date +%s) - start)) s"

crashed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" artifacts
    log="artifacts/$target.log"
    args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1)
    case $target in
        intake | langid) args+=(-dict=json.dict) ;;
    esac
    echo "== $target: fuzzing for $seconds s (log: fuzz/$log)"
    start=$(date +%s)
    status=ok
    if ! cargo fuzz run "${fuzz[@]}" "$target" "corpus/$target" "seeds/$target" -- "${args[@]}" >"$log" 2>&1; then
        status=CRASHED
        crashed+=("$target")
        grep -E 'panicked at|^SUMMARY|Test unit written to|==ERROR' "$log" | head -n 8 || true
    fi
    elapsed=$(($(date +%s) - start))
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
    echo "== $target: minimizing the corpus"
    # A set cover keeps about 40 % fewer files than the default merge.
    cargo fuzz cmin "${fuzz[@]}" "$target" "corpus/$target" -- -set_cover_merge=1 >>"$log" 2>&1 ||
        echo "run.sh: cmin of $target failed, corpus left as it was (see fuzz/$log)" >&2
    files=$(find "corpus/$target" -type f | wc -l)
    kib=$(du -s --apparent-size -k "corpus/$target" | cut -f1)
    summary+=("$target: $status, fuzzed ${elapsed} s, ${execs:-?} execs, corpus $files files ${kib} KiB")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#crashed[@]} -gt 0 ]; then
    echo "run.sh: crashed: ${crashed[*]}; inputs in fuzz/artifacts/<target>/" >&2
    exit 1
fi
