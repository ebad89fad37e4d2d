#!/usr/bin/env bash
# Adds deb-src entries for bookworm so the recipes can `apt-get source` the libraries they build.
# Idempotent: rewrites one file of ours and runs `apt-get update` only when that file changed.
set -euo pipefail

file=/etc/apt/sources.list.d/tug-deb-src.sources
want='Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'

if [[ -f $file ]] && [[ "$(cat "$file")" == "$want" ]]; then
  exit 0
fi
printf '%s\n' "$want" >"$file.tmp"
mv "$file.tmp" "$file"
apt-get update -qq
