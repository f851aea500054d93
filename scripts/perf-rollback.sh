#!/usr/bin/env bash
# Measures `sindri rollback` of a full-mode restore against the restore itself, for several numbers
# of replaced files, in one run on the same filesystem.
#
# For each N: a home of N files of 16-32 KiB (in 20 directories) is backed up; every file is then
# rewritten with other bytes, so a full-mode restore replaces all N (snapshot of N originals), and
# `sindri rollback` puts the N originals back. Both commands are timed (wall, user, sys, peak RSS);
# the rollback is checked to give back every rewritten file byte for byte.
# Results: PerfData/rollback.md and PerfData/rollback.csv.
# Usage: scripts/perf-rollback.sh [--counts "200 800 6000"] [--runs 3] [--work DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
counts="200 800 6000"; runs=3; work="$here/PerfData/tmp"
command_line="scripts/perf-rollback.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --counts) counts="$2"; shift 2;; --runs) runs="$2"; shift 2;; --work) work="$2"; shift 2;;
    *) echo "unknown option $1" >&2; exit 64;;
  esac
done
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
bash "$here/scripts/install-deps.sh"
scratch="$here/.build-perf"   # the same release build as the other perf scripts
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri >&2
bin="$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)"
mkdir -p "$work"
csv="$here/PerfData/rollback.csv"
echo "files,round,command,wall_s,user_s,sys_s,max_rss_kib" > "$csv"

make_home() {  # dir, count, salt: N files of 16-32 KiB of text that depends on the salt
  python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
root, count, salt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(int(count))
words = [f"w{i}" for i in range(2000)]
for i in range(count):
    d = os.path.join(root, "workspace", "projects", f"p{i % 20:02d}")
    os.makedirs(d, exist_ok=True)
    size = rng.randint(16 * 1024, 32 * 1024)
    text = (salt + " " + " ".join(rng.choice(words) for _ in range(size // 4))).encode()[:size]
    with open(os.path.join(d, f"file{i:05d}.txt"), "wb") as f:
        f.write(text)
PY
}
timed() {  # files, name, command...
  local files="$1" name="$2"; shift 2
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
    echo "$name failed:" >&2; cat "$work/stderr.txt" >&2; exit 1; }
  read -r wall user sys rss < "$work/time.txt"
  echo "$files,$round,$name,$wall,$user,$sys,$rss" >> "$csv"
  echo "  N=$files round $round $name: ${wall}s" >&2
}
for count in $counts; do
  home="$work/rollback-home-$count"; archive="$work/rollback-$count.tar.gz"
  rm -rf "$home" "$archive"; mkdir -p "$home"
  make_home "$home" "$count" original
  "$bin/sindri" backup --home "$home" -o "$archive" --profile full -q
  for round in $(seq 1 "$runs"); do
    rm -rf "$home"; mkdir -p "$home"; make_home "$home" "$count" "edited-$round"
    (cd "$home" && find workspace -type f -print0 | sort -z | xargs -0 sha256sum) > "$work/before.sha256"
    timed "$count" restore "$bin/sindri" restore "$archive" --home "$home" --mode full --no-interactive -q
    timed "$count" rollback "$bin/sindri" rollback --home "$home" --no-interactive -q
    (cd "$home" && sha256sum --quiet -c "$work/before.sha256") || { echo "rollback did not give back the files" >&2; exit 1; }
  done
  rm -rf "$home" "$archive"
done

python3 - "$csv" "$here/PerfData/rollback.md" "$command_line" "$runs" <<'PY'
import csv, statistics, sys, subprocess, platform
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault((int(r["files"]), r["command"]), []).append(r)
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
counts = sorted({k[0] for k in by})
swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
out = ["# Rollback of a full-mode restore", "",
       f"Command: `{sys.argv[3]}` (medians of {sys.argv[4]} rounds). Machine: {platform.machine()}, "
       f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; {swift}.", "",
       "Each home holds N files of 16-32 KiB; every file differs from the archive, so the full-mode restore "
       "replaces all N (their originals go to the snapshot) and the rollback extracts all N back. "
       "The rollback is checked to give back every file byte for byte.", "",
       "| files | restore wall s | rollback wall s | rollback ÷ restore | rollback peak RSS MiB |",
       "|---:|---:|---:|---:|---:|"]
for n in counts:
    r, b = by[(n, "restore")], by[(n, "rollback")]
    out.append(f"| {n:,} | {med(r,'wall_s'):.2f} | {med(b,'wall_s'):.2f} | {med(b,'wall_s')/med(r,'wall_s'):.2f} | {med(b,'max_rss_kib')/1024:.0f} |")
if len(counts) >= 2:
    a, b = counts[0], counts[1]
    ra = med(by[(a, "rollback")], "wall_s"); rb = med(by[(b, "rollback")], "wall_s")
    out += ["", f"Growth from {a:,} to {b:,} files ({b/a:.0f}x the files): rollback time x{rb/ra:.2f}."]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
