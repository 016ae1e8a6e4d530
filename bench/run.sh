#!/usr/bin/env bash
# The npm-logdoc benchmark: generates job logs with the project's own generator
# (examples/genlog.rs), analyses them with the full built-in rule set, and runs
# ripgrep on the same file in the same run (the fair peer: `rg -c -f` with the
# ASCII-word-boundary pattern set, see shared/bench/README.md).
#
#   bench/run.sh                 # 10 MB, 100 MB, 1 GiB, rules scaling, zip
#   SIZES="10M 100M" bench/run.sh
#   RUNS=5 RG=/path/to/rg bench/run.sh
#   SKIP_ZIP=1 bench/run.sh
#
# Prints a markdown table: wall time (median of RUNS, file in page cache),
# throughput, peak RSS, and the npm-logdoc/ripgrep time ratio. Speed is only
# ever compared within one run on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/bench/data
SIZES=${SIZES:-"10M 100M 1G"}
RUNS=${RUNS:-3}
SCALE_SIZE=${SCALE_SIZE:-$(echo "$SIZES" | awk '{print $NF}')}
PATTERNS=${PATTERNS:-$ROOT/../shared/bench/patterns.ascii-b.txt}
mkdir -p "$DATA"

# --- tools -------------------------------------------------------------------
apt_install() {
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null
    fi
}
[ -x /usr/bin/time ] || apt_install time
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 1; }
RG=${RG:-$(command -v rg || true)}
if [ -z "$RG" ]; then
    apt_install ripgrep || true
    RG=$(command -v rg || true)
fi
if [ -z "$RG" ]; then
    cargo install ripgrep --root "$ROOT/bench/data/tools" >/dev/null
    RG=$ROOT/bench/data/tools/bin/rg
fi
if [ ! -f "$PATTERNS" ]; then
    echo "bench: $PATTERNS not found (set PATTERNS=...; it is shared/bench/patterns.ascii-b.txt)" >&2
    exit 1
fi
command -v zip >/dev/null || apt_install zip || true

cargo build --release --locked --bin npm-logdoc --example genlog >&2
BIN=$ROOT/target/release/npm-logdoc
GEN=$ROOT/target/release/examples/genlog

# --- helpers -------------------------------------------------------------------
# Runs a command RUNS times; prints "median_wall_seconds max_rss_kib".
measure() {
    local walls=() rss=0 i t0 t1 r
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        /usr/bin/time -f %M -o "$DATA/.rss" "$@" >/dev/null 2>"$DATA/.err" || {
            echo "bench: failed: $*" >&2
            cat "$DATA/.err" >&2
            exit 1
        }
        t1=$EPOCHREALTIME
        walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')")
        r=$(tail -n1 "$DATA/.rss")
        ((r > rss)) && rss=$r
    done
    printf '%s\n' "${walls[@]}" | sort -g | awk -v rss="$rss" '{a[NR] = $1} END {printf "%.3f %d\n", a[int((NR + 1) / 2)], rss}'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
warm() { cat "$1" >/dev/null; }

log_for() {
    local f=$DATA/job-$1.log
    if [ ! -s "$f" ]; then
        "$GEN" --size "$1" --seed 1 -o "$f.tmp" >&2
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# --- machine ---------------------------------------------------------------------
echo "## npm-logdoc benchmark"
echo
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
echo "- npm-logdoc $("$BIN" --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo '?')), $("$RG" --version | head -n1), rules: $("$BIN" patterns list --json | grep -c '"id"') built-in"
echo "- median of $RUNS runs, file in page cache; ripgrep: \`rg -c -f patterns.ascii-b.txt FILE\` ($(grep -c . "$PATTERNS") regexes)"
echo

# --- size scaling against ripgrep ------------------------------------------------------
echo "| log | npm-logdoc wall | npm-logdoc MB/s | npm-logdoc peak RSS | rg wall | rg MB/s | rg peak RSS | ratio npm-logdoc/rg |"
echo "|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
    f=$(log_for "$size")
    bytes=$(stat -L -c %s "$f")
    warm "$f"
    read -r lt lr < <(measure "$BIN" analyze "$f" --format json)
    read -r rt rr < <(measure "$RG" -c -f "$PATTERNS" "$f")
    echo "| $size ($(awk -v b="$bytes" 'BEGIN {printf "%.0f MB", b / 1e6}')) | ${lt} s | $(mbps "$bytes" "$lt") | $(mib "$lr") MiB | ${rt} s | $(mbps "$bytes" "$rt") | $(mib "$rr") MiB (mmap) | **$(ratio "$lt" "$rt")** |"
done
echo

# --- rule-count scaling -------------------------------------------------------------------
# x2 renamed: a renamed copy of every built-in rule (same literals: de-duplicated).
# x2 / x4 distinct: copies whose literals are all new strings (case-swapped,
# reversed), so the prefilter holds twice / four times the rule literals.
f=$(log_for "$SCALE_SIZE")
bytes=$(stat -L -c %s "$f")
warm "$f"
rules_dir() {
    local dir=$DATA/rules-$1
    rm -rf "$dir"
    cargo run --release --quiet --example benchrules -- "$ROOT/patterns" "$dir" "$2" >&2
    echo "$dir"
}
read -r base _ < <(measure "$BIN" analyze "$f" --format json)
echo "| rules ($SCALE_SIZE log) | rule count | wall | time ratio to built-in |"
echo "|---|---|---|---|"
echo "| built-in | $("$BIN" patterns list --json | grep -c '"id"') rules | ${base} s | 1.00 |"
for variant in "x2-renamed renamed" "x2-distinct swapcase" "x4-distinct swapcase,reverse,reverse-swapcase"; do
    set -- $variant
    dir=$(rules_dir "$1" "$2")
    read -r t _ < <(measure "$BIN" analyze "$f" --format json --patterns "$dir")
    n=$("$BIN" patterns list --json --patterns "$dir" | grep -c '"id"')
    echo "| $1 | $n rules | ${t} s | **$(ratio "$t" "$base")** |"
done
echo

# --- zip: the largest log as a run-log archive ------------------------------------------
if [ -z "${SKIP_ZIP:-}" ] && command -v zip >/dev/null; then
    z=$DATA/logs-$SCALE_SIZE.zip
    if [ ! -s "$z" ]; then
        stage=$DATA/zip-stage
        rm -rf "$stage" && mkdir -p "$stage"
        ln "$f" "$stage/1_release.txt" 2>/dev/null || cp "$f" "$stage/1_release.txt"
        (cd "$stage" && zip -q -1 "$z.tmp" 1_release.txt) && mv "$z.tmp" "$z"
        rm -rf "$stage"
    fi
    warm "$z"
    read -r zt zr < <(measure "$BIN" analyze "$z" --format json)
    echo "| zip ($SCALE_SIZE log, deflate) | archive size | wall | MB/s (inflated) | peak RSS |"
    echo "|---|---|---|---|---|"
    echo "| $(basename "$z") | $(awk -v b="$(stat -c %s "$z")" 'BEGIN {printf "%.0f MB", b / 1e6}') | ${zt} s | $(mbps "$bytes" "$zt") | $(mib "$zr") MiB |"
fi
