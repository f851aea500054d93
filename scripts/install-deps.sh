#!/usr/bin/env bash
# Installs the C libraries sindri links against and the tools its tests read archives with.
# Debian/Ubuntu; needs root (or sudo). Safe to run again.
set -euo pipefail
packages=(zlib1g-dev liblz4-dev libdeflate-dev)
if [ "${1:-}" = "--test-tools" ]; then
  # man-db and groff-base: the test that docs/sindri.1 renders without warnings;
  # librsvg2-bin: rsvg-convert, to look at the bench plot as a picture;
  # age (and age-keygen): the encryption interop tests.
  packages+=(pigz libarchive-tools lz4 python3 git tar gzip coreutils util-linux man-db groff-base librsvg2-bin age)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
