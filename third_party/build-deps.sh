#!/usr/bin/env bash
# Builds the static libraries Debian does not ship usable as-is (libarchive, libcurl, libslirp)
# from Debian source packages, into a cached prefix; prints that prefix as the last stdout line.
#
# The prefix is /var/cache/tug-deps/<key>, key = hash of (these scripts, the Debian source
# versions, the -dev packages they compile against, `gcc --version`). A prefix exists only
# once complete (built under a temp dir, stamped, then renamed into place), so a warm run just
# checks for the stamp. Concurrent runs serialise on a flock of the cache dir.
#
# Layout: PREFIX/lib/{libarchive,libcurl,libslirp}.a, PREFIX/lib/pkgconfig/*.pc,
#         PREFIX/include/{archive.h,archive_entry.h,curl/,slirp/}.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TUG_DEPS_CACHE:-/var/cache/tug-deps}
jobs=${JOBS:-$(nproc)}
# A recipe's file name is its Debian source package's name.
packages=(libarchive curl libslirp)
# -dev packages whose headers the recipes compile against: a new version means a rebuild.
dev_packages=(libssl-dev zlib1g-dev libzstd-dev libglib2.0-dev)

log() { echo "build-deps: $*" >&2; }

# Newest version of a source package in the apt lists (what `apt-get source` would fetch).
source_version() {
  local best="" v
  while read -r v; do
    if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done < <(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p')
  if [[ -z $best ]]; then
    log "no source package '$1' in the apt lists (is deb-src configured? run third_party/apt-sources.sh)"
    return 1
  fi
  echo "$best"
}

# Writes the key inputs to stdout; the key is their hash.
key_inputs() {
  local p f
  for p in "${packages[@]}"; do
    echo "source $p $(source_version "$p")"
  done
  dpkg-query -W -f='dev ${Package} ${Version}\n' "${dev_packages[@]}"
  gcc --version | head -n1
  for f in "$here/build-deps.sh" "$here"/recipes/*.sh; do
    echo "recipe ${f#"$here"/} $(sha256sum <"$f" | cut -d' ' -f1)"
  done
}

"$here/apt-sources.sh"
inputs=$(key_inputs)
key=$(sha256sum <<<"$inputs" | cut -c1-16)
prefix=$cache/$key
if [[ -f $prefix/.tug-deps-stamp ]]; then
  echo "$prefix"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
log "cache miss for $prefix; taking the lock $cache/.lock"
flock 9

# Fresh lists, so the versions we pin are still on the mirror; this may change the key.
apt-get update -qq || log "apt-get update failed; using the package lists as they are"
inputs=$(key_inputs)
key=$(sha256sum <<<"$inputs" | cut -c1-16)
prefix=$cache/$key
if [[ -f $prefix/.tug-deps-stamp ]]; then
  echo "$prefix"
  exit 0
fi

# Anything temporary left here is from a run that died while holding the lock.
rm -rf "$cache"/.tmp-*
tmp=$(mktemp -d "$cache/.tmp-$key-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
log "building into $prefix (logs in $tmp/*.log while it runs)"
started=$SECONDS

# Fetch serially (apt locks its own state), then build all recipes at once: most of the
# time goes to single-threaded autoreconf/configure, so overlapping them fills both cores.
for p in "${packages[@]}"; do
  v=$(sed -n "s/^source $p //p" <<<"$inputs")
  mkdir -p "$tmp/$p"
  (cd "$tmp/$p" && apt-get -o APT::Sandbox::User=root source -qq "$p=$v" >"$tmp/$p.log" 2>&1) || {
    tail -n 30 "$tmp/$p.log" >&2
    log "apt-get source $p=$v failed"
    exit 1
  }
done

declare -A pids
for p in "${packages[@]}"; do
  src=$(find "$tmp/$p" -mindepth 1 -maxdepth 1 -type d)
  JOBS=$jobs bash "$here/recipes/$p.sh" "$src" "$prefix" "$stage" >>"$tmp/$p.log" 2>&1 &
  pids[$p]=$!
done
failed=0
for p in "${packages[@]}"; do
  if wait "${pids[$p]}"; then
    log "$p built"
  else
    tail -n 40 "$tmp/$p.log" >&2
    log "recipe $p failed (log above)"
    failed=1
  fi
done
((failed == 0)) || exit 1

# libtool archives and man pages are not needed and carry build paths.
rm -rf "$stage$prefix/share" "$stage$prefix"/lib/*.la
printf '%s\n' "$inputs" >"$stage$prefix/.tug-deps-stamp"
rm -rf "$prefix" # no stamp: an incomplete leftover, never a finished prefix
mv -T "$stage$prefix" "$prefix"
log "done in $((SECONDS - started)) s"
echo "$prefix"
