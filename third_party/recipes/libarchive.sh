#!/usr/bin/env bash
# Recipe: a minimal static libarchive (tar + gzip/zstd, xattrs kept) from Debian's source package.
# Debian's own libarchive.a drags in libxml2, ICU, nettle, lzma, acl...; tug reads and writes tar only.
# Called by build-deps.sh as: libarchive.sh SRC_DIR PREFIX DESTDIR (patches already applied).
set -euo pipefail
src=$1 prefix=$2 destdir=$3
cd "$src"

autoreconf -fi
# xattr stays on: it needs only glibc's <sys/xattr.h> and lets archive_write_disk restore
# the SCHILY.xattr entries of image layers (e.g. security.capability). ACLs need libacl: off.
# No -g: smaller archives and a faster cold build; tug links these into one binary.
CFLAGS="-O2 -pipe" ./configure --prefix="$prefix" --disable-shared --enable-static \
  --disable-bsdtar --disable-bsdcpio --disable-bsdcat --disable-acl \
  --with-zlib --with-zstd \
  --without-xml2 --without-expat --without-openssl --without-nettle --without-mbedtls \
  --without-lzma --without-bz2lib --without-lz4 --without-libb2 --without-lzo2 --without-iconv

make -j"${JOBS:-2}" libarchive.la
make install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA DESTDIR="$destdir"
