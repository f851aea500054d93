#!/usr/bin/env bash
# Sets up a fresh machine and backs up your home directory into the current directory.
# Extra arguments go to `sindri backup` (e.g. --profile user-data -o ./backups/).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/install-deps.sh"
swift build -c release --package-path "$here" --product sindri >&2
exec "$here/.build/release/sindri" backup "$@"
