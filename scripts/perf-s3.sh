#!/usr/bin/env bash
# Measures sindri against S3 (a local SeaweedFS on 127.0.0.1) beside the local backup and its peers,
# on the same generated tree, in one run, and writes PerfData/s3.md.
#
#   backup:  sindri backup -o s3://        vs  sindri backup -o FILE (local)
#                                          vs  tar -cf - . | pigz -p 2 -6 | aws s3 cp - s3://…
#                                          vs  restic backup (S3 backend, same server)
#   restore: sindri restore s3://…         vs  sindri restore FILE (local)   vs  restic restore
#
# Every command runs under GNU time (wall, user, sys, peak RSS of the largest process); before each,
# the page cache is dropped (root) and the input is read once, so all start warm and clean. The
# median of --runs rounds is reported. The release binary is built in .build-release.
#
# Usage: scripts/perf-s3.sh [--size 1G] [--runs 3] [--work DIR] [--bin DIR]
# --bin DIR uses the sindri and sindri-workspace already built there (e.g. .build/debug) instead.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
command_line="scripts/perf-s3.sh $*"
size=1G; runs=3; work=""; bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "perf-s3: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] || work="$(mktemp -d "${TMPDIR:-/tmp}/sindri-perf-s3.XXXXXX")"
mkdir -p "$work"
if [ -z "$bin" ]; then
  swift build -c release --package-path "$here" --scratch-path "$here/.build-release" --product sindri >&2
  swift build -c release --package-path "$here" --scratch-path "$here/.build-release" --product sindri-workspace >&2
  bin="$here/.build-release/release"
fi
build_kind="$(basename "$bin") build in \`${bin#$here/}\`"
home="$work/home"
[ -d "$home" ] || "$bin/sindri-workspace" "$home" --size "$size" --seed 42 >&2

server="$work/server"
trap 'bash "$here/scripts/s3-test-server.sh" stop "$server"' EXIT
eval "$(bash "$here/scripts/s3-test-server.sh" start "$server")"
export AWS_ACCESS_KEY_ID="$SINDRI_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SINDRI_TEST_S3_SECRET_KEY"
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL="$SINDRI_TEST_S3_ENDPOINT" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
bucket="$SINDRI_TEST_S3_BUCKET"
export RESTIC_PASSWORD=perf-only RESTIC_REPOSITORY="s3:$SINDRI_TEST_S3_ENDPOINT/$bucket/restic"
restic init >/dev/null

csv="$work/results.csv"
echo "round,name,wall,user,sys,rss_kib" > "$csv"
settle() {
  sync
  [ "$(id -u)" -eq 0 ] && echo 3 > /proc/sys/vm/drop_caches || true
  tar -cf - -C "$home" . | cat > /dev/null
}
timed() { # name, command...
  local name="$1"; shift
  settle
  /usr/bin/time -o "$work/time.txt" -f "%e %U %S %M" "$@" > "$work/$name.out" 2>&1 || { echo "perf-s3: $name failed:" >&2; tail -5 "$work/$name.out" >&2; exit 1; }
  read -r wall user sys rss < "$work/time.txt"
  echo "$round,$name,$wall,$user,$sys,$rss" >> "$csv"
  echo "round $round $name: ${wall}s ${rss} KiB" >&2
}
for round in $(seq 1 "$runs"); do
  rm -rf "$work/local" "$work/r-local" "$work/r-s3" "$work/r-restic"; mkdir -p "$work/local" "$work/r-local" "$work/r-s3" "$work/r-restic"
  timed sindri-local "$bin/sindri" backup -p full --home "$home" -o "$work/local/" --progress never
  timed sindri-s3 "$bin/sindri" backup -p full --home "$home" -o "s3://$bucket/perf/r$round/" --progress never
  timed tar-pigz-aws bash -c "tar -cf - -C '$home' . | pigz -p 2 -6 | aws s3 cp - 's3://$bucket/perf/tar-r$round.tar.gz' --expected-size 2000000000"
  timed restic-backup restic backup --quiet "$home"
  archive=$(ls "$work/local/"*.tar.gz)
  key=$(aws s3 ls "s3://$bucket/perf/r$round/" | awk '/\.tar\.gz$/ {print $4}')
  timed sindri-restore-local "$bin/sindri" restore "$archive" --home "$work/r-local" --no-interactive --progress never
  timed sindri-restore-s3 "$bin/sindri" restore "s3://$bucket/perf/r$round/$key" --home "$work/r-s3" --no-interactive --progress never
  timed restic-restore restic restore latest --target "$work/r-restic"
done

archive_bytes=$(stat -c %s "$(ls "$work/local/"*.tar.gz)")
load="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$csv" "$here/PerfData/s3.md" "$command_line" "$size" "$runs" "$archive_bytes" "$build_kind" "$load" <<'PY'
import csv, statistics, subprocess, sys, platform
path, out, command, size, runs, archive, build, load = sys.argv[1:9]
rows = list(csv.DictReader(open(path)))
names = []
for r in rows:
    if r["name"] not in names: names.append(r["name"])
med = {n: (statistics.median(float(r["wall"]) for r in rows if r["name"] == n),
           max(int(r["rss_kib"]) for r in rows if r["name"] == n),
           statistics.median(float(r["user"]) + float(r["sys"]) for r in rows if r["name"] == n)) for n in names}
def ratio(a, b): return f"{med[a][0] / med[b][0]:.2f}x"
swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [
 "# sindri with S3: backup and restore against a local SeaweedFS, beside local and peer tools", "",
 f"Measured by `{command}` on {platform.node()} ({cpu}, 2 cores shared with other jobs), {swift}, "
 f"{build}, load average {load} at the end, SeaweedFS `weed mini` on 127.0.0.1, restic {subprocess.run(['restic','version'],capture_output=True,text=True).stdout.split()[1]}. "
 f"Input: `sindri-workspace --size {size} --seed 42`, profile full; archive {int(archive)/2**20:.1f} MiB. "
 f"Median of {runs} rounds; page cache dropped and the input read once before each command.", "",
 "| command | wall (s) | CPU user+sys (s) | peak RSS (MiB) |", "|---|---:|---:|---:|"]
for n in names:
    lines.append(f"| {n} | {med[n][0]:.2f} | {med[n][2]:.2f} | {med[n][1]/1024:.0f} |")
lines += ["", "Ratios (wall time):", "",
 f"- `sindri backup -o s3://` / local `sindri backup`: **{ratio('sindri-s3','sindri-local')}** (goal <= 1.15x)",
 f"- `sindri backup -o s3://` / `tar -cf - . | pigz -p 2 -6 | aws s3 cp -`: **{ratio('sindri-s3','tar-pigz-aws')}** (goal <= 0.6x)",
 f"- `sindri restore s3://` / local `sindri restore`: **{ratio('sindri-restore-s3','sindri-restore-local')}** (goal <= 1.2x)",
 f"- `sindri backup -o s3://` / `restic backup` (S3 backend, first snapshot): {ratio('sindri-s3','restic-backup')}",
 f"- `sindri restore s3://` / `restic restore`: {ratio('sindri-restore-s3','restic-restore')}", "",
 "Raw rounds (wall s, user s, sys s, peak RSS KiB):", "", "```", open(path).read().strip(), "```", ""]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
