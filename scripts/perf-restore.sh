#!/usr/bin/env bash
# Measures a durable `sindri restore` against `tar -xzf` (with and without `sync`) on the same archive,
# in one run, and the two pre-restore snapshot codecs (gzip, lz4) on a realistic snapshot.
#
#   1. generate (or reuse) the workspace of scripts/perf-compare.sh, back it up with sindri (level 6);
#   2. round-robin for --runs rounds, each into an empty home on the same filesystem, disk idle and page
#      cache dropped before each command (root), archive read once to warm it:
#        tar -xzf ARCHIVE -C home              (not durable: data may still be in the page cache)
#        tar -xzf ARCHIVE -C home && sync      (durable)
#        sindri restore ARCHIVE --home home    (durable: every file and the journal on disk, syncfs)
#   3. a second restore of the same archive into the restored home (every file identical);
#   4. snapshot codecs: a full-mode restore into a home where every archived file exists with other
#      content, so the snapshot holds the whole selection: --snapshot-codec gzip vs lz4
#      (wall time of the restore and the snapshot's size).
# Results: PerfData/restore.md and PerfData/restore.csv.
# Usage: scripts/perf-restore.sh [--size 1G] [--seed 42] [--runs 3] [--work DIR] [--core-only]
#   --core-only: steps 1-2 only (the restore against tar -xzf), for a quick before/after of one change.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size=1G; seed=42; runs=3; work="$here/PerfData/tmp"; core_only=0
command_line="scripts/perf-restore.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2;; --seed) seed="$2"; shift 2;; --runs) runs="$2"; shift 2;;
    --work) work="$2"; shift 2;; --core-only) core_only=1; shift;; *) echo "unknown option $1" >&2; exit 64;;
  esac
done
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
bash "$here/scripts/install-deps.sh"
scratch="$here/.build-perf"   # the same release build as scripts/perf-compare.sh
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri >&2
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri-workspace >&2
bin="$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)"
mkdir -p "$work"
tree="$work/workspace-$size-$seed"
[ -d "$tree" ] || "$bin/sindri-workspace" "$tree" --size "$size" --seed "$seed"
archive="$work/restore-bench.tar.gz"
"$bin/sindri" backup --home "$tree" -o "$archive" --profile full --compression 6 -q >&2 || true
csv="$here/PerfData/restore.csv"
echo "round,command,wall_s,user_s,sys_s,max_rss_kib" > "$csv"
# Deleting the previous command's gigabyte keeps the disk busy after `sync` returns (on a filesystem
# mounted with `discard`, for seconds): wait until the disk has had no request in flight for 2 s.
device="/sys/block/$(basename "$(df --output=source "$work" | tail -1)")/inflight"
settle() {
  sync
  [ -r "$device" ] || return 0
  local idle=0 waited=0
  while [ $idle -lt 4 ] && [ $waited -lt 120 ]; do
    read -r reads writes < "$device"
    if [ "$reads" = 0 ] && [ "$writes" = 0 ]; then idle=$((idle + 1)); else idle=0; fi
    sleep 0.5; waited=$((waited + 1))
  done
}
drop() { settle; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; cat "$archive" > /dev/null; }
measure() {  # name, command...
  local name="$1"; shift
  local target="$work/restore-target"
  rm -rf "$target"; mkdir -p "$target"; drop
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" bash -c "$*" >/dev/null 2>&1
  read -r wall user sys rss < "$work/time.txt"
  echo "$round,$name,$wall,$user,$sys,$rss" >> "$csv"
  echo "$round $name $wall s" >&2
}
for round in $(seq 1 "$runs"); do
  measure "tar -xzf" "tar -xzf '$archive' -C '$work/restore-target'"
  measure "tar -xzf + sync" "tar -xzf '$archive' -C '$work/restore-target' && sync"
  measure "sindri restore" "'$bin/sindri' restore '$archive' --home '$work/restore-target' --no-interactive"
done
if [ "$core_only" = 0 ]; then
# A second restore of the same archive into the home it restored: every file is identical (each home
# file is hashed and compared), nothing is written.
target="$work/restore-target"; rm -rf "$target"; mkdir -p "$target"
"$bin/sindri" restore "$archive" --home "$target" --no-interactive -q >/dev/null 2>&1
drop
/usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$bin/sindri" restore "$archive" --home "$target" --no-interactive >/dev/null 2>&1
read -r wall user sys rss < "$work/time.txt"
echo "1,second restore of the same archive (every file identical),$wall,$user,$sys,$rss" >> "$csv"
echo "second restore (identical): $wall s" >&2
# Snapshot codecs: every archived file already exists with other content, so full mode replaces all.
for codec in gzip lz4; do
  target="$work/restore-target"; rm -rf "$target"; mkdir -p "$target"
  tar -xzf "$archive" -C "$target"
  find "$target" -type f -exec sh -c 'for f; do printf x >> "$f"; done' _ {} +
  rm -f "$target/.backup-manifest.json" "$target/.backup-checksums.sha256"
  drop
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$bin/sindri" restore "$archive" --home "$target" --mode full --no-interactive --snapshot-codec "$codec" >/dev/null 2>&1
  read -r wall user sys rss < "$work/time.txt"
  snap=$(ls "$target"/.sindri/restore-snapshots/snapshot-* | head -1)
  echo "1,full restore with $codec snapshot ($(stat -c %s "$snap") bytes),$wall,$user,$sys,$rss" >> "$csv"
  echo "$codec snapshot: $wall s, $(stat -c %s "$snap") bytes" >&2
done
fi
rm -rf "$work/restore-target"
python3 - "$csv" "$here/PerfData/restore.md" "$archive" "$command_line" <<'PY'
import csv, statistics, sys, os, subprocess, platform
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows: by.setdefault(r['command'], []).append(r)
def med(name, key): return statistics.median(float(r[key]) for r in by[name])
out = ["# Restore: durable sindri restore vs tar -xzf", "",
       f"Archive: `{os.path.basename(sys.argv[3])}`, {os.path.getsize(sys.argv[3]):,} bytes (the generated 1 GiB workspace, full profile, level 6).",
       f"Machine: {os.cpu_count()} cores, kernel {platform.release()}; `{subprocess.run(['swift','--version'],capture_output=True,text=True).stdout.splitlines()[0]}`.",
       "Command: `" + sys.argv[4].strip() + "`; page cache dropped before each command, archive read once.", "",
       "| command | wall s (median) | CPU s | peak RSS MiB | sindri ÷ this |", "|---|---:|---:|---:|---:|"]
s = med('sindri restore', 'wall_s')
for name in by:
    w = med(name, 'wall_s'); c = med(name, 'user_s') + med(name, 'sys_s'); m = med(name, 'max_rss_kib') / 1024
    out.append(f"| {name} | {w:.2f} | {c:.2f} | {m:.0f} | {s / w:.2f} |")
open(sys.argv[2], 'w').write("\n".join(out) + "\n")
print("\n".join(out))
PY
