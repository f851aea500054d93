#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit and end-to-end).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/install-deps.sh" --test-tools
cd "$here"
swift build --product sindri
swift test
# Each fuzz target for a bounded time over its seed corpus (build included: see the README).
bash "$here/scripts/fuzz.sh" "${SINDRI_FUZZ_SECONDS:-20}"
