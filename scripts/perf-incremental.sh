#!/usr/bin/env bash
# Measures `sindri backup --incremental` and the restore of a chain, with GNU tar's
# --listed-incremental and restic as peers, on the generated 1 GiB workspace, in one run.
#
# 1. Generates the workspace (sindri-workspace --size 1G --seed 42), then removes what the full
#    profile always leaves out (caches, node_modules, build output: `sindri backup --dry-run
#    --json` names them), so that the three tools read exactly the same files.
# 2. Level 0: `sindri backup -p full` (the full), `tar --listed-incremental` level 0 through
#    `pigz -6` (parallel gzip at our level, as our archive is written), and `restic backup`
#    (the first snapshot, a local repository of its own for each round).
# 3. Changes 1% of the regular files by count AND by bytes, spread over the tree: in each run of
#    100 files in path order, the one file (not chosen in an earlier round) whose size is closest
#    to what keeps the running total at 1% of the bytes so far; each chosen file is rewritten in
#    place with the same size and other bytes (every 512th byte flipped), its mtime one second on.
# 4. Level 1: `sindri backup --incremental`, GNU tar level 1 (a copy of the level-0 snapshot
#    file) and restic's second backup, each timed: wall, CPU, peak RSS, archive or repository
#    growth. Steps 2-4 are repeated --rounds times (default 3), each round on the tree as the
#    previous one left it; the table gives the medians, and every round's ratio.
# 5. Four more rounds of 1% changes (other files each time), each followed by an incremental:
#    a chain of a full and 5 incrementals, and one full backup of the same final tree. Then
#    --restores pairs (default 3) of restores into an empty directory, alternating which goes
#    first: the newest incremental (the whole chain) against that full; the medians are compared.
# Each timed command runs in a session of its own with autogroup nice -19 and nice -19 (as
# scripts/perf-compare.sh does: every tool gets nearly both cores on a shared machine), after
# sync, drop_caches (root) and one read of its input (every tool starts with its input in the
# page cache and no dirty pages of an earlier one). The load average before each is recorded.
#
# Results: PerfData/incremental.csv (raw) and PerfData/incremental.md.
# Usage: scripts/perf-incremental.sh [--size 1G] [--seed 42] [--rounds 3] [--restores 3] [--work DIR] [--keep]
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
command_line="scripts/perf-incremental.sh $*"
size=1G
seed=42
restores=3
rounds=3
work=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --restores) restores="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "perf-incremental: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "perf-incremental: dropping the page cache needs root" >&2; exit 1; }
command -v restic >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic; }
command -v pigz >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time

# The release build of this worktree (never committed).
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

# What the full profile leaves out is removed, so every tool reads the same tree.
mkdir -p "$work/probe"
"$sindri" backup --home "$home" -p full -o "$work/probe/" --dry-run --json 2>/dev/null | python3 -c '
import json, os, shutil, sys, base64
root = sys.argv[1]
for line in sys.stdin:
    event = json.loads(line)
    if event.get("message_type") != "item" or event.get("action") != "exclude":
        continue
    name = base64.b64decode(event["path_bytes"]) if "path_bytes" in event else event["path"].encode()
    path = os.path.join(root.encode(), name)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
' "$home"
tree_files=$(find "$home" -type f | wc -l)
tree_bytes=$(find "$home" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')
echo "perf-incremental: tree of $tree_files files, $tree_bytes bytes" >&2

settle() {
  sync
  local device
  device="/sys/block/$(basename "$(df --output=source "$work" | tail -1)")/inflight"
  [ -r "$device" ] || return 0
  local idle=0 waited=0 reads writes
  while [ $idle -lt 4 ] && [ $waited -lt 120 ]; do
    read -r reads writes < "$device"
    if [ "$reads" = 0 ] && [ "$writes" = 0 ]; then idle=$((idle + 1)); else idle=0; fi
    sleep 0.5; waited=$((waited + 1))
  done
}

warm() {
  settle
  echo 3 > /proc/sys/vm/drop_caches
  tar -C "$1" -cf - . | cat > /dev/null
}

# measure STEP TOOL OUTPUT_FILE_OR_DIR INPUT_DIR COMMAND
measure() {
  local step="$1" tool="$2" output="$3" input="$4" command="$5" load
  warm "$input"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  if ! setsid -w bash -c 'echo -19 > /proc/self/autogroup; exec nice -n -19 "$@"' prioritized \
      /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" bash -c "set -o pipefail; $command" >&2; then
    echo "perf-incremental: '$command' failed" >&2; exit 1
  fi
  local bytes wall user sys rss
  bytes=$(du -sb "$output" 2>/dev/null | cut -f1)
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  echo "$step,$tool,$wall,$user,$sys,$rss,${bytes:-0},$load" >> "$csv"
  echo "perf-incremental: $step $tool ${wall}s cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')s ${bytes:-0} bytes (load $load)" >&2
}

# change ROUND: 1% of the files and ~1% of the bytes (see 3. above); prints what it changed.
change() {
  python3 - "$home" "$1" "$work/chosen.txt" <<'PY'
import os, sys
root, round_, chosen_file = sys.argv[1], sys.argv[2], sys.argv[3]
earlier = set(open(chosen_file).read().split('\0')) if os.path.exists(chosen_file) else set()
files = []
for d, ds, fs in os.walk(root):
    for n in fs:
        p = os.path.join(d, n)
        if os.path.isfile(p) and not os.path.islink(p):
            files.append((p, os.path.getsize(p)))
files.sort()
total = sum(s for _, s in files)
chosen, seen_bytes, chosen_bytes = [], 0, 0
for start in range(0, len(files) - 99, 100):
    group = files[start:start + 100]
    seen_bytes += sum(s for _, s in group)
    want = seen_bytes / 100 - chosen_bytes
    candidates = [f for f in group if f[0] not in earlier]
    p, s = min(candidates, key=lambda f: (abs(f[1] - want), f[0]))
    chosen.append((p, s))
    chosen_bytes += s
for p, s in chosen:
    with open(p, 'r+b') as f:
        data = bytearray(f.read())
        for i in range(0, len(data), 512):
            data[i] ^= 0xA5
        f.seek(0)
        f.write(data)
    st = os.stat(p)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
with open(chosen_file, 'a') as f:
    f.write(''.join(p + '\0' for p, _ in chosen))
print(f"round {round_}: {len(chosen)} of {len(files)} files ({100*len(chosen)/len(files):.2f}%), {chosen_bytes:,} of {total:,} bytes ({100*chosen_bytes/total:.2f}%)")
PY
}

newest() { ls -t "$out"/*.tar.gz | head -1; }

export RESTIC_PASSWORD=perf
tar_gz="tar --use-compress-program='pigz -6'"
changes=""
# Round r: level 0 of each tool into fresh outputs, 1% changed, level 1. Sizes per round go to
# sizes.txt (archive bytes; restic: repository before the second snapshot and its growth).
for r in $(seq 1 "$rounds"); do
  out="$work/backups-r$r"; mkdir -p "$out"
  export RESTIC_REPOSITORY="$work/restic-r$r"
  restic init -q >&2
  measure "full-r$r" sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' -q"
  full_archive="$(newest)"
  measure "full-r$r" tar "$work/level0-r$r.tar.gz" "$home" "$tar_gz --listed-incremental='$work/snap0-r$r' -cf '$work/level0-r$r.tar.gz' -C '$home' ."
  measure "full-r$r" restic "$RESTIC_REPOSITORY" "$home" "restic backup -q '$home'"
  more="$(change "r$r")"; echo "$more" >&2; changes="$changes${changes:+; }$more"
  sleep 1
  measure "inc-r$r" sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' --incremental -q"
  inc1="$(newest)"
  cp "$work/snap0-r$r" "$work/snap1-r$r"
  measure "inc-r$r" tar "$work/level1-r$r.tar.gz" "$home" "$tar_gz --listed-incremental='$work/snap1-r$r' -cf '$work/level1-r$r.tar.gz' -C '$home' ."
  restic_before=$(du -sb "$RESTIC_REPOSITORY" | cut -f1)
  measure "inc-r$r" restic "$RESTIC_REPOSITORY" "$home" "restic backup -q '$home'"
  restic_after=$(du -sb "$RESTIC_REPOSITORY" | cut -f1)
  echo "$r $(stat -c %s "$full_archive") $(stat -c %s "$inc1") $(stat -c %s "$work/level0-r$r.tar.gz") $(stat -c %s "$work/level1-r$r.tar.gz") $restic_before $((restic_after - restic_before))" >> "$work/sizes.txt"
  [ "$r" -eq "$rounds" ] || rm -rf "$RESTIC_REPOSITORY" "$work/level0-r$r.tar.gz" "$work/level1-r$r.tar.gz"
done
# The chain of the restore comparison continues the last round's full and incremental.
for round in 2 3 4 5; do
  more="$(change "chain $round")"; echo "$more" >&2; changes="$changes; $more"
  sleep 1
  measure "chain-inc$round" sindri "$out" "$home" "'$sindri' backup --home '$home' -p full -o '$out/' --incremental -q"
done
chain_newest="$(newest)"
final_dir="$work/final-full"; mkdir -p "$final_dir"
"$sindri" backup --home "$home" -p full -o "$final_dir/" -q
final_full="$(ls "$final_dir"/*.tar.gz)"

# Restores alternate which goes first; each into an empty directory, the previous one removed.
same=yes
restore_pair() {
  local kind="$1" round="$2" target="$work/r-$1"
  rm -rf "$target"; mkdir -p "$target"
  if [ "$kind" = chain ]; then
    measure "restore-chain-$round" sindri "$target" "$out" \
      "SINDRI_TRACE_PHASES=1 '$sindri' restore '$chain_newest' --home '$target' --no-interactive -q 2>>'$work/phases-chain.txt'"
  else
    measure "restore-full-$round" sindri "$target" "$final_dir" \
      "SINDRI_TRACE_PHASES=1 '$sindri' restore '$final_full' --home '$target' --no-interactive -q 2>>'$work/phases-full.txt'"
  fi
}
for round in $(seq 1 "$restores"); do
  if [ $((round % 2)) -eq 1 ]; then restore_pair chain "$round"; restore_pair full "$round"
  else restore_pair full "$round"; restore_pair chain "$round"; fi
  diff -r --no-dereference "$work/r-chain" "$work/r-full" -x .sindri > /dev/null || same=no
done

size_of() { stat -c %s "$1"; }
get() { awk -F, -v s="$1" -v t="$2" '$1 == s && $2 == t { print $'"$3"' }' "$csv"; }
cpu() { awk -F, -v s="$1" -v t="$2" '$1 == s && $2 == t { printf "%.2f", $4 + $5 }' "$csv"; }
rss() { awk -F, -v s="$1" -v t="$2" '$1 == s && $2 == t { printf "%.0f", $6 / 1024 }' "$csv"; }
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }
series() { awk -F, -v p="$1" -v c="$2" 'index($1, p) == 1 { printf "%s ", c == "cpu" ? $4 + $5 : $3 }' "$csv"; }
# Per round, in round order: a column of the CSV (wall, cpu, rss in MiB) and a column of sizes.txt.
column() { awk -F, -v p="$1" -v t="$2" -v c="$3" '$1 ~ ("^" p "[0-9]+$") && $2 == t { printf "%s ", c == "cpu" ? $4 + $5 : (c == "rss" ? int($6 / 1024) : $3) }' "$csv"; }
sizes() { awk -v c="$1" '{ printf "%s ", $c }' "$work/sizes.txt"; }
imedian() { python3 -c "import statistics,sys; print(int(statistics.median(int(x) for x in sys.argv[1:])))" "$@"; }
each_ratio() { python3 -c "import sys; print(' '.join(f'{float(b)/float(a):.3f}' for a, b in zip(sys.argv[1].split(), sys.argv[2].split())))" "$1" "$2"; }
rc_walls=$(series restore-chain- wall); rf_walls=$(series restore-full- wall)
rc_cpus=$(series restore-chain- cpu); rf_cpus=$(series restore-full- cpu)
# shellcheck disable=SC2086
rc_wall=$(median $rc_walls); rf_wall=$(median $rf_walls); rc_cpu=$(median $rc_cpus); rf_cpu=$(median $rf_cpus)
# shellcheck disable=SC2046
row() {  # TOOL LABEL LEVEL0_SIZES_COLUMN LEVEL1_SIZES_COLUMN (of sizes.txt)
  local tool="$1" label="$2"
  local w0 w1 c0 c1 b0 b1
  w0=$(median $(column full-r "$tool" wall)); w1=$(median $(column inc-r "$tool" wall))
  c0=$(median $(column full-r "$tool" cpu)); c1=$(median $(column inc-r "$tool" cpu))
  b0=$(imedian $(sizes "$3")); b1=$(imedian $(sizes "$4"))
  echo "| $label | $w0 s | $w1 s | **$(ratio "$w1" "$w0")** | $(each_ratio "$(column full-r "$tool" wall)" "$(column inc-r "$tool" wall)") | $c0 s | $c1 s | $(ratio "$c1" "$c0") | $b0 | $b1 | **$(ratio "$b1" "$b0")** | $(median $(column full-r "$tool" rss)) / $(median $(column inc-r "$tool" rss)) MiB |"
}
{
  echo "# Incremental backups: sindri --incremental vs GNU tar --listed-incremental and restic"
  echo
  echo "Generated by \`$command_line\` on $(date -u +%Y-%m-%dT%H:%MZ). Raw figures: \`PerfData/incremental.csv\`."
  echo
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), $(df -T "$work" | awk 'NR == 2 { print $2 }') on $(df --output=source "$work" | tail -1)"
  echo "- Toolchain: $(swift --version 2>&1 | head -1); sindri $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo ' + uncommitted changes'), release build"
  echo "- Peers: $(tar --version | head -1) with pigz $(pigz --version 2>&1 | awk '{ print $2 }') -6; $(restic version | head -1), local repository"
  echo "- Load: a shared 2-core machine; the 1-minute load average before each command is in the CSV (here $(awk -F, 'NR > 1 { print $8 }' "$csv" | sort -n | head -1)-$(awk -F, 'NR > 1 { print $8 }' "$csv" | sort -n | tail -1)); \`uptime\` at the end: $(uptime | sed 's/.*load average/load average/')"
  echo "- Each timed command in its own session with autogroup nice -19 and nice -19; before it: sync, drop_caches, its input read once (warm cache)"
  echo "- Tree: sindri-workspace --size $size --seed $seed minus what the full profile always leaves out: $tree_files files, $tree_bytes bytes; all three tools read it whole"
  echo "- Changes (every round rewrites other files in place, same size, mtime +1 s): $changes"
  echo
  echo "## Second backup after changing 1% of the files (medians of $rounds rounds)"
  echo
  echo "Each round: level 0 of every tool, 1% of the files changed, level 1 of every tool, on the tree as the round before left it. Ratios in bold are of the medians."
  echo
  echo "| | level 0 wall | level 1 wall | 1 ÷ 0 | 1 ÷ 0 each round | level 0 CPU | level 1 CPU | 1 ÷ 0 | level 0 bytes | level 1 bytes | 1 ÷ 0 | peak RSS 0 / 1 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  row sindri "sindri \`-p full\`, then \`--incremental\`" 2 3
  row tar "GNU tar \`--listed-incremental\` \\| pigz -6" 4 5
  row restic "restic: first, second snapshot (bytes: repository, growth)" 6 7
  echo
  # shellcheck disable=SC2046
  echo "Level 1 across tools (sindri ÷ peer, medians): wall $(ratio "$(median $(column inc-r sindri wall))" "$(median $(column inc-r tar wall))") of GNU tar's, $(ratio "$(median $(column inc-r sindri wall))" "$(median $(column inc-r restic wall))") of restic's; bytes $(ratio "$(imedian $(sizes 3))" "$(imedian $(sizes 5))") of GNU tar's, $(ratio "$(imedian $(sizes 3))" "$(imedian $(sizes 7))") of restic's growth."
  echo
  echo "Goals (sindri): incremental wall ≤ 10% of the full's, archive ≤ 3% of the full's size."
  echo
  echo "## Restore of a chain"
  echo
  echo "| | wall (each run) | median wall | CPU (each run) | median CPU |"
  echo "|---|---:|---:|---:|---:|"
  echo "| \`sindri restore\` of the newest of full + 5 incrementals | $rc_walls | $rc_wall s | $rc_cpus | $rc_cpu s |"
  echo "| \`sindri restore\` of one full backup of the same final tree | $rf_walls | $rf_wall s | $rf_cpus | $rf_cpu s |"
  echo "| chain ÷ full | | **$(ratio "$rc_wall" "$rf_wall")** (goal ≤ 1.2) | | $(ratio "$rc_cpu" "$rf_cpu") |"
  echo
  echo "The restored trees are identical (\`diff -r\`, every pair): $same."
  echo
  echo "Stages (\`SINDRI_TRACE_PHASES\`), chain: $(tail -1 "$work/phases-chain.txt" | sed 's/^sindri: phases: //'); full: $(tail -1 "$work/phases-full.txt" | sed 's/^sindri: phases: //')."
  echo
  echo "Incremental backups of the chain (sindri; the first is the last round's level 1): $(awk -F, -v last="inc-r$rounds" '$2 == "sindri" && ($1 == last || $1 ~ /^chain-inc/) { printf "%s %s s (backups directory then %s bytes); ", $1, $3, $7 }' "$csv")"
} > "$here/PerfData/incremental.md"
cat "$here/PerfData/incremental.md"
[ "$keep" -eq 1 ] || rm -rf "$work"
