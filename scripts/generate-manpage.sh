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
# The plugin copies the blank lines of the help texts, which mdoc warns about ("Empty input
# line"); a paragraph break is what they mean.
sed 's/^$/.Pp/' "$generated" > docs/sindri.1
# The plugin's EXIT STATUS is the generic "0 on success, >0 on error"; sindri's codes mean more.
python3 - docs/sindri.1 <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
table = [("0", "success"), ("1", "failure"),
         ("3", "completed with warnings: the archive is valid but incomplete (e.g. unreadable files were skipped); --dry-run returns what the real run would"),
         ("4", "verification failed, or the archive is damaged"), ("5", "restore failed and was rolled back"),
         ("6", "restore failed and rollback failed too (the message names the snapshot)"),
         ("11", "the home is locked by another restore or rollback"),
         ("64", "usage error (bad option, missing or unusable path)"),
         ("130", "interrupted by SIGINT (partial output removed)"), ("143", "terminated by SIGTERM (partial output removed)")]
section = '.Sh "EXIT STATUS"\n.Bl -tag -width 6n\n' + "".join(f".It {code}\n{meaning}\n" for code, meaning in table) + ".El\n"
text = text.replace('.Sh "EXIT STATUS"\n.Ex -std', section.rstrip())
open(path, "w").write(text)
PY
echo "wrote docs/sindri.1 ($(wc -l < docs/sindri.1) lines, dated $date)"
