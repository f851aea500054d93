#!/usr/bin/env bash
# Installs the C libraries sindri links against and the tools its tests read archives with.
# Debian/Ubuntu; needs root (or sudo). Safe to run again.
set -euo pipefail
packages=(zlib1g-dev liblz4-dev libdeflate-dev)
if [ "${1:-}" = "--test-tools" ]; then
  packages+=(pigz libarchive-tools lz4 python3 git tar gzip coreutils util-linux)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
