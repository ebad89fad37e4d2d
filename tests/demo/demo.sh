#!/bin/bash
# The demo behind `make demo`: build a busybox image from busybox-static, import it, run a
# container in it and show what it sees; then the seed's scenario: a Debian+nginx image pushed
# to a local registry and pulled, the seed's Dockerfile built on it with `tug build` and pushed
# to a new repository (base layers mounted, only the new one uploaded), and two nginx containers on ports 8000 and 8001. Runs as the
# invoking user with that user's own store;
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

# The Debian+nginx image (debootstrap) needs root the first time; later any user reads the cache.
if [ "$(id -u)" -eq 0 ] && [ -z "${TUG_DEMO_IMAGES:-}" ]; then
  # Kept for the next demo (a cache, as the debootstrap tree it comes from); rebuilt each time,
  # which takes seconds once the tree is cached.
  TUG_DEMO_IMAGES=/var/cache/tug-demo/images
  rm -rf "$TUG_DEMO_IMAGES" && mkdir -p "$TUG_DEMO_IMAGES"
  echo "demo: building the Debian+nginx image (debootstrap, cached in /var/cache/tug-debootstrap)"
  BUSYBOX_TAR="" "$repo/tests/fixtures/debian-image.sh" "$TUG_DEMO_IMAGES" >/dev/null
  chmod -R a+rX "$TUG_DEMO_IMAGES"
  export TUG_DEMO_IMAGES
fi

if [ "$(id -u)" -eq 0 ] && [ -z "${TUG_DEMO_AS_ROOT:-}" ] && id -u tugtest >/dev/null 2>&1 &&
  runuser -u tugtest -- test -r "$0" -a -x "$TUG" -a -r "$repo/tests/fixtures/busybox-rootfs.sh"; then
  home=$(getent passwd tugtest | cut -d: -f6)
  echo "demo: running as the unprivileged user 'tugtest' (rootless); TUG_DEMO_AS_ROOT=1 to stay root"
  exec runuser -u tugtest -- env -i HOME="$home" USER=tugtest LOGNAME=tugtest LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TUG="$TUG" \
    TUG_DEMO_IMAGES="${TUG_DEMO_IMAGES:-}" "$0" "$@"
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
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$tmp/run}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

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

# --- the seed's scenario: an nginx image through a registry, two containers on 8000 and 8001 --
images=${TUG_DEMO_IMAGES:-$tmp/images}
if [ ! -d "$images/oci" ]; then
  step "Build the Debian+nginx image (debootstrap; cached after the first time)"
  show "$repo/tests/fixtures/debian-image.sh" "$images" >/dev/null
fi

step "A local registry (Debian's docker-registry on a loopback port)"
registry_dir=$tmp/registry
"$repo/tests/fixtures/registry.sh" start http "$registry_dir" >/dev/null
# shellcheck source=/dev/null
source "$registry_dir/env"
cleanup() {
  "$TUG" rm -f web1 web2 >/dev/null 2>&1 || true
  "$repo/tests/fixtures/registry.sh" stop "$registry_dir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
echo "registry at $REGISTRY_ADDR"
show skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$images/oci:nginx" \
  "docker://$REGISTRY_ADDR/seed/nginx:1.0"

step "Pull it (the layers stream in parallel, verified, straight into the store)"
tug pull "$REGISTRY_ADDR/seed/nginx:1.0"

step "Build the seed's image from a Dockerfile like the article's (debootstrap did its apt-get lines)"
mkdir -p "$tmp/web"
cat >"$tmp/web/Dockerfile" <<EOF
FROM $REGISTRY_ADDR/seed/nginx:1.0
RUN echo "\ndaemon off;" >> /etc/nginx/nginx.conf
WORKDIR /etc/nginx
EXPOSE 80
ENTRYPOINT ["nginx"]
EOF
cat "$tmp/web/Dockerfile"
tug build -t "$REGISTRY_ADDR/seed/web:latest" "$tmp/web"
step "Push it to a new repository: the base layers are mounted from seed/nginx, only the new layer is uploaded"
tug push "$REGISTRY_ADDR/seed/web:latest"

step "Two nginx containers from one image, on ports 8000 and 8001"
tug run -d --name web1 -p 8000:80 "$REGISTRY_ADDR/seed/web:latest"
tug run -d --name web2 -p 8001:80 "$REGISTRY_ADDR/seed/web:latest"
tug ps
for port in 8000 8001; do
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  print_cmd curl -s "http://127.0.0.1:$port/"
  curl -fsS "http://127.0.0.1:$port/" | grep -o '<title>.*</title>'
done
tug exec web1 nginx -v

step "Clean up"
tug rm -f web1 web2

step "Done. Try it yourself:"
echo "  $TUG run --rm -it busybox:demo sh"
