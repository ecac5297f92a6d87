#!/bin/sh
# Idle CPU of `errscope tail`: follows three files (and a directory) that
# nobody writes to, and reports the CPU time the process used over a quiet
# period, from /proc/PID/stat (utime + stime).
#
#   bench/tail_idle.sh [seconds] [path-to-errscope]
#
# ROTATED=N puts N rotated files beside each (`a.log.1` ... `a.log.N`): the
# files beside the followed ones are looked at four times a second.
set -eu
secs=${1:-30}
bin=${2:-target/release/errscope}
[ -x "$bin" ] || bin=target/debug/errscope
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir "$dir/logs"
for f in a b c; do
  echo "2026-11-20 10:15:02,124 INFO start" > "$dir/logs/$f.log"
  n=${ROTATED:-0}
  while [ "$n" -gt 0 ]; do echo "2026-11-19 10:15:02,124 INFO $f $n" > "$dir/logs/$f.log.$n"; n=$((n - 1)); done
done
"$bin" tail "$dir/logs/*.log" --interval 60s --state-dir "$dir/state" >/dev/null 2>&1 &
pid=$!
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks "$pid")
sleep "$secs"
after=$(ticks "$pid")
threads=$(ls "/proc/$pid/task" | wc -l)
awk -v b="$before" -v a="$after" -v hz="$hz" -v s="$secs" -v t="$threads" -v bin="$bin" 'BEGIN {
  cpu = (a - b) / hz
  printf "%s: %.3f s CPU in %d s idle (%.3f%% of one core), %d threads\n", bin, cpu, s, 100 * cpu / s, t
}'
