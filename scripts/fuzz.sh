#!/usr/bin/env bash
# Builds the fuzz targets in Fuzz/ (libFuzzer + AddressSanitizer) and runs each one for a
# bounded time over a copy of its seed corpus, so new inputs never land in the repository.
#
#   bash scripts/fuzz.sh [seconds-per-target] [target...]      (default: 30 s, every target)
#   bash scripts/fuzz.sh 600 FuzzTar                           # one reader, longer
#
# Exits non-zero if any target crashed (a trap, a sanitizer report, a timeout of 10 s or more
# than 1 GiB of memory), after printing the reproducer. Set SINDRI_FUZZ_KEEP=1 to keep the
# working folder (the grown corpus and the crash files).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-30}"
shift || true
cd "$here/Fuzz"

case "$(basename "$here" | tr '[:upper:]' '[:lower:]')" in
    fuzz)
        # SwiftPM names a path package after its folder: a checkout named "fuzz" collides
        # with this nested package.
        echo "fuzz: the repository folder must not be named 'fuzz' (it clashes with the Fuzz/ package)" >&2
        exit 1 ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/sindri-fuzz.XXXXXX")"
if [ "${SINDRI_FUZZ_KEEP:-0}" = 1 ]; then
    echo "fuzz: working folder $work (kept)"
else
    trap 'rm -rf "$work"' EXIT
fi

# Every Swift module gets the sanitizers, so the readers are instrumented, not only the targets.
build=(swift build -c release -Xswiftc -sanitize=fuzzer,address)
echo "fuzz: building the targets (${build[*]})"
start=$(date +%s)
if ! "${build[@]}" >"$work/build.log" 2>&1; then
    grep -v '^\[' "$work/build.log" >&2
    echo "fuzz: the build failed" >&2
    exit 1
fi
bin="$("${build[@]}" --show-bin-path)"
echo "fuzz: built in $(( $(date +%s) - start )) s"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for dir in Corpus/*/; do targets+=("$(basename "$dir")"); done
fi

failed=()
for target in "${targets[@]}"; do
    test -x "$bin/$target" || { echo "fuzz: no target named $target" >&2; exit 64; }
    mkdir -p "$work/$target/corpus" "$work/$target/crashes"
    cp -R "Corpus/$target/." "$work/$target/corpus/"
    log="$work/$target/log"
    status=0
    # TMPDIR: a target's own temporary files stay in the working folder, removed even after a crash.
    TMPDIR="$work/$target" "$bin/$target" "$work/$target/corpus" \
        -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
        -artifact_prefix="$work/$target/crashes/" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    edges="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
    if [ "$status" -eq 0 ]; then
        echo "fuzz: $target: ${seconds} s, ${runs:-0} inputs, ${edges:-?} edges covered, no crash"
    else
        failed+=("$target")
        echo "fuzz: $target: CRASHED (exit $status) after ${runs:-?} inputs; the fuzzer's report:"
        grep -v '^#[0-9]' "$log" | tail -60
        for crash in "$work/$target/crashes/"*; do
            [ -f "$crash" ] || continue
            echo "fuzz: reproducer $(basename "$crash") ($(wc -c <"$crash") bytes), base64:"
            base64 -w 100 "$crash" | head -200
            echo "fuzz: replay with: base64 -d > crash.bin, then Fuzz/.build/release/$target crash.bin"
        done
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashed: ${failed[*]}" >&2
    exit 1
fi
