#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (not part of CI).
#
#   fuzz/run.sh                  # each target for 300 s
#   FUZZ_SECONDS=60 fuzz/run.sh normalize rule
#
# Targets: normalize (the line normaliser), zip (the run-log archive reader under
# small caps), rule (the rule loader), scan (the whole scan and diagnosis),
# markdown (the markdown report and the output of every format on any text).
# Seeds come from the repository (corpus logs, rules, zips built from them) into
# fuzz/corpus/<target>/ (gitignored); crashes land in fuzz/artifacts/<target>/.
# A crash found becomes a regression test (tests/robustness.rs) before it is fixed.
#
# cargo-fuzz drives libFuzzer, which needs nightly-only compiler flags. With only
# a stable toolchain, RUSTC_BOOTSTRAP=1 lets stable rustc accept them; the
# sanitizer is off (`-s none`), so a crash is a panic, an abort, a timeout or
# running out of memory, not an address-sanitizer report (the crate forbids
# `unsafe` anyway).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${FUZZ_SECONDS:-300}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(normalize zip rule scan markdown)
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz

seed() {
    local t=$1 dir=corpus/$1
    mkdir -p "$dir"
    case $t in
        normalize | scan | markdown)
            find ../corpus ../examples -name '*.log' | while read -r f; do
                head -c 65536 "$f" >"$dir/$(echo "$f" | tr '/' '_')"
            done
            ;;
        rule)
            find ../patterns -name '*.toml' | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
            ;;
        zip)
            if command -v zip >/dev/null; then
                local stage
                stage=$(mktemp -d)
                mkdir -p "$stage/release"
                head -c 4096 ../examples/release-e404.log >"$stage/1_release.txt"
                head -c 2048 ../examples/release-e404.log >"$stage/release/1_Set up job.txt"
                tail -c 2048 ../examples/release-e404.log >"$stage/release/7_Publish.txt"
                (cd "$stage" && zip -q -r "$OLDPWD/$dir/whole-and-steps.zip" . && zip -q -0 "$OLDPWD/$dir/stored.zip" 1_release.txt)
                rm -rf "$stage"
            fi
            ;;
    esac
}

for t in "${TARGETS[@]}"; do
    seed "$t"
    echo "== $t: ${SECONDS_EACH}s"
    cargo fuzz run -O -s none "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
        grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|.*panicked at|artifact_prefix|Test unit written)' || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* >/dev/null 2>&1; then
        echo "!! $t: found inputs in fuzz/artifacts/$t/"
    fi
done
