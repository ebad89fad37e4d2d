#!/usr/bin/env bash
# Recipe: a static libcurl speaking HTTP(S) (and file://) over OpenSSL, from Debian's source package.
# Debian's libcurl.a needs GSSAPI, nghttp2, libssh2, ldap...; this one needs -lssl -lcrypto -lzstd -lz.
# Called by build-deps.sh as: curl.sh SRC_DIR PREFIX DESTDIR (patches already applied).
set -euo pipefail
src=$1 prefix=$2 destdir=$3
cd "$src"

# Debian appends patches that rename the library to libcurl-gnutls / libcurl-nss for its
# other flavours (90_gnutls.patch, 99_nss.patch, after a marker line in the series); undo
# them, newest first, to get a plain libcurl built against OpenSSL.
mapfile -t flavour < <(sed -n '/^# Do not add patches below/,$p' debian/patches/series |
  grep -v -e '^#' -e '^[[:space:]]*$' | tac)
for p in "${flavour[@]}"; do
  patch -R -p1 -s <"debian/patches/$p"
done
if ! grep -q '^lib_LTLIBRARIES = libcurl.la$' lib/Makefile.am; then
  echo "curl recipe: lib/Makefile.am still builds a renamed libcurl; check debian/patches/series" >&2
  exit 1
fi

autoreconf -fi
# No -g: smaller archives and a faster cold build; tug links these into one binary.
CFLAGS="-O2 -pipe" ./configure --prefix="$prefix" --disable-shared --enable-static \
  --with-openssl --with-zlib --with-zstd --disable-openssl-auto-load-config \
  --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
  --enable-http --enable-file --enable-proxy --enable-ipv6 --enable-unix-sockets --enable-threaded-resolver \
  --disable-ftp --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
  --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher \
  --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-ares \
  --disable-websockets \
  --without-brotli --without-libpsl --without-libgsasl --without-libssh2 --without-libssh \
  --without-wolfssh --without-librtmp --without-libidn2 --without-nghttp2 --without-ngtcp2 \
  --without-nghttp3 --without-quiche --without-msh3 --without-hyper --without-gssapi \
  --without-zsh-functions-dir --without-fish-functions-dir

# Only the library: the curl tool, docs and tests are not needed.
make -C lib -j"${JOBS:-2}"
make -C lib install DESTDIR="$destdir"
make -C include install DESTDIR="$destdir"
make install-pkgconfigDATA DESTDIR="$destdir"
