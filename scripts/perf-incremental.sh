#!/usr/bin/env bash
# Measures `sindri backup --incremental` and the restore of a chain, with GNU tar's
# --listed-incremental and restic as peers, on the generated 1 GiB workspace, in one run.
#
# 1. Generates the workspace (sindri-workspace --size 1G --seed 42).
# 2. Level 0: `sindri backup -p full` (the full), `tar --listed-incremental -czf` (level 0) and
#    `restic backup` (first snapshot).
# 3. Changes 1% of the regular files, by count and by bytes, spread over the tree: every 100th
#    file in path order (sizes are spread too), each rewritten in place with the same size and
#    other bytes (every 512th byte flipped), its mtime moved one second on.
# 4. Level 1: `sindri backup --incremental`, GNU tar level 1 (a copy of the level-0 snapshot
#    file) and restic's second backup, each timed.
# 5. Four more rounds of 1% changes (other files each time), each followed by an incremental:
#    a chain of a full and 5 incrementals. Then the restore of the newest incremental (the
#    whole chain) into an empty directory, against the restore of one full backup of the same
#    final tree, both timed.
# Before each timed command: sync, drop_caches (needs root), then the input tree read once (so
# every tool starts with its input in the page cache and no dirty pages of an earlier one).
#
# Results: PerfData/incremental.csv (raw) and PerfData/incremental.md.
# Usage: scripts/perf-incremental.sh [--size 1G] [--seed 42] [--work DIR] [--keep]
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
command_line="scripts/perf-incremental.sh $*"
size=1G
seed=42
work=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "perf-incremental: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "perf-incremental: dropping the page cache needs root" >&2; exit 1; }
command -v restic >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic; }
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time

scratch="$here/.build-inc"
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri >&2
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri-workspace >&2
bin="$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)"
sindri="$bin/sindri"

work="${work:-$here/PerfData/tmp/incremental}"
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
home="$work/home"
out="$work/backups"
mkdir -p "$out"
csv="$here/PerfData/incremental.csv"
echo "step,tool,wall_s,user_s,sys_s,max_rss_kb,output_bytes,load_before" > "$csv"

"$bin/sindri-workspace" "$home" --size "$size" --seed "$seed" >&2

warm() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
  tar -C "$1" -cf - . | cat > /dev/null
}

# measure STEP TOOL OUTPUT_FILE_OR_DIR INPUT_DIR COMMAND
measure() {
  local step="$1" tool="$2" output="$3" input="$4" command="$5" load
  warm "$input"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" bash -c "$command" >&2
  local bytes
  bytes=$(du -sb "$output" 2>/dev/null | cut -f1)
  read -r wall user sys rss < "$work/time.txt"
  echo "$step,$tool,$wall,$user,$sys,$rss,${bytes:-0},$load" >> "$csv"
  echo "perf-incremental: $step $tool ${wall}s ${bytes:-0} bytes (load $load)" >&2
}

# change ROUND: 1% of the files (every 100th in path order, offset by ROUND), same size, other bytes.
change() {
  python3 - "$home" "$1" <<'PY'
import os, sys
root, round_ = sys.argv[1], int(sys.argv[2])
files = []
for d, ds, fs in os.walk(root):
    ds.sort()
    for n in sorted(fs):
        p = os.path.join(d, n)
        if os.path.isfile(p) and not os.path.islink(p):
            files.append((p, os.path.getsize(p)))
files.sort()
chosen = files[(round_ * 17) % 100::100]
total = sum(s for _, s in files)
changed = sum(s for _, s in chosen)
for p, s in chosen:
    with open(p, 'r+b') as f:
        data = bytearray(f.read())
        for i in range(0, len(data), 512):
            data[i] ^= 0xA5
        f.seek(0)
        f.write(data)
    st = os.stat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
print(f"round {round_}: changed {len(chosen)} of {len(files)} files ({100*len(chosen)/len(files):.2f}%), {changed} of {total} bytes ({100*changed/total:.2f}%)")
PY
}

newest() { ls -t "$out"/*.tar.gz | head -1; }

export RESTIC_PASSWORD=perf RESTIC_REPOSITORY="$work/restic"
restic init -q >&2

measure full sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' -q"
full_archive="$(newest)"
measure full tar-level0 "$work/level0.tar.gz" "$home" "tar --listed-incremental='$work/snap0' -czf '$work/level0.tar.gz' -C '$home' ."
measure full restic "$work/restic" "$home" "restic backup -q '$home'"
changes="$(change 1)"
echo "$changes" >&2
sleep 1
measure inc1 sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' --incremental -q"
inc1="$(newest)"
cp "$work/snap0" "$work/snap1"
measure inc1 tar-level1 "$work/level1.tar.gz" "$home" "tar --listed-incremental='$work/snap1' -czf '$work/level1.tar.gz' -C '$home' ."
restic_before=$(du -sb "$work/restic" | cut -f1)
measure inc1 restic "$work/restic" "$home" "restic backup -q '$home'"
restic_after=$(du -sb "$work/restic" | cut -f1)
for round in 2 3 4 5; do
  more="$(change "$round")"; echo "$more" >&2; changes="$changes; $more"
  sleep 1
  measure "inc$round" sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' --incremental -q"
done
chain_newest="$(newest)"
final_dir="$work/final-full"; mkdir -p "$final_dir"
"$sindri" backup --home "$home" -p full -o "$final_dir/" -q
final_full="$(ls "$final_dir"/*.tar.gz)"
rm -rf "$work/r-chain" "$work/r-full"; mkdir -p "$work/r-chain" "$work/r-full"
measure restore-chain sindri "$work/r-chain" "$out" "'$sindri' restore '$chain_newest' --home '$work/r-chain' --no-interactive -q"
measure restore-full sindri "$work/r-full" "$final_dir" "'$sindri' restore '$final_full' --home '$work/r-full' --no-interactive -q"
same=$(diff -r --no-dereference "$work/r-chain" "$work/r-full" -x .sindri > /dev/null && echo yes || echo no)

size_of() { stat -c %s "$1"; }
get() { awk -F, -v s="$1" -v t="$2" '$1 == s && $2 == t { print $'"$3"' }' "$csv"; }
full_wall=$(get full sindri 3); inc_wall=$(get inc1 sindri 3)
full_size=$(size_of "$full_archive"); inc_size=$(size_of "$inc1")
tar0_wall=$(get full tar-level0 3); tar1_wall=$(get inc1 tar-level1 3)
tar0_size=$(size_of "$work/level0.tar.gz"); tar1_size=$(size_of "$work/level1.tar.gz")
restic0_wall=$(get full restic 3); restic1_wall=$(get inc1 restic 3)
rc_wall=$(get restore-chain sindri 3); rf_wall=$(get restore-full sindri 3)
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
{
  echo "# Incremental backups: sindri --incremental vs GNU tar --listed-incremental and restic"
  echo
  echo "Generated by \`$command_line\` on $(date -u +%Y-%m-%dT%H:%MZ). Raw figures: \`PerfData/incremental.csv\`."
  echo
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- Toolchain: $(swift --version 2>&1 | head -1); sindri $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo ' + uncommitted changes'), release build"
  echo "- Peers: $(tar --version | head -1), $(restic version | head -1)"
  echo "- Load (uptime) at the end: $(uptime | sed 's/.*load average/load average/'); load before each command is in the CSV (a shared 2-core machine)"
  echo "- Workspace: sindri-workspace --size $size --seed $seed; changes: $changes"
  echo "- Before each timed command: sync, drop_caches, the input read once (warm cache)"
  echo
  echo "## Second backup after changing 1% of the files"
  echo
  echo "| | full (level 0) wall | incremental wall | incr ÷ full | full bytes | incremental bytes | incr ÷ full |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  echo "| sindri (\`--incremental\`) | $full_wall s | $inc_wall s | **$(ratio "$inc_wall" "$full_wall")** | $full_size | $inc_size | **$(ratio "$inc_size" "$full_size")** |"
  echo "| GNU tar \`--listed-incremental\` + gzip -6 | $tar0_wall s | $tar1_wall s | $(ratio "$tar1_wall" "$tar0_wall") | $tar0_size | $tar1_size | $(ratio "$tar1_size" "$tar0_size") |"
  echo "| restic 0.14 (second snapshot) | $restic0_wall s | $restic1_wall s | $(ratio "$restic1_wall" "$restic0_wall") | $restic_before (repo) | $((restic_after - restic_before)) (repo growth) | $(ratio "$((restic_after - restic_before))" "$restic_before") |"
  echo
  echo "Goals: incremental wall ≤ 10% of the full's, archive ≤ 3% of the full's size."
  echo
  echo "## Restore of a chain"
  echo
  echo "| | wall |"
  echo "|---|---:|"
  echo "| \`sindri restore\` of the newest of full + 5 incrementals | $rc_wall s |"
  echo "| \`sindri restore\` of one full backup of the same final tree | $rf_wall s |"
  echo "| chain ÷ full | **$(ratio "$rc_wall" "$rf_wall")** (goal ≤ 1.2) |"
  echo
  echo "The two restored trees are identical (\`diff -r\`): $same."
  echo
  echo "Incremental wall times per round (sindri): $(awk -F, '$2 == "sindri" && $1 ~ /^inc/ { printf "%s %s s, %s bytes; ", $1, $3, $7 }' "$csv")"
} > "$here/PerfData/incremental.md"
cat "$here/PerfData/incremental.md"
[ "$keep" -eq 1 ] || rm -rf "$work"
