#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit and end-to-end).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/install-deps.sh" --test-tools
cd "$here"
swift build --product sindri
# The S3 tests talk to a local SeaweedFS server on 127.0.0.1, started here on free ports and
# stopped by its PID when this script ends, however it ends.
s3_dir="$(mktemp -d "${TMPDIR:-/tmp}/sindri-s3-test.XXXXXX")"
trap 'bash "$here/scripts/s3-test-server.sh" stop "$s3_dir"; rm -rf "$s3_dir"' EXIT
eval "$(bash "$here/scripts/s3-test-server.sh" start "$s3_dir")"
swift test
# Each fuzz target 10 s over a copy of its seed corpus, after a sanitizer build of Fuzz/ (scripts/fuzz.sh).
bash "$here/scripts/fuzz.sh" "${SINDRI_FUZZ_SECONDS:-10}"
