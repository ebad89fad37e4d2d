#!/bin/bash
# The demo behind `make demo`: build a busybox image from busybox-static, import it, run a
# container in it and show what it sees. Runs as the invoking user with that user's own store;
# started as root it switches to the unprivileged test user `tugtest` when that user exists.
#
# Env: TUG (binary, default <repo>/build/tug), TUG_DEMO_AS_ROOT=1 to stay root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
TUG=${TUG:-$repo/build/tug}
[[ $TUG == /* ]] || TUG=$PWD/$TUG

if [ ! -x "$TUG" ]; then
  echo "demo: no tug binary at $TUG: run 'make build' first" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ] && [ -z "${TUG_DEMO_AS_ROOT:-}" ] && id -u tugtest >/dev/null 2>&1 &&
  runuser -u tugtest -- test -r "$0" -a -x "$TUG" -a -r "$repo/tests/fixtures/busybox-rootfs.sh"; then
  home=$(getent passwd tugtest | cut -d: -f6)
  echo "demo: running as the unprivileged user 'tugtest' (rootless); TUG_DEMO_AS_ROOT=1 to stay root"
  exec runuser -u tugtest -- env -i HOME="$home" USER=tugtest LOGNAME=tugtest LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TUG="$TUG" "$0" "$@"
fi

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
# Prints a command line as a user would type it, quoting what needs quotes.
print_cmd() {
  local out="$" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=" $a"
    else
      out+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  echo "$out"
}
show() {
  print_cmd "$@"
  "$@"
}
# "tug" rather than the binary's full path in what is shown.
tug() {
  print_cmd tug "$@"
  "$TUG" "$@"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tug-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "tug demo as $(id -un) (uid $(id -u)), binary $TUG"

step "tug is one static file"
show file -L "$TUG" | sed "s|$TUG|build/tug|"
tug version

step "How tug will run containers for $(id -un)"
tug info

step "Build a minimal rootfs from Debian's busybox-static"
show "$repo/tests/fixtures/busybox-rootfs.sh" "$tmp/busybox.tar"
echo "$(tar -tf "$tmp/busybox.tar" | wc -l) entries, $(du -h "$tmp/busybox.tar" | cut -f1)"

step "Import it as an image"
tug import "$tmp/busybox.tar" busybox:demo
tug images

step "Run a container: its own hostname, its own user namespace"
tug run --rm busybox:demo sh -c 'echo hello from $(hostname); cat /proc/self/uid_map'

step "Done. Try it yourself:"
echo "  $TUG run --rm -it busybox:demo sh"
