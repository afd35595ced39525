#!/usr/bin/env bash
# Ensures a Go recent enough for the toolchain's wrapper modules (>= 1.26) and prints its bin dir.
# A plain Debian 12 has none (its golang-go is 1.19, too old even for GOTOOLCHAIN), and no Go download
# site is reachable here; the Go module proxy is, and it serves every Go release as the module
# golang.org/toolchain (what GOTOOLCHAIN itself downloads). So any Go fetches it with
# `go mod download`: the one on PATH, VIRTSTACK_GO_BOOTSTRAP, or Debian's golang-go installed for it.
# The module's folder is a whole Go distribution, read-only and without execute bits (module zips keep
# none): it is copied into the cache and its binaries made executable. Idempotent, safe to run
# concurrently (flock), a no-op when a recent Go is on PATH or cached.
set -euo pipefail
GO_VERSION="${VIRTSTACK_GO_VERSION:-1.26.8}"
MIN_MINOR=26
CACHE="${VIRTSTACK_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtstack/go}"
DEST="$CACHE/go$GO_VERSION"

# recent GO_BINARY: its `go version` says go1.N with N >= MIN_MINOR.
recent() {
  local minor
  minor="$("$1" version 2>/dev/null | sed -n 's/^go version go1\.\([0-9]*\).*/\1/p')"
  [ -n "$minor" ] && [ "$minor" -ge "$MIN_MINOR" ]
}

onpath="$(command -v go || true)"
if [ -n "$onpath" ] && recent "$onpath"; then dirname "$onpath"; exit 0; fi
if [ -x "$DEST/bin/go" ]; then echo "$DEST/bin"; exit 0; fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) echo "virtstack: no Go for this machine ($(uname -m)); install Go >= 1.$MIN_MINOR and put it on PATH" >&2; exit 1 ;;
esac

boot="${VIRTSTACK_GO_BOOTSTRAP:-$onpath}"
if [ -z "$boot" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "virtstack: Go >= 1.$MIN_MINOR is needed and there is no Go at all to fetch it with: install Debian's golang-go (apt-get install golang-go) or any Go, then run again" >&2
    exit 1
  fi
  echo "virtstack: installing Debian's golang-go, only to fetch Go $GO_VERSION from the Go module proxy with it" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends golang-go >&2
  boot="$(command -v go)"
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ ! -x "$DEST/bin/go" ]; then
  module="golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch"
  echo "virtstack: no Go >= 1.$MIN_MINOR here ($("$boot" version 2>/dev/null || echo "$boot: not runnable")); fetching Go $GO_VERSION from the Go module proxy ($module) into $DEST" >&2
  tmp="$(mktemp -d "$CACHE/.tmp.XXXXXX")"
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
  # A module cache of its own: the distribution is copied out of it, and the download is not kept twice.
  # GOTOOLCHAIN=local: a Go new enough to know GOTOOLCHAIN must not try to switch by itself.
  if ! GOMODCACHE="$tmp/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local GO111MODULE=on "$boot" mod download -json "$module" >"$tmp/download.json" 2>"$tmp/err"; then
    echo "virtstack: the Go module proxy did not give $module:" >&2
    # The proxy's address is never printed.
    sed 's#https\?://[^ ]*#<module proxy>#g' "$tmp/download.json" "$tmp/err" | grep -v '^[{}]' >&2 || true
    exit 1
  fi
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$tmp/download.json")"
  [ -x "$dir/bin/go" ] || [ -f "$dir/bin/go" ] || { echo "virtstack: $module has no bin/go (folder: $dir)" >&2; exit 1; }
  cp -a "$dir" "$tmp/go"
  chmod -R u+w "$tmp/go"
  chmod +x "$tmp/go/bin/"* "$tmp/go/pkg/tool/"*/*
  got="$("$tmp/go/bin/go" version)"
  case "$got" in
    "go version go$GO_VERSION "*) ;;
    *) echo "virtstack: the fetched Go says '$got', not go$GO_VERSION" >&2; exit 1 ;;
  esac
  mv "$tmp/go" "$DEST"
fi
echo "$DEST/bin"
