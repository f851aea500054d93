#!/usr/bin/env bash
# Measures `sindri backup` against tar + gzip and tar | pigz on the same generated tree, in one run.
#
# For every case it generates the input, backs it up with sindri once to learn exactly which files the
# profile selects, then times, round-robin for --runs rounds:
#   sindri backup --profile full --compression L        (the archive sindri writes, fsync and .sha256 included)
#   tar -cf - | pigz -p 2 -L   for L in 1, 6, 9         (the issue's reference)
#   tar -czf                                            (single-threaded gzip -6)
# all reading the SAME file list (sindri's members, fed to tar with --no-recursion -T), and then the
# decompression of sindri's archive with gzip -dc and pigz -dc for reference. Each command runs under
# GNU time (`%e %U %S %M`: wall, user, sys, peak RSS of the largest process in the pipeline).
#
# Cache policy: before each timed command, `sync; echo 3 > /proc/sys/vm/drop_caches` (needs root), then
# the input tree is read once (`tar ... | cat >/dev/null`), so every tool starts with the input in the
# page cache and no dirty pages of an earlier tool's output (--cache warm, the default). --cache cold
# skips the warm-up read, so every tool reads from the disk.
#
# Results: PerfData/<case>.csv (raw, one line per timed command) and PerfData/<case>.md (median of the
# rounds per command, sindri's ratio to each peer, machine, toolchain and the exact command line).
#
# Usage: scripts/perf-compare.sh [--case workspace|small-files|big-file|levels|all]... [--size 1G]
#        [--small-files 200000] [--big-size 10G] [--seed 42] [--runs 3] [--cache warm|cold]
#        [--work DIR] [--keep] [--home DIR]
# --quiet-wait S: before each timed command, wait up to S seconds (default 60) for the rest of the machine
# to go quiet (under 10% of a core); the CPU the rest used during each run is recorded either way.
# --quick: only sindri and tar | pigz -p 2 -6 (no -1/-9, tar -czf or decompression): for the 10 GiB case.
# --home DIR measures an existing tree instead of a generated workspace (workspace and levels cases).
# --sindri BIN measures this sindri binary instead of building one (e.g. a copy of main's, for a before
# and after on the same trees); the generator is still built.
# --also NAME=BIN (repeatable) times another sindri binary too, in every round right after the measured
# one, under the same cache policy (tool "sindri NAME" in the CSV, with its own first-byte rows): a
# before/after of two builds interleaved in one run, so both see the same machine load.
#
# Time to the first compressed byte: once per round, outside the timed runs (the probe polls the output
# every 2 ms), sindri's output is watched until it holds more than the manifest member (a stored gzip
# member, not compressed data), and pigz's until it holds more than the 10-byte gzip header. Rows
# "first byte: TOOL" in the CSV; their wall_s is that time.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
command_line="scripts/perf-compare.sh $*"
cases=()
size=1G
small_files=200000
big_size=10G
seed=42
runs=3
cache=warm
work=""
keep=0
given_home=""
quiet_wait=60
quick=0
given_sindri=""
also_names=()
also_bins=()
while [ $# -gt 0 ]; do
  case "$1" in
    --case) cases+=("$2"); shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --small-files) small_files="$2"; shift 2 ;;
    --big-size) big_size="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --home) given_home="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --quiet-wait) quiet_wait="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --sindri) given_sindri="$2"; shift 2 ;;
    --also) also_names+=("${2%%=*}"); also_bins+=("${2#*=}"); shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "perf-compare: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#cases[@]} -eq 0 ] && cases=(workspace)
[ "${cases[0]}" = all ] && cases=(workspace levels small-files big-file)
work="${work:-$here/PerfData/tmp}"
mkdir -p "$work" "$here/PerfData"
work="$(cd "$work" && pwd)"

# --- Tools ---------------------------------------------------------------------------------------
# GNU time (not the shell keyword) gives peak RSS; pigz is the reference. Debian package names.
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v pigz >/dev/null || need+=(pigz)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
bash "$here/scripts/install-deps.sh"
if [ "$(id -u)" -ne 0 ] && [ "$cache" = warm ]; then
  echo "perf-compare: dropping the page cache needs root; run as root" >&2; exit 1
fi

# Release build in a scratch path of its own, so it does not disturb a developer's debug .build.
scratch="$here/.build-perf"
[ -n "$given_sindri" ] || swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri >&2
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri-workspace >&2
bin="$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)"
sindri="${given_sindri:-$bin/sindri}"
generator="$bin/sindri-workspace"

machine_info() {
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- Toolchain: $(swift --version 2>&1 | head -1)"
  echo "- Peers: $(tar --version | head -1), $(pigz --version 2>&1 | head -1), $(gzip --version | head -1); libdeflate $(dpkg-query -W -f '${Version}' libdeflate0 2>/dev/null || echo '?')"
  if [ -n "$given_sindri" ]; then
    echo "- sindri: the given binary $given_sindri, release build"
  else
    echo "- sindri: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here" diff --quiet 2>/dev/null || echo ' + uncommitted changes'), release build"
  fi
  local i
  for i in "${!also_names[@]}"; do
    echo "- sindri ${also_names[$i]}: the given binary ${also_bins[$i]}, release build, timed in the same rounds"
  done
  echo "- Filesystem of the work directory: $(df -hT "$work" | awk 'NR==2 {print $2 " on " $1}')"
  echo "- Scheduling: each timed command in its own session, autogroup nice -19 and nice -19 (see measure()); up to ${quiet_wait} s wait for a quiet machine before each; others_cpu_s in the CSV is what the rest of the machine used meanwhile"
  echo "- Cache policy: $cache ($([ "$cache" = warm ] && echo 'sync + drop_caches, then the input read once, before every timed command' || echo 'sync + drop_caches before every timed command'))"
}

# --- Measurement -----------------------------------------------------------------------------------
home=""        # the tree being archived
list=""        # sindri's members, one per line, relative to $home
input_bytes=0  # content bytes of the regular files in $list
csv=""

prepare_cache() {
  sync
  if [ "$(id -u)" -eq 0 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
  if [ "$cache" = warm ]; then
    tar -C "$home" -cf - --no-recursion --verbatim-files-from -T "$list" | cat > /dev/null
  fi
}

# CPU time (jiffies, all cores) the whole machine has spent busy since boot.
machine_busy() { awk 'NR == 1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Waits (at most --quiet-wait seconds) until the rest of the machine uses under 10% of one core.
wait_for_quiet() {
  local deadline=$((SECONDS + quiet_wait)) before after hz
  hz=$(getconf CLK_TCK)
  while :; do
    before=$(machine_busy); sleep 1; after=$(machine_busy)
    [ $(( (after - before) * 100 / hz )) -lt 10 ] && return 0
    [ $SECONDS -ge $deadline ] && return 0
  done
}

# measure CASE RUN NAME LEVEL OUTPUT COMMAND: times COMMAND (a shell string) and appends a CSV line.
#
# The command runs in a session of its own whose autogroup has nice -19 (and nice -19 inside it): on a
# machine shared with builds and tests, CFS then gives the measured tool nearly both cores, whatever its
# thread count, instead of sharing them per autogroup with the background. Every tool gets the same
# treatment. `others_cpu_s` is the CPU time the rest of the machine still used during the run.
measure() {
  local case_name="$1" run="$2" name="$3" level="$4" output="$5" command="$6"
  prepare_cache
  wait_for_quiet
  local timing="$work/time.txt" busy_before busy_after hz
  hz=$(getconf CLK_TCK)
  busy_before=$(machine_busy)
  if ! setsid -w bash -c 'if [ "$(id -u)" -eq 0 ]; then echo -19 > /proc/self/autogroup; exec nice -n -19 "$@"; fi; exec "$@"' \
      prioritized /usr/bin/time -f '%e %U %S %M' -o "$timing" bash -c "set -o pipefail; $command"; then
    echo "perf-compare: '$command' failed" >&2; cat "$timing" >&2; exit 1
  fi
  busy_after=$(machine_busy)
  local wall user sys rss bytes others
  read -r wall user sys rss < <(tail -1 "$timing")
  others=$(awk -v b="$((busy_after - busy_before))" -v hz="$hz" -v u="$user" -v s="$sys" 'BEGIN { o = b / hz - u - s; printf "%.2f", o < 0 ? 0 : o }')
  bytes=0
  [ -n "$output" ] && [ -f "$output" ] && bytes=$(stat -c %s "$output")
  local quoted="${command//\"/\"\"}"
  echo "$case_name,$run,$name,$level,$wall,$user,$sys,$rss,$bytes,$input_bytes,$others,\"$quoted\"" >> "$csv"
  awk -v n="$name $level" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v b="$bytes" \
    'BEGIN { printf "  %-30s wall %7.2f s  cpu %7.2f s  rss %7.1f MiB  out %.0f\n", n, w, u + s, r / 1024, b }' >&2
}

# first_byte CASE RUN NAME FILE COMMAND: runs COMMAND (a shell string, prioritized as in measure()) and
# records when FILE (sindri: its temporary file or the archive) first holds compressed data.
first_byte() {
  local case_name="$1" run="$2" name="$3" file="$4" command="$5"
  prepare_cache
  wait_for_quiet
  local seconds
  seconds=$(python3 - "$file" "$command" <<'PY'
import glob, os, subprocess, sys, time
target, command = sys.argv[1], sys.argv[2]
directory, name = os.path.dirname(target), os.path.basename(target)
start = time.monotonic()
process = subprocess.Popen(["setsid", "-w", "bash", "-c",
    'if [ "$(id -u)" -eq 0 ]; then echo -19 > /proc/self/autogroup; exec nice -n -19 "$@"; fi; exec "$@"',
    "prioritized", "bash", "-c", "set -o pipefail; " + command])

def threshold(head):
    # pigz: past the 10-byte gzip header. sindri: past its first member, the manifest, one final
    # stored deflate block (10-byte header, 5-byte block header, LEN bytes, 8-byte trailer).
    if not name.startswith("sindri"):
        return 10
    if len(head) < 15 or head[:2] != b"\x1f\x8b" or head[10] != 1:
        return None
    return 10 + 5 + int.from_bytes(head[11:13], "little") + 8

first = None
while first is None:
    done = process.poll() is not None
    for path in glob.glob(os.path.join(directory, "." + name + ".sindri-tmp-*")) + [target]:
        try:
            with open(path, "rb") as f:
                head = f.read(16)
                size = os.fstat(f.fileno()).st_size
        except OSError:
            continue
        limit = threshold(head)
        if limit is not None and size > limit:
            first = time.monotonic() - start
            break
    if done:
        break
    time.sleep(0.002)
if process.wait() != 0:
    sys.exit("command failed")
print(f"{first if first is not None else time.monotonic() - start:.3f}")
PY
)
  local quoted="${command//\"/\"\"}"
  echo "$case_name,$run,first byte: $name,6,$seconds,0,0,0,0,$input_bytes,0,\"$quoted\"" >> "$csv"
  printf "  %-30s %7.3f s\n" "first byte: $name" "$seconds" >&2
}

# sindri once, then its member list (without its own metadata members) for tar.
select_members() {
  local probe="$work/probe.tar.gz"
  "$sindri" backup --home "$home" --profile full -o "$probe" >&2
  tar -tzf "$probe" --quoting-style=literal \
    | grep -v -x -e '.backup-manifest.json' -e '.backup-checksums.sha256' -e '.backup-summary.json' -e '.sindri/backup-index.jsonl' > "$list"
  rm -f "$probe" "$probe.sha256"
  input_bytes=$(cd "$home" && tr '\n' '\0' < "$list" | xargs -0 stat -c '%F %s' \
    | awk '$1 == "regular" { sum += $NF } END { printf "%d", sum }')
  echo "  $(wc -l < "$list") members, $input_bytes content bytes" >&2
}

tar_list="tar -C \"\$HOME_DIR\" -cf - --no-recursion --verbatim-files-from -T \"\$LIST\""

# run_case CASE LEVELS: the round-robin comparison at the given sindri/pigz levels.
run_case() {
  local case_name="$1"; shift
  local sindri_levels=("$@")
  csv="$here/PerfData/$case_name.csv"
  echo "case,run,tool,level,wall_s,user_s,sys_s,peak_rss_kib,output_bytes,input_bytes,others_cpu_s,command" > "$csv"
  export HOME_DIR="$home" LIST="$list"
  local out="$work/out"
  mkdir -p "$out"
  for run in $(seq 1 "$runs"); do
    echo "round $run/$runs ($case_name)" >&2
    for level in "${sindri_levels[@]}"; do
      rm -f "$out/sindri.tar.gz" "$out/sindri.tar.gz.sha256"
      measure "$case_name" "$run" sindri "$level" "$out/sindri.tar.gz" \
        "\"$sindri\" backup --home \"\$HOME_DIR\" --profile full --compression $level -o \"$out/sindri.tar.gz\" 2>/dev/null"
      for i in "${!also_names[@]}"; do
        rm -f "$out/sindri-also.tar.gz" "$out/sindri-also.tar.gz.sha256"
        measure "$case_name" "$run" "sindri ${also_names[$i]}" "$level" "$out/sindri-also.tar.gz" \
          "\"${also_bins[$i]}\" backup --home \"\$HOME_DIR\" --profile full --compression $level -o \"$out/sindri-also.tar.gz\" 2>/dev/null"
        rm -f "$out/sindri-also.tar.gz" "$out/sindri-also.tar.gz.sha256"
      done
      if [ "$case_name" = levels ]; then
        rm -f "$out/pigz.tar.gz"
        measure "$case_name" "$run" "tar|pigz -p 2" "$level" "$out/pigz.tar.gz" "$tar_list | pigz -p 2 -$level > \"$out/pigz.tar.gz\""
      fi
    done
    if [ "$case_name" != levels ]; then
      rm -f "$out/sindri.tar.gz" "$out/sindri.tar.gz.sha256" "$out/pigz.tar.gz"
      first_byte "$case_name" "$run" sindri "$out/sindri.tar.gz" \
        "\"$sindri\" backup --home \"\$HOME_DIR\" --profile full --compression 6 -o \"$out/sindri.tar.gz\" 2>/dev/null"
      for i in "${!also_names[@]}"; do
        rm -f "$out/sindri-also.tar.gz" "$out/sindri-also.tar.gz.sha256"
        first_byte "$case_name" "$run" "sindri ${also_names[$i]}" "$out/sindri-also.tar.gz" \
          "\"${also_bins[$i]}\" backup --home \"\$HOME_DIR\" --profile full --compression 6 -o \"$out/sindri-also.tar.gz\" 2>/dev/null"
        rm -f "$out/sindri-also.tar.gz" "$out/sindri-also.tar.gz.sha256"
      done
      first_byte "$case_name" "$run" "tar|pigz -p 2" "$out/pigz.tar.gz" "$tar_list | pigz -p 2 -6 > \"$out/pigz.tar.gz\""
      for level in 6 1 9; do
        [ "$quick" -eq 1 ] && [ "$level" != 6 ] && continue
        rm -f "$out/pigz.tar.gz"
        measure "$case_name" "$run" "tar|pigz -p 2" "$level" "$out/pigz.tar.gz" "$tar_list | pigz -p 2 -$level > \"$out/pigz.tar.gz\""
      done
      if [ "$quick" -eq 1 ]; then gzip -t "$out/sindri.tar.gz"; continue; fi
      rm -f "$out/tar.tar.gz"
      measure "$case_name" "$run" "tar -czf" 6 "$out/tar.tar.gz" "${tar_list/-cf -/-czf \"$out/tar.tar.gz\"}"
      measure "$case_name" "$run" "gzip -dc (sindri's)" 6 "" "gzip -dc \"$out/sindri.tar.gz\" > /dev/null"
      measure "$case_name" "$run" "pigz -dc (sindri's)" 6 "" "pigz -dc \"$out/sindri.tar.gz\" > /dev/null"
      gzip -t "$out/sindri.tar.gz"
    fi
  done
  rm -rf "$out"
  summarize "$case_name"
}

# summarize CASE: medians per (tool, level) and sindri's ratios, as PerfData/CASE.md.
summarize() {
  local case_name="$1"
  python3 - "$here/PerfData/$case_name.csv" "$here/PerfData/$case_name.md" "$case_name" "$command_line" "$(machine_info)" "$home" <<'PY'
import csv, statistics, sys
path, md, case, command, machine, home = sys.argv[1:7]
rows = list(csv.DictReader(open(path)))
groups = {}
first_bytes = {}
for r in rows:
    if r["tool"].startswith("first byte: "):
        first_bytes.setdefault(r["tool"][len("first byte: "):], []).append(float(r["wall_s"]))
        continue
    groups.setdefault((r["tool"], int(r["level"])), []).append(r)
def med(rs, key):
    return statistics.median(float(r[key]) for r in rs)
stats = {}
for key, rs in groups.items():
    wall = med(rs, "wall_s")
    cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
    rss = max(int(r["peak_rss_kib"]) for r in rs) / 1024
    out = int(rs[-1]["output_bytes"])
    inp = int(rs[-1]["input_bytes"])
    others = statistics.median(float(r["others_cpu_s"]) for r in rs)
    stats[key] = dict(wall=wall, cpu=cpu, rss=rss, out=out, inp=inp, n=len(rs), cmd=rs[-1]["command"], others=others)
inp = next(iter(stats.values()))["inp"]
lines = [f"# {case}: sindri backup vs tar + gzip/pigz", ""]
lines.append(f"Input: `{home}`, {inp:,} content bytes ({inp / 2**30:.2f} GiB). "
             f"Median of {max(s['n'] for s in stats.values())} round(s); peak RSS is the maximum over the rounds.")
lines += ["", machine, f"- Command: `{command.strip()}`", ""]
def mbps(s):
    return inp / s["wall"] / 1e6 if s["wall"] > 0 else float("nan")
if case == "levels":
    lines += ["| level | sindri bytes | sindri ratio | sindri MB/s | sindri wall s | sindri CPU s | sindri peak RSS MiB | pigz -p 2 bytes | pigz ratio | pigz MB/s | size vs pigz | wall vs pigz |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for level in range(1, 10):
        s, p = stats.get(("sindri", level)), stats.get(("tar|pigz -p 2", level))
        if not s or not p: continue
        lines.append(f"| {level} | {s['out']:,} | {s['out']/inp:.4f} | {mbps(s):.0f} | {s['wall']:.2f} | {s['cpu']:.2f} | {s['rss']:.0f} | "
                     f"{p['out']:,} | {p['out']/inp:.4f} | {mbps(p):.0f} | {s['out']/p['out']:.4f} | {s['wall']/p['wall']:.3f} |")
else:
    s6 = stats[("sindri", 6)]
    lines += ["| tool | level | wall s | CPU s (user+sys) | peak RSS MiB | output bytes | output/input | MB/s (input/wall) | sindri wall ÷ this | sindri CPU ÷ this | sindri size ÷ this | others' CPU s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (tool, level), s in sorted(stats.items(), key=lambda kv: (not kv[0][0].startswith("sindri"), "dc" in kv[0][0], kv[0][0], kv[0][1])):
        decompress = "dc" in tool
        size = f"{s['out']:,}" if s["out"] else "—"
        ratio = f"{s['out']/inp:.4f}" if s["out"] else "—"
        wall_ratio = "—" if decompress or tool == "sindri" else f"{s6['wall']/s['wall']:.3f}"
        cpu_ratio = "—" if decompress or tool == "sindri" else f"{s6['cpu']/s['cpu']:.3f}"
        size_ratio = "—" if decompress or tool == "sindri" or not s["out"] else f"{s6['out']/s['out']:.4f}"
        lines.append(f"| {tool} | {'' if decompress else level} | {s['wall']:.2f} | {s['cpu']:.2f} | {s['rss']:.1f} | {size} | {ratio} | {mbps(s):.0f} | {wall_ratio} | {cpu_ratio} | {size_ratio} | {s['others']:.1f} |")
peer = stats.get(("tar|pigz -p 2", 6))
if case != "levels" and peer:
    builds = sorted(t for (t, l) in stats if t.startswith("sindri") and l == 6)
    lines += ["", "Wall time ÷ tar | pigz -p 2 -6 (medians, same rounds): " +
              ", ".join(f"{t} {stats[(t, 6)]['wall'] / peer['wall']:.3f}" for t in builds) + "."]
if first_bytes:
    lines += ["", "Time to the first compressed byte (level 6; median of the rounds, measured apart from the timed runs): " +
              ", ".join(f"{tool} {statistics.median(v):.2f} s" for tool, v in sorted(first_bytes.items())) + "."]
lines += ["", "Exact commands (`$HOME_DIR` is the input, `$LIST` sindri's member list):", ""]
for (tool, level), s in sorted(stats.items()):
    lines.append(f"- {tool} {level}: `{s['cmd']}`")
lines += ["", f"Raw rows: `{path.split('/')[-1]}`.", ""]
open(md, "w").write("\n".join(lines))
print("\n".join(lines))
PY
}

# --- Inputs ----------------------------------------------------------------------------------------
generate_workspace() {
  if [ -n "$given_home" ]; then home="$(cd "$given_home" && pwd)"; return; fi
  local dir="$work/workspace-$size-$seed"
  if [ ! -f "$dir.perf-complete" ]; then
    rm -rf "$dir"
    echo "generating a $size workspace (seed $seed) in $dir" >&2
    "$generator" "$dir" --size "$size" --seed "$seed" >&2
    touch "$dir.perf-complete"
  fi
  home="$dir"
}

generate_small_files() {
  local dir="$work/small-files-$small_files-$seed"
  if [ ! -f "$dir.perf-complete" ]; then
    rm -rf "$dir"
    echo "generating $small_files small files (seed $seed) in $dir" >&2
    "$generator" "$dir" --small-files "$small_files" --seed "$seed" >&2
    touch "$dir.perf-complete"
  fi
  home="$dir"
}

# One big file of semi-compressible data: a 64 MiB block cut from a generated workspace's tar stream,
# written again and again, each copy rotated and with a few hundred bytes changed, so no copy equals
# another (deflate's 32 KiB window cannot see one copy from the next anyway). Sparse files would
# compress to nothing and read at memory speed: not what a real 10 GiB file (a VM image, a database) is.
generate_big_file() {
  local dir="$work/big-file-$big_size-$seed"
  local free_kib
  free_kib=$(df -Pk "$work" | awk 'NR==2 {print $4}')
  local want_bytes
  want_bytes=$(numfmt --from=iec "$big_size")
  if [ ! -f "$dir.perf-complete" ]; then
    if [ "$free_kib" -lt $(( want_bytes * 25 / 10 / 1024 )) ]; then
      echo "perf-compare: need $(( want_bytes * 25 / 10 / 1073741824 )) GiB free in $work for a $big_size file and its archives" >&2; exit 1
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    local seed_dir="$work/big-seed-$seed"
    rm -rf "$seed_dir"
    "$generator" "$seed_dir" --size 128M --seed "$seed" >&2
    # head closes the pipe after 64 MiB: tar's SIGPIPE is expected.
    (tar -C "$seed_dir" -cf - . || true) | head -c $((64 << 20)) > "$work/big-seed.bin"
    rm -rf "$seed_dir"
    echo "writing a $big_size file in $dir" >&2
    python3 - "$work/big-seed.bin" "$dir/big.bin" "$want_bytes" "$seed" <<'PY'
import random, sys
seed_path, out_path, total, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
base = open(seed_path, "rb").read()
rng = random.Random(seed)
written = 0
with open(out_path, "wb", buffering=0) as out:
    while written < total:
        shift = rng.randrange(len(base))
        block = bytearray(base[shift:] + base[:shift])
        for _ in range(256):
            block[rng.randrange(len(block))] = rng.randrange(256)
        chunk = memoryview(block)[: total - written]
        out.write(chunk)
        written += len(chunk)
PY
    rm -f "$work/big-seed.bin"
    touch "$dir.perf-complete"
  fi
  home="$dir"
}

# --- Cases -----------------------------------------------------------------------------------------
# The `full` profile archives the whole tree minus the always-excluded folders (caches, node_modules,
# build output...); tar reads exactly sindri's member list, so both archive the same files.
for case_name in "${cases[@]}"; do
  list="$work/$case_name.list"
  case "$case_name" in
    workspace) generate_workspace; select_members; run_case workspace 6 ;;
    levels) generate_workspace; select_members; runs_saved=$runs; runs=1; run_case levels 1 2 3 4 5 6 7 8 9; runs=$runs_saved ;;
    small-files) generate_small_files; select_members; run_case small-files 6 ;;
    big-file)
      # One file: the member list is known without a probe backup of 10 GiB.
      generate_big_file; echo big.bin > "$list"; input_bytes=$(stat -c %s "$home/big.bin"); runs_saved=$runs; runs=1; run_case big-file 6; runs=$runs_saved
      [ "$keep" -eq 1 ] || rm -rf "$work/big-file-$big_size-$seed" ;;
    *) echo "perf-compare: unknown case $case_name" >&2; exit 2 ;;
  esac
done
