#!/usr/bin/env bash
# errscope against its peers on one generated corpus, side by side, in the same run.
#   bench/run.sh [SIZE]        SIZE defaults to 512M (K/M/G suffixes)
# Environment: BENCH_DIR (default /tmp/errscope-bench; no spaces), SEED (42), RUNS (5),
# SLICE (16M: the prefix of the corpus that the slow mtail peer reads), ERRSCOPE (the
# binary to measure, default target/release/errscope).
# Prints a Markdown report and keeps it, with hyperfine's JSON, in $BENCH_DIR/results/.
set -euo pipefail

SIZE=${1:-512M}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
SLICE=${SLICE:-16M}
BENCH_DIR=${BENCH_DIR:-/tmp/errscope-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=$BENCH_DIR/results
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.csv "$OUT"/*.txt "$OUT"/check-*.md

note() { echo "bench: $*" >&2; }
for tool in rg:ripgrep jq:jq mtail:mtail hyperfine:hyperfine taskset:util-linux; do
  command -v "${tool%%:*}" >/dev/null || { note "missing ${tool%%:*}: apt-get install -y ${tool#*:}"; exit 1; }
done
[ -x /usr/bin/time ] || { note "missing /usr/bin/time: apt-get install -y time"; exit 1; }

# ---- build: errscope (may be mid-edit: then its rows are skipped) and the generator
ES=${ERRSCOPE:-$ROOT/target/release/errscope}
if ! cargo build --release >&2; then
  note "NOTE: cargo build --release failed; errscope rows use whatever binary is there, if any"
fi
GEN=$ROOT/target/release/examples/gencorpus
if ! cargo build --release --example gencorpus >&2; then
  # The generator is std-only, so it builds on its own even when the crate does not.
  GEN=$BENCH_DIR/gencorpus
  rustc --edition 2021 -C opt-level=3 -o "$GEN" bench/gencorpus.rs
fi

# ---- corpus, split corpus and slice, cached by size, seed and generator source
KEY=s$SEED-$(sha1sum bench/gencorpus.rs | cut -c1-8)
CORPUS=$BENCH_DIR/corpus-$SIZE-$KEY.log
EXPECTED=$BENCH_DIR/corpus-$SIZE-$KEY.expected.csv
PARTS=$BENCH_DIR/parts-$SIZE-$KEY
SLICE_LOG=$BENCH_DIR/slice-$SLICE-$KEY.log
SLICE_EXPECTED=$BENCH_DIR/slice-$SLICE-$KEY.expected.csv
gen() { # gen SIZE EXPECTED OUTPUT GENERATOR-OUTPUT-FLAGS...: generate unless cached
  local size=$1 expected=$2 output=$3
  shift 3
  [ -s "$expected" ] && [ -e "$output" ] && return
  note "generating $size corpus ($*)"
  "$GEN" --size "$size" --seed "$SEED" --expected "$expected.tmp" "$@" 2>"$expected.stats"
  mv "$expected.tmp" "$expected"
}
gen "$SIZE" "$EXPECTED" "$CORPUS" --out "$CORPUS"
gen "$SIZE" "$PARTS.expected.csv" "$PARTS/part-07.log" --files 8 --out-dir "$PARTS"
gen "$SLICE" "$SLICE_EXPECTED" "$SLICE_LOG" --out "$SLICE_LOG"
# The key-rich corpus: a third of the ordinary lines application logs using the
# vendors' key names as their own (gencorpus --key-rich).
RICH=$BENCH_DIR/rich-$SIZE-$KEY.log
RICH_EXPECTED=$BENCH_DIR/rich-$SIZE-$KEY.expected.csv
gen "$SIZE" "$RICH_EXPECTED" "$RICH" --key-rich --out "$RICH"
# A gzip file: one stream, read on one thread (a $GZ_SIZE corpus, gzip -6).
GZ_SIZE=${GZ_SIZE:-64M}
GZ_LOG=$BENCH_DIR/corpus-$GZ_SIZE-$KEY.log
GZ_EXPECTED=$BENCH_DIR/corpus-$GZ_SIZE-$KEY.expected.csv
gen "$GZ_SIZE" "$GZ_EXPECTED" "$GZ_LOG" --out "$GZ_LOG"
[ -s "$GZ_LOG.gz" ] || gzip -6 -k -c "$GZ_LOG" >"$GZ_LOG.gz"
# The corpus stands for archived logs: settled files, which `scan` maps (files
# written within the last minute are read, see src/input/mapped.rs). A freshly
# generated corpus is dated back so the first run measures what later ones do;
# the `--no-mmap` row below measures the read path.
touch -d '-2 minutes' "$CORPUS" "$PARTS"/part-*.log "$SLICE_LOG" "$RICH"
BYTES=$(stat -c %s "$CORPUS")
RICH_BYTES=$(stat -c %s "$RICH")
GZ_BYTES=$(stat -c %s "$GZ_LOG")
SLICE_BYTES=$(stat -c %s "$SLICE_LOG")
LITS=$BENCH_DIR/literals.txt
printf '%s\n' error_code error_message statusCode correlationId exception http_code \
  '"response"' '\"response\"' >"$LITS"

# ---- measurements
ROWS=() # name<TAB>bytes read<TAB>median seconds<TAB>command
bench() { # bench NAME BYTES COMMAND
  local json
  json=$OUT/$(echo "$1" | tr -c 'a-zA-Z0-9\n' '_').json
  note "measuring: $1"
  hyperfine --warmup 1 --runs "$RUNS" --output=pipe --export-json "$json" "$3" >&2
  ROWS+=("$1"$'\t'"$2"$'\t'"$(jq '.results[0].median' "$json")"$'\t'"$3")
}

bench "cat (floor)" "$BYTES" "cat $CORPUS > /dev/null"
bench "wc -l" "$BYTES" "wc -l $CORPUS"
bench "rg -c -F (8 literals)" "$BYTES" "rg -c -F -f $LITS $CORPUS"

HAVE_ES=0
if [ -x "$ES" ] && "$ES" scan --format csv "$SLICE_LOG" >"$OUT/probe.csv" 2>&1 &&
  head -n 1 "$OUT/probe.csv" | grep -q '^vendor,code,status,count'; then
  HAVE_ES=1
  bench "errscope scan" "$BYTES" "$ES scan --format csv $CORPUS"
else
  note "NOTE: $ES is missing or 'errscope scan --format csv' does not print its CSV; errscope rows skipped"
fi
bench "rg -c -F -j1, taskset -c 0" "$BYTES" "taskset -c 0 rg -j1 -c -F -f $LITS $CORPUS"
if [ "$HAVE_ES" = 1 ]; then
  bench "errscope --threads 1, taskset -c 0" "$BYTES" \
    "taskset -c 0 $ES scan --threads 1 --format csv $CORPUS"
  bench "errscope --threads 1 --no-mmap, taskset -c 0" "$BYTES" \
    "taskset -c 0 $ES scan --threads 1 --no-mmap --format csv $CORPUS"
  bench "errscope --threads 1 --fixed-anchors, taskset -c 0" "$BYTES" \
    "taskset -c 0 $ES scan --threads 1 --fixed-anchors --format csv $CORPUS"
  bench "errscope --threads 2, one file" "$BYTES" "$ES scan --threads 2 --format csv $CORPUS"
fi
bench "key-rich: rg -c -F (8 literals)" "$RICH_BYTES" "rg -c -F -f $LITS $RICH"
if [ "$HAVE_ES" = 1 ]; then
  bench "key-rich: errscope --threads 1, taskset -c 0" "$RICH_BYTES" \
    "taskset -c 0 $ES scan --threads 1 --format csv $RICH"
  bench "key-rich: errscope --threads 2, one file" "$RICH_BYTES" "$ES scan --threads 2 --format csv $RICH"
fi
bench "gz: zcat | rg -c -F ($GZ_SIZE)" "$GZ_BYTES" "zcat $GZ_LOG.gz | rg -c -F -f $LITS"
if [ "$HAVE_ES" = 1 ]; then
  bench "gz: errscope ($GZ_SIZE)" "$GZ_BYTES" "$ES scan --format csv $GZ_LOG.gz"
fi
bench "rg -c -F, 8 files" "$BYTES" "rg -c -F -f $LITS $PARTS"
if [ "$HAVE_ES" = 1 ]; then
  bench "errscope --threads 1, 8 files" "$BYTES" "$ES scan --threads 1 --format csv $PARTS/part-*.log"
  bench "errscope, 8 files" "$BYTES" "$ES scan --format csv $PARTS/part-*.log"
fi
# See bench/count-errors.jq for what this hand-written pipeline can and cannot see.
JQ_CMD="rg -F -N -f $LITS $CORPUS | jq -R -r -f bench/count-errors.jq | sort | uniq -c"
bench "rg -F | jq | sort | uniq -c" "$BYTES" "$JQ_CMD"
MTAIL_CMD="mtail --one_shot --logs $SLICE_LOG --progs bench/mtail/"
bench "mtail --one_shot ($SLICE slice)" "$SLICE_BYTES" "$MTAIL_CMD"

# ---- correctness: counts against the generator's expected file
# csv4 FILE: vendor<TAB>code<TAB>status<TAB>count for each data row of a CSV whose first
# four columns are vendor,code,status,count (fields may be quoted; '#' lines skipped).
csv4() {
  awk 'NR > 1 && !/^#/ {
    n = 0; f = ""; q = 0
    for (i = 1; i <= length($0) && n < 4; i++) {
      c = substr($0, i, 1)
      if (q && c == "\"" && substr($0, i + 1, 1) == "\"") { f = f c; i++ }
      else if (c == "\"") q = !q
      else if (c == "," && !q) { col[++n] = f; f = "" }
      else f = f c
    }
    if (n < 4) col[++n] = f
    sub(/\r$/, "", col[4])
    print col[1] "\t" col[2] "\t" col[3] "\t" col[4]
  }' "$1"
}
# check NAME GOT.csv EXPECTED.csv: per-row table in $OUT/check-NAME.md, summary on stdout.
check() {
  awk -F'\t' -v rows="$OUT/check-$1.rows" '
    FNR == NR { want[$1 FS $2 FS $3] = $4; total += $4; next }
    { got[$1 FS $2 FS $3] += $4; counted += $4 }
    END {
      for (k in want) keys[k] = 1
      for (k in got) keys[k] = 1
      for (k in keys) {
        split(k, p, FS); w = want[k] + 0; g = got[k] + 0; nk++
        if (w == g) ok++
        printf "| %s | %s | %s | %d | %d | %s |\n", p[1], p[2], p[3], w, g, (w == g ? "match" : "MISMATCH") > rows
      }
      printf "%d of %d rows match; counted %d of %d expected bodies\n", ok, nk, counted, total
    }' <(csv4 "$3") <(csv4 "$2")
  { echo "| vendor | code | status | expected | got | |"; echo "|---|---|---|---|---|---|"
    sort -t'|' -k5,5nr "$OUT/check-$1.rows"; } >"$OUT/check-$1.md"
  rm -f "$OUT/check-$1.rows"
}
to_csv() { echo "vendor,code,status,count"; cat; }

CHECKS=()
if [ "$HAVE_ES" = 1 ]; then
  "$ES" scan --format csv "$CORPUS" >"$OUT/errscope.csv"
  CHECKS+=("errscope scan: $(check errscope "$OUT/errscope.csv" "$EXPECTED")")
  "$ES" scan --format csv "$PARTS"/part-*.log >"$OUT/errscope-parts.csv"
  CHECKS+=("errscope scan, 8 files: $(check errscope-parts "$OUT/errscope-parts.csv" "$PARTS.expected.csv")")
  "$ES" scan --format csv "$RICH" >"$OUT/errscope-rich.csv"
  CHECKS+=("errscope scan, key-rich: $(check errscope-rich "$OUT/errscope-rich.csv" "$RICH_EXPECTED")")
  "$ES" scan --format csv "$GZ_LOG.gz" >"$OUT/errscope-gz.csv"
  CHECKS+=("errscope scan, gz: $(check errscope-gz "$OUT/errscope-gz.csv" "$GZ_EXPECTED")")
  /usr/bin/time -f %M -o "$OUT/rss.txt" "$ES" scan --threads 1 --format csv "$CORPUS" >/dev/null
  RSS_KB=$(tail -n 1 "$OUT/rss.txt")
  /usr/bin/time -f %M -o "$OUT/rss2.txt" "$ES" scan --threads 2 --events "$CORPUS" >/dev/null
  RSS2_KB=$(tail -n 1 "$OUT/rss2.txt")
fi
bash -c "$JQ_CMD" | awk '{ n = $1; sub(/^ *[0-9]+ /, ""); print $0 "," n }' | to_csv >"$OUT/jq.csv"
CHECKS+=("rg | jq (bare and prefixed bodies only): $(check jq "$OUT/jq.csv" "$EXPECTED")")
bash -c "$MTAIL_CMD" 2>/dev/null | jq -r '.errscope_vendor_errors_total[0].LabelValues[]
  | (.Labels + [.Value.Value | tostring]) | join(",")' | to_csv >"$OUT/mtail.csv"
CHECKS+=("mtail ($SLICE slice): $(check mtail "$OUT/mtail.csv" "$SLICE_EXPECTED")")

# ---- report
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
row_mbps() { # row_mbps NAME: MB/s of that row, 0 when it was not measured
  local r name bytes med
  for r in "${ROWS[@]}"; do
    IFS=$'\t' read -r name bytes med _ <<<"$r"
    [ "$name" = "$1" ] && { mbps "$bytes" "$med"; return; }
  done
  echo 0
}
RG_MBPS=$(row_mbps "rg -c -F (8 literals)")
RICH_RG_MBPS=$(row_mbps "key-rich: rg -c -F (8 literals)")
GZ_RG_MBPS=$(row_mbps "gz: zcat | rg -c -F ($GZ_SIZE)")
ES_MBPS=$(row_mbps "errscope scan")
{
  echo "# errscope vs peers: $SIZE corpus, seed $SEED"
  echo
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
  echo "- tools: $(rg --version | head -n1), $(jq --version), $(mtail --version 2>&1 | head -n1 | cut -d' ' -f1-3), $(hyperfine --version)"
  echo "- corpus: $CORPUS, $BYTES bytes; $(sed 's/^gencorpus: //' "$EXPECTED.stats" | head -n1)"
  echo "- hyperfine --warmup 1 --runs $RUNS, median. MB/s = 10^6 bytes/s of the input the tool read;"
  echo "  'x rg' and 'x errscope' = reference MB/s / tool MB/s (above 1: slower than the reference);"
  echo "  key-rich rows are against rg on the key-rich corpus ($RICH), gz rows against zcat | rg"
  echo
  echo "| tool | median s | MB/s | x rg -c -F | x errscope |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${ROWS[@]}"; do
    IFS=$'\t' read -r name bytes med _ <<<"$r"
    ref=$RG_MBPS
    case $name in key-rich:*) ref=$RICH_RG_MBPS ;; gz:*) ref=$GZ_RG_MBPS ;; esac
    awk -v n="${name//|/\\|}" -v s="$med" -v m="$(mbps "$bytes" "$med")" -v rg="$ref" -v es="$ES_MBPS" 'BEGIN {
      printf "| %s | %.3f | %s | %.3g | %s |\n", n, s, m, rg / m, (es > 0 ? sprintf("%.3g", es / m) : "n/a") }'
  done
  echo
  if [ "$HAVE_ES" = 1 ]; then
    echo "Peak RSS on the corpus: \`--threads 1 --format csv\` $((RSS_KB / 1024)) MiB ($RSS_KB KiB), \`--threads 2 --events\` $((RSS2_KB / 1024)) MiB ($RSS2_KB KiB)."
  else
    echo "**errscope was not measured**: $ES is missing or \`errscope scan --format csv\` did not print its CSV ($OUT/probe.csv)."
  fi
  echo
  echo "## Counts against the generator's expected file"
  echo
  for c in "${CHECKS[@]}"; do echo "- $c"; done
  if [ "$HAVE_ES" = 1 ] && grep -q MISMATCH "$OUT"/check-errscope*.md; then
    printf '\n**errscope mismatches** (file: vendor | code | status | expected | got):\n\n'
    grep -h MISMATCH "$OUT"/check-errscope*.md | sed 's/^/    /'
  fi
  for f in "$OUT"/check-*.md; do
    printf '\n<details><summary>per row: %s</summary>\n\n' "$(basename "$f" .md | sed 's/^check-//')"
    cat "$f"
    printf '\n</details>\n'
  done
  echo
  echo "## Commands"
  echo
  for r in "${ROWS[@]}"; do
    IFS=$'\t' read -r name _ _ cmd <<<"$r"
    echo "- $name: \`$cmd\`"
  done
} | tee "$OUT/report.md"
