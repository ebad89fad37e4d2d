# Shared by the bench scripts (source it after defining `repo`, `say` and `die`): which tug binary,
# which user runs the containers, and the cgroup workaround podman and crun need on this host.
# shellcheck shell=bash disable=SC2034,SC2154

# Sets `tug` to an absolute path: $TUG, else <repo>/build/tug, else a build in <repo>/build-bench.
bench_find_tug() {
  tug=${TUG:-}
  if [[ -z $tug && -x $repo/build/tug ]]; then
    tug=$repo/build/tug
  elif [[ -z $tug ]]; then
    say "no tug binary found: building $repo/build-bench"
    make -C "$repo" BUILD_DIR=build-bench >&2
    tug=$repo/build-bench/tug
  fi
  [[ -x $tug ]] || die "tug binary $tug is not executable"
  tug=$(readlink -f "$tug")
}

# Every engine is measured rootless, as one unprivileged user. As root, runuser switches to it once
# around a timing tool or loop, so the switch itself is never timed. Sets `user`, `uid`, `home` and
# `as_user_cmd` (an array, not only a function: it also has to work inside a new process).
bench_select_user() {
  if [[ $(id -u) -eq 0 ]]; then
    user=${BENCH_USER:-tugtest}
    id "$user" >/dev/null 2>&1 || die "user $user does not exist (make users creates tugtest)"
    as_user_cmd=(runuser -u "$user" --)
  else
    user=$(id -un)
    as_user_cmd=()
  fi
  uid=$(id -u "$user")
  home=$(getent passwd "$user" | cut -d: -f6)
}
as_user() { "${as_user_cmd[@]}" "$@"; }

# crun (alone and under podman) refuses to start anything on a hybrid cgroup host whose v2 hierarchy
# has a controller enabled ("cgroups in hybrid mode not supported"). As root we can hide
# /sys/fs/cgroup/unified inside a private mount namespace: crun then sees plain cgroup v1, cannot
# create a cgroup rootless and goes on without one, as it does on any v1 host. The umount stays in
# that namespace (propagation private before anything changes), so the host is untouched.
# Sets `cgroup_fix` (a command prefix) and `cgroup_note`; $1 names who needs it ("crun and podman").
bench_cgroup_fix() {
  cgroup_fix=()
  cgroup_note=""
  local controllers
  if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs ]] &&
    controllers=$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null) && [[ -n $controllers ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      cgroup_fix=(unshare -m --propagation private bash -c
        'umount /sys/fs/cgroup/unified && mount --make-rshared / && exec "$@"' cgroup-fix)
      cgroup_note="hybrid cgroups with v2 controllers (${controllers//$'\n'/ }): $1 run in a private mount namespace without /sys/fs/cgroup/unified"
    else
      cgroup_note="hybrid cgroups with v2 controllers (${controllers//$'\n'/ }): $1 refuse them; run as root to measure them"
    fi
  fi
}
