# Shared setup for the registry tests (pull, push, login, faults): throwaway registries from
# tests/fixtures/registry.sh, the test images (tests/fixtures/debian-image.sh), skopeo to put
# them there, and counting what the registry served.
#
# Load after helpers: `load helpers` then `load registry_helpers`.
# Environment: TUG_TEST_FIXTURES/images (run.sh builds it once: oci/ and images.env); without it
# the images are built into this file's temp dir (needs the Debian cache, or root).

REGISTRY_FIXTURES=$TUG_REPO/tests/fixtures

# Call from setup_file after tug_setup_file: the images ($IMAGES_OCI, IMAGE_* facts), and a home,
# config dir and credentials of our own so neither the user's nor another file's logins count.
registry_setup_file() {
  local images=${TUG_TEST_FIXTURES:+$TUG_TEST_FIXTURES/images}
  if [ -z "$images" ] || [ ! -f "$images/images.env" ]; then
    images=$TUG_TEST_BASE/images
    BUSYBOX_TAR=${BUSYBOX_TAR:-$(busybox_tar)} "$REGISTRY_FIXTURES/debian-image.sh" "$images" >&2 || {
      echo "# building the test images failed (tests/fixtures/debian-image.sh; run it once as root)" >&2
      return 1
    }
  fi
  export IMAGES_OCI=$images/oci
  set -a
  # shellcheck source=/dev/null
  . "$images/images.env"
  set +a
  export HOME=$TUG_TEST_BASE/home
  export XDG_CONFIG_HOME=$TUG_TEST_BASE/config
  mkdir -p "$HOME" "$XDG_CONFIG_HOME"
  unset DOCKER_CONFIG REGISTRY_AUTH_FILE TUG_AUTH_FILE TUG_INSECURE_REGISTRIES
  unset TUG_REGISTRY_RETRIES TUG_REGISTRY_RETRY_DELAY_MS TUG_REGISTRY_STALL_SECONDS
}

# registry_start NAME MODE [tls]: a registry in $TUG_TEST_BASE/registries/NAME (see registry.sh).
# Its variables are exported with the prefix NAME_ (e.g. main_ADDR, main_LOG, main_CA).
registry_start() {
  local name=$1 dir=$TUG_TEST_BASE/registries/$1
  mkdir -p "$dir"
  "$REGISTRY_FIXTURES/registry.sh" start "$2" "$dir" ${3:+"$3"} >/dev/null || return 1
  registry_export "$name"
}

# registry_proxy NAME: fault_proxy.py in front of registry NAME (NAME_PROXY_ADDR, _PROXY_CONTROL).
registry_proxy() {
  "$REGISTRY_FIXTURES/registry.sh" proxy "$TUG_TEST_BASE/registries/$1" >/dev/null || return 1
  registry_export "$1"
}

# Re-reads registry NAME's env file into NAME_* variables (after a restart: new pid).
registry_export() {
  local name=$1 line key
  while IFS= read -r line; do
    key=${line%%=*}
    key=${key#REGISTRY_}
    export "${name}_${key}=${line#*=}"
  done <"$TUG_TEST_BASE/registries/$name/env"
}

# Call from teardown_file: stops every registry, token server and proxy this file started.
registry_teardown_file() {
  local d
  for d in "${TUG_TEST_BASE:-/nonexistent}"/registries/*/; do
    [ -d "$d" ] && "$REGISTRY_FIXTURES/registry.sh" stop "$d" || true
  done
  podman_teardown
}

# registry_restart NAME [SECONDS]: the registry process goes away for SECONDS, then comes back on
# the same address with the same storage.
registry_restart() {
  "$REGISTRY_FIXTURES/registry.sh" restart "$TUG_TEST_BASE/registries/$1" "${2:-0}" && registry_export "$1"
}

# proxy_ctl NAME PATH: a call to the control API of registry NAME's fault proxy (see
# fault_proxy.py), e.g. proxy_ctl main "set?cut_after=1000&cut_count=1", proxy_ctl main reset.
proxy_ctl() {
  local var=${1}_PROXY_CONTROL
  curl -sf -o /dev/null "http://${!var}/$2" || fail "fault proxy control '$2' failed"
}

# skopeo_push LAYOUT_REF DEST [SKOPEO COPY OPTIONS...]: copies an image of the test layout to
# docker://DEST, keeping its digests unless options ask for a conversion.
skopeo_push() {
  local ref=$1 dest=$2
  shift 2
  local out
  if ! out=$(skopeo --insecure-policy copy -q --dest-tls-verify=false "$@" "oci:$IMAGES_OCI:$ref" "docker://$dest" 2>&1); then
    echo "# skopeo copy oci:$IMAGES_OCI:$ref docker://$dest $* failed: $out" >&2
    return 1
  fi
}

# skopeo_raw REF [OPTIONS...]: the manifest (or index) as the registry serves it.
skopeo_raw() {
  local ref=$1
  shift
  skopeo --insecure-policy inspect --raw --tls-verify=false "$@" "docker://$ref"
}

# manifest_digest REF [OPTIONS...]: sha256 of the manifest bytes the registry serves for REF.
manifest_digest() {
  local d
  d=$(set -o pipefail && skopeo_raw "$@" | sha256sum) || return 1
  echo "sha256:${d%% *}"
}

# manifest_size REF [OPTIONS...]: its size in bytes.
manifest_size() {
  (set -o pipefail && skopeo_raw "$@" | wc -c)
}

short12() {
  local d=${1#sha256:}
  echo "${d:0:12}"
}

# A fresh store for this test alone (the file's store keeps what earlier tests pulled). Under
# TUG_TEST_BASE, not BATS_TEST_TMPDIR: layers may belong to subordinate ids bats cannot remove.
# Each call gives another one.
fresh_store() {
  FRESH_STORES=$((${FRESH_STORES:-0} + 1))
  local d=$TUG_TEST_BASE/stores/$BATS_TEST_NUMBER.$FRESH_STORES
  export TUG_TEST_ROOT=$d/root TUG_TEST_RUNROOT=$d/run
  mkdir -p "$TUG_TEST_ROOT" "$TUG_TEST_RUNROOT"
  # Any tug command lays out the store's directories; do it now so that snapshots taken
  # before a failed command compare content, not the empty layout.
  tug images -q >/dev/null || fail "tug images on a fresh store failed"
}

# bg_result OUT ERR: after tug_bg + wait_bg, loads $output, $lines, $stderr, $stderr_lines from
# the files (keeping wait_bg's $status) so check_status and the assertions work as after capture.
bg_result() {
  output=$(cat "$1")
  stderr=$(cat "$2")
  lines=()
  stderr_lines=()
  [ -z "$output" ] || mapfile -t lines <<<"$output"
  [ -z "$stderr" ] || mapfile -t stderr_lines <<<"$stderr"
  LAST_CMD="tug ${TUG_BG_ARGS:-(in the background)}"
}

# --- what the registry served -------------------------------------------------------------------

# log_mark LOG: prints the number of lines LOG has now (pass it to log_since).
log_mark() {
  wc -l <"$1"
}

# registry_settle NAME: the access log is written when a response ends; a request of our own,
# once logged, means everything tug asked before is logged too.
registry_settle() {
  local addr_var=${1}_ADDR log_var=${1}_LOG scheme_var=${1}_SCHEME tag i
  tag=settle-$RANDOM$RANDOM
  curl -sk -o /dev/null "${!scheme_var}://${!addr_var}/v2/?$tag" || true
  for ((i = 0; i < 100; i++)); do
    grep -q "$tag" "${!log_var}" && return 0
    sleep 0.05
  done
}

# log_since LOG MARK: the access-log lines written after MARK.
log_since() {
  tail -n +"$(($2 + 1))" "$1" | grep -E '"(GET|HEAD|POST|PUT|PATCH|DELETE) /v2/' || true
}

# blob_gets LOG MARK [DIGEST]: how many blob GETs (any blob, or DIGEST) the registry answered.
blob_gets() {
  local re='"GET /v2/[^ ]+/blobs/sha256:'
  [ -z "${3:-}" ] || re="\"GET /v2/[^ ]+/blobs/${3} "
  log_since "$1" "$2" | grep -cE "$re" || true
}

# --- podman and buildah as clients of the same registries ---------------------------------------

# podman and buildah share one store under this file's temp dir; their runroot must be short
# (podman refuses one over 50 characters), so it lives in /tmp. vfs: no mounts needed.
podman_cmd() {
  podman_dirs && podman --root "$TUG_TEST_BASE/podman/root" --runroot "$PODMAN_RUNROOT" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@" 3>&-
}

buildah_cmd() {
  podman_dirs && buildah --root "$TUG_TEST_BASE/podman/root" --runroot "$PODMAN_RUNROOT" \
    --storage-driver vfs "$@" 3>&-
}

podman_dirs() {
  if [ ! -f "$TUG_TEST_BASE/podman/runroot" ]; then
    mkdir -p "$TUG_TEST_BASE/podman"
    mktemp -d /tmp/tug-pm.XXXXXX >"$TUG_TEST_BASE/podman/runroot" || return 1
  fi
  PODMAN_RUNROOT=$(cat "$TUG_TEST_BASE/podman/runroot")
}

# Rootless podman leaves a pause process (catatonit) holding its user namespace: end it, and
# the runroot. Called by registry_teardown_file.
podman_teardown() {
  local f pid i
  for f in "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" "$HOME/.local/share/containers/pause.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || continue
    for ((i = 0; i < 40; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  done
  if [ -f "${TUG_TEST_BASE:-/nonexistent}/podman/runroot" ]; then
    rm -rf "$(cat "$TUG_TEST_BASE/podman/runroot")" 2>/dev/null ||
      unshare --map-root-user --map-auto rm -rf "$(cat "$TUG_TEST_BASE/podman/runroot")" 2>/dev/null || true
  fi
  return 0
}

# crun (podman's runtime) refuses hybrid cgroup hosts whose v2 hierarchy has controllers; root
# can hide that hierarchy in a private mount namespace (as bench/start_latency.sh does), a user
# cannot: then podman can pull, create and export, but not run.
podman_hybrid_cgroups() {
  [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs ]] &&
    [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}

podman_can_run() {
  ! podman_hybrid_cgroups || is_root
}

# podman_run ARGS...: `podman run ARGS` with the store of podman_cmd. Modest rlimits: podman as
# root asks for more than a container host may allow (crun: setrlimit: Operation not permitted).
podman_run() {
  set -- --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
  if podman_hybrid_cgroups; then
    podman_dirs || return 1
    unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh \
      podman --root "$TUG_TEST_BASE/podman/root" --runroot "$PODMAN_RUNROOT" \
      --storage-driver vfs --cgroup-manager cgroupfs --events-backend file run "$@" 3>&-
  else
    podman_cmd run "$@"
  fi
}
