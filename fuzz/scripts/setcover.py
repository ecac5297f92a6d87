#!/usr/bin/env python3
"""Shrinks a corpus below what `cargo fuzz cmin` keeps: a greedy set cover
over the per-input features of a libFuzzer merge control file.

    TARGET=extract
    fuzz/target/x86_64-unknown-linux-gnu/release/$TARGET -merge=1 \
        -use_counters=0 -use_value_profile=0 \
        -merge_control_file=/tmp/ctl $(mktemp -d) fuzz/corpus/$TARGET
    python3 fuzz/scripts/setcover.py /tmp/ctl            # prints what it would delete
    python3 fuzz/scripts/setcover.py /tmp/ctl --delete [--max 200]

Hand-written seeds (`seed-*`) are always kept. Without --max every feature
(edge) any input covers stays covered; with it, the inputs adding the most
coverage are kept up to that many files, and what is lost is reported."""
import os
import sys

lines = open(sys.argv[1]).read().split("\n")
n = int(lines[0])
files = lines[2 : 2 + n]
features = {}
for line in lines[2 + n :]:
    if line.startswith("FT "):
        parts = line.split()
        features[int(parts[1])] = set(parts[2:])
covered = set()
keep = set()
for i, f in enumerate(files):
    if os.path.basename(f).startswith("seed-"):
        keep.add(i)
        covered |= features.get(i, set())
limit = int(sys.argv[sys.argv.index("--max") + 1]) if "--max" in sys.argv else None
total = set().union(*features.values()) if features else set()
while limit is None or len(keep) < limit:
    best, gain = None, 0
    for i, fs in features.items():
        if i in keep:
            continue
        g = len(fs - covered)
        if g > gain or (g == gain and g > 0 and os.path.getsize(files[i]) < os.path.getsize(files[best])):
            best, gain = i, g
    if best is None:
        break
    keep.add(best)
    covered |= features[best]
drop = [f for i, f in enumerate(files) if i not in keep]
print(f"keep {len(keep)} of {n}: {len(covered)} of {len(total)} features", file=sys.stderr)
for f in drop:
    if "--delete" in sys.argv:
        os.remove(f)
    else:
        print(f)
