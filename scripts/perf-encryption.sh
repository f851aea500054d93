#!/usr/bin/env bash
# Measures what age encryption costs: backup and restore with and without --recipient, and
# `sindri backup -o - | age -r` as the peer, side by side on the same generated tree, in one run.
#
#   round-robin for --runs rounds (plain and encrypted swap places in even rounds); before each
#   command the page cache is dropped and its input read once (root), and each runs at nice -19
#   in its own autogroup (see measure()):
#     sindri backup -o plain.tar.gz                      (no encryption)
#     sindri backup -o enc.tar.gz.age --recipient R      (sindri's encryption)
#     sindri backup -o - | age -r R > peer.tar.gz.age    (the stock age tool as the peer)
#     sindri restore plain.tar.gz   into an empty home   (durable)
#     sindri restore enc.tar.gz.age into an empty home   (--identity)
#     age -d -i K peer.tar.gz.age | sindri restore -     (the stock age tool as the peer)
# Every restore goes into a new empty home, and the homes are deleted only after the last
# round: ext4 without a journal (this machine's root) scans past inodes freed in the last
# minute when it creates files, so a restore started right after an `rm -rf` of 30,000 files
# pays seconds of system time that have nothing to do with it (it made a restore look 50%
# slower than the one before it).
# Results: PerfData/encryption.csv; the medians go into PerfData/encryption.md by hand.
# Usage: scripts/perf-encryption.sh [--size 512M] [--seed 42] [--runs 3] [--work DIR] [--scratch DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size=512M; seed=42; runs=3; work="$here/PerfData/tmp"; scratch="$here/.build-release"
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2;; --seed) seed="$2"; shift 2;; --runs) runs="$2"; shift 2;;
    --work) work="$2"; shift 2;; --scratch) scratch="$2"; shift 2;; *) echo "unknown option $1" >&2; exit 64;;
  esac
done
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
command -v age >/dev/null || { apt-get update -qq && apt-get install -y -qq age; }
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri >&2
swift build -c release --package-path "$here" --scratch-path "$scratch" --product sindri-workspace >&2
bin="$(swift build -c release --package-path "$here" --scratch-path "$scratch" --show-bin-path)"
mkdir -p "$work"
tree="$work/workspace-$size-$seed"
[ -d "$tree" ] || "$bin/sindri-workspace" "$tree" --size "$size" --seed "$seed" >&2
key="$work/perf-key.txt"
rm -f "$key"; "$bin/sindri" keygen -o "$key" > "$work/perf-recipient.txt" 2>/dev/null
recipient="$(cat "$work/perf-recipient.txt")"
homes="$work/homes"
if [ -d "$homes" ]; then  # an earlier run's homes: freed a minute before the first command
  rm -rf "$homes"; sync; sleep 65
fi
mkdir -p "$homes"
csv="$here/PerfData/encryption.csv"
echo "round,command,wall_s,user_s,sys_s,max_rss_kib,load_1min,others_cpu_s" > "$csv"
# Same cache state for every command: page cache dropped, then its input read once (warm).
prepare_cache() {  # input (a tree or a file)
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  if [ -d "$1" ]; then tar -C "$1" -cf - . | cat > /dev/null; else cat "$1" > /dev/null; fi
}
# CPU time (jiffies, all cores) the whole machine has spent busy since boot.
machine_busy() { awk 'NR == 1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# measure NAME INPUT COMMAND: as in perf-compare.sh, the command runs in a session of its own
# whose autogroup has nice -19 (and nice -19 inside it), so on a machine shared with builds and
# tests CFS gives it nearly both cores, whichever command it is; `others_cpu_s` is the CPU the
# rest of the machine still used meanwhile.
measure() {
  local name="$1" input="$2" command="$3"
  prepare_cache "$input"
  local load busy_before busy_after hz; hz=$(getconf CLK_TCK)
  load="$(cut -d' ' -f1 /proc/loadavg)"
  busy_before=$(machine_busy)
  setsid -w bash -c 'echo -19 > /proc/self/autogroup 2>/dev/null; exec nice -n -19 "$@"' prioritized \
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" bash -c "set -o pipefail; $command" >/dev/null 2>&1 \
    || { echo "perf-encryption: '$command' failed" >&2; exit 1; }
  busy_after=$(machine_busy)
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  local others
  others=$(awk -v b="$((busy_after - busy_before))" -v hz="$hz" -v u="$user" -v s="$sys" 'BEGIN { o = b / hz - u - s; printf "%.2f", o < 0 ? 0 : o }')
  echo "$round,$name,$wall,$user,$sys,$rss,$load,$others" >> "$csv"
  echo "$round $name: wall $wall s, cpu $user + $sys s (load $load, others $others s)" >&2
}
restore_into() {  # home, archive, extra options
  echo "mkdir '$homes/$1' && '$bin/sindri' restore '$2' --home '$homes/$1' --no-interactive $3"
}
backup_plain() { measure "backup" "$tree" "'$bin/sindri' backup --home '$tree' -p full -o '$work/plain.tar.gz' -q"; }
backup_encrypted() { measure "backup --recipient" "$tree" "'$bin/sindri' backup --home '$tree' -p full -o '$work/enc.tar.gz.age' --recipient '$recipient' -q"; }
restore_plain() { measure "restore" "$work/plain.tar.gz" "$(restore_into "plain-$round" "$work/plain.tar.gz" "")"; }
restore_encrypted() { measure "restore --identity" "$work/enc.tar.gz.age" "$(restore_into "enc-$round" "$work/enc.tar.gz.age" "--identity '$key'")"; }
for round in $(seq 1 "$runs"); do
  # Plain first in odd rounds, encrypted first in even ones: whatever the position in a round
  # costs (the command before it, the machine's drift) falls on both alike.
  if [ $((round % 2)) -eq 1 ]; then backup_plain; backup_encrypted; else backup_encrypted; backup_plain; fi
  measure "backup -o - | age -r" "$tree" "'$bin/sindri' backup --home '$tree' -p full -o - -q | age -r '$recipient' > '$work/peer.tar.gz.age'"
  if [ $((round % 2)) -eq 1 ]; then restore_plain; restore_encrypted; else restore_encrypted; restore_plain; fi
  measure "age -d | restore -" "$work/peer.tar.gz.age" "mkdir '$homes/peer-$round' && age -d -i '$key' '$work/peer.tar.gz.age' | '$bin/sindri' restore - --home '$homes/peer-$round' --no-interactive"
done
ls -l "$work/plain.tar.gz" "$work/enc.tar.gz.age" "$work/peer.tar.gz.age" >&2
rm -rf "$homes"
