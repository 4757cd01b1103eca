#!/usr/bin/env bash
# Install the Debian/Ubuntu packages voicetrainer needs, only those missing (idempotent).
# Usage: scripts/system-deps.sh [run|test]
set -euo pipefail
packages=(espeak-ng libportaudio2 libsndfile1)
if [ "${1:-run}" = test ]; then
  packages+=(pulseaudio pulseaudio-utils libasound2-plugins chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "voicetrainer needs these system packages: ${missing[*]} (install them with your package manager)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
