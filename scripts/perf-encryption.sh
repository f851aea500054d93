#!/usr/bin/env bash
# Measures what age encryption costs: backup and restore with and without --recipient, and
# `sindri backup -o - | age -r` as the peer, side by side on the same generated tree, in one run.
#
#   round-robin for --runs rounds, page cache dropped before each command (root):
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
echo "round,command,wall_s,user_s,sys_s,max_rss_kib,load_1min" > "$csv"
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
measure() {  # name, command...
  local name="$1"; shift
  drop
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" bash -c "$*" >/dev/null 2>&1
  read -r wall user sys rss < "$work/time.txt"
  echo "$round,$name,$wall,$user,$sys,$rss,$load" >> "$csv"
  echo "$round $name $wall s (load $load)" >&2
}
restore_into() {  # home, archive, extra options
  echo "mkdir '$homes/$1' && '$bin/sindri' restore '$2' --home '$homes/$1' --no-interactive $3"
}
for round in $(seq 1 "$runs"); do
  measure "backup" "'$bin/sindri' backup --home '$tree' -p full -o '$work/plain.tar.gz' -q"
  measure "backup --recipient" "'$bin/sindri' backup --home '$tree' -p full -o '$work/enc.tar.gz.age' --recipient '$recipient' -q"
  measure "backup -o - | age -r" "set -o pipefail; '$bin/sindri' backup --home '$tree' -p full -o - -q | age -r '$recipient' > '$work/peer.tar.gz.age'"
  measure "restore" "$(restore_into "plain-$round" "$work/plain.tar.gz" "")"
  measure "restore --identity" "$(restore_into "enc-$round" "$work/enc.tar.gz.age" "--identity '$key'")"
  measure "age -d | restore -" "set -o pipefail; mkdir '$homes/peer-$round' && age -d -i '$key' '$work/peer.tar.gz.age' | '$bin/sindri' restore - --home '$homes/peer-$round' --no-interactive"
done
ls -l "$work/plain.tar.gz" "$work/enc.tar.gz.age" "$work/peer.tar.gz.age" >&2
rm -rf "$homes"
