#!/usr/bin/env bash
# Regenerates docs/sindri.1 from the command definitions, with swift-argument-parser's
# generate-manual plugin, so the man page never drifts from `sindri --help`.
#
#   scripts/generate-manpage.sh                  # release build, date of the last commit
#   SCRATCH_PATH=.build-cli CONFIGURATION=debug scripts/generate-manpage.sh
#
# Commit the result: docs/sindri.1 is installed as man/man1/sindri.1 and read with `man -l docs/sindri.1`.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${SCRATCH_PATH:-.build}"
configuration="${CONFIGURATION:-release}"
# A fixed date keeps the file byte-identical between runs on an unchanged tree.
date="${MANPAGE_DATE:-$(git log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)}"

swift package --scratch-path "$scratch" plugin generate-manual \
    --configuration "$configuration" --date "$date" --section 1
generated="$scratch/plugins/GenerateManual/outputs/sindri/sindri.1"
[ -f "$generated" ] || { echo "generate-manpage: $generated was not produced" >&2; exit 1; }
mkdir -p docs
cp "$generated" docs/sindri.1
echo "wrote docs/sindri.1 ($(wc -l < docs/sindri.1) lines, dated $date)"
