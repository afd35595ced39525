#!/usr/bin/env bash
# usage: toolchain/debian-packages.sh PKG...   Installs the Debian packages that are missing; a no-op when all are.
# Shared by every part of the project that needs Debian software, so concurrent callers wait on dpkg's lock
# instead of failing, and `apt-get update` runs at most once per hour.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "virtstack: installing ${missing[*]} needs root (run as root, or install them yourself)" >&2; exit 1; }
stamp=/var/lib/apt/periodic/virtstack-update-stamp
mkdir -p "$(dirname "$stamp")"
if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
  echo "virtstack: apt-get update" >&2
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 && touch "$stamp"
fi
echo "virtstack: installing Debian packages: ${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
