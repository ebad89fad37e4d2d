#!/usr/bin/env bash
# Recipe: static libslirp (user-mode TCP/IP stack) from Debian's source package, built with meson.
# It links against Debian's static glib (libglib2.0-dev): add glib-2.0 and pcre2-8 at link time.
# Called by build-deps.sh as: libslirp.sh SRC_DIR PREFIX DESTDIR (patches already applied).
set -euo pipefail
src=$1 prefix=$2 destdir=$3
cd "$src"

# --libdir=lib: keep every recipe's archives in PREFIX/lib, not lib/x86_64-linux-gnu.
meson setup _build --prefix="$prefix" --libdir=lib --default-library=static --buildtype=release
ninja -C _build -j"${JOBS:-2}" libslirp.a
DESTDIR="$destdir" meson install -C _build --no-rebuild
