#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit and end-to-end).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/install-deps.sh" --test-tools
cd "$here"
swift build --product sindri
swift test
# Each fuzz target 20 s over a copy of its seed corpus, after a sanitizer build of Fuzz/ (scripts/fuzz.sh).
bash "$here/scripts/fuzz.sh" "${SINDRI_FUZZ_SECONDS:-20}"
