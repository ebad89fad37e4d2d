#!/usr/bin/env bats
# tug info and tug version, store locations, overlay modes, and the static binary itself.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

info() { run_tug info --format "{{$1}}"; }

@test "tug version" {
  run_tug version
  assert_output_contains 'tug version'
}

@test "info: rootless" {
  info .Rootless
  if is_root; then assert_output false; else assert_output true; fi
}

@test "info: id mapping mode follows /etc/subuid and newuidmap" {
  if is_root; then
    # Root needs no mapping: container ids are host ids.
    info .IDMapping.Mode
    assert_output identity
    return
  fi
  info .IDMapping.Mode
  if has_subids; then assert_output subuid; else assert_output single; fi
}

@test "info: a single mapping comes with a warning naming /etc/subuid" {
  run_tug info
  local warn
  warn=$( (printf '%s\n' "${lines[@]}"; printf '%s\n' "${stderr_lines[@]}") | grep 'WARNING:' || true)
  if ! is_root && ! has_subids; then
    [[ $warn == */etc/subuid* ]] || { show_last; fail "no WARNING: line naming /etc/subuid"; }
  else
    [[ $warn != */etc/subuid* ]] || { show_last; fail "a subuid warning although ranges are available"; }
  fi
}

@test "info: overlay mode" {
  info .Overlay.Mode
  if [ "${TUG_OVERLAY:-}" = copy ]; then
    assert_output copy
  else
    # Kernel overlayfs in a user namespace works since Linux 5.11 on ext4/xfs/tmpfs stores.
    local kv
    kv=$(uname -r | awk -F. '{print $1 * 1000 + $2}')
    if ((kv >= 5011)); then
      assert_output native
    else
      [[ $output == fuse || $output == copy ]] || fail "Overlay.Mode '$output' on kernel $(uname -r)"
    fi
  fi
  local mode=$output
  run_tug info
  assert_output_contains "$mode"
}

@test "info: TUG_OVERLAY=copy forces the copy fallback, which still isolates containers" {
  TUG_OVERLAY=copy capture tug info --format '{{.Overlay.Mode}}'
  check_status 0
  assert_output copy
  TUG_OVERLAY=copy capture tug run --rm busybox:test sh -c 'echo copy-mode >/root/f; cat /root/f; cat /etc/os-release'
  check_status 0
  assert_line copy-mode
  assert_output_contains 'tug test busybox'
  TUG_OVERLAY=copy capture tug run --rm busybox:test sh -c 'test -e /root/f && echo leaked || echo clean'
  check_status 0
  assert_output clean
}

@test "info: store paths follow --root and --runroot" {
  info .Store.Root
  assert_output "$TUG_TEST_ROOT"
  info .Store.RunRoot
  assert_output "$TUG_TEST_RUNROOT"
  run_tug info
  assert_output_contains "$TUG_TEST_ROOT"
  assert_output_contains "$TUG_TEST_RUNROOT"
}

@test "info: TUG_ROOT overrides the store root" {
  TUG_ROOT=$TUG_TEST_BASE/envroot capture "$TUG" --runroot "$TUG_TEST_RUNROOT" info --format '{{.Store.Root}}'
  check_status 0
  assert_output "$TUG_TEST_BASE/envroot"
}

@test "info: default store locations" {
  if is_root; then
    capture env -u XDG_DATA_HOME -u XDG_RUNTIME_DIR -u TUG_ROOT "$TUG" info --format '{{.Store.Root}} {{.Store.RunRoot}}'
    check_status 0
    assert_output "/var/lib/tug /run/tug"
    return
  fi
  local h=$TUG_TEST_BASE/home
  mkdir -p "$h"
  capture env -u TUG_ROOT HOME="$h" XDG_DATA_HOME="$TUG_TEST_BASE/xd" XDG_RUNTIME_DIR="$TUG_TEST_BASE/xr" \
    "$TUG" info --format '{{.Store.Root}} {{.Store.RunRoot}}'
  check_status 0
  assert_output "$TUG_TEST_BASE/xd/tug $TUG_TEST_BASE/xr/tug"
  capture env -u TUG_ROOT -u XDG_DATA_HOME -u XDG_RUNTIME_DIR HOME="$h" \
    "$TUG" info --format '{{.Store.Root}} {{.Store.RunRoot}}'
  check_status 0
  assert_output "$h/.local/share/tug /tmp/tug-$(id -u)"
}

@test "the binary is statically linked" {
  run_cmd file -L "$TUG"
  assert_output_contains 'statically linked'
  capture ldd "$TUG"
  [[ "$output $stderr" == *"not a dynamic executable"* ]] || { show_last; fail "ldd does not say 'not a dynamic executable'"; }
}

@test "the binary runs alone in an empty directory (chroot)" {
  local d=$TUG_TEST_BASE/alone
  mkdir -p "$d"
  cp "$TUG" "$d/tug"
  if is_root; then
    run_cmd chroot "$d" /tug version
  else
    run_cmd unshare -r chroot "$d" /tug version
  fi
  assert_output_contains 'tug version'
}

@test "the binary runs as the only file of a container image" {
  local d=$TUG_TEST_BASE/tugonly
  mkdir -p "$d"
  cp "$TUG" "$d/tug"
  tar -C "$d" --owner=0 --group=0 --numeric-owner -cf "$TUG_TEST_BASE/tugonly.tar" tug
  run_tug import "$TUG_TEST_BASE/tugonly.tar" tugonly:test
  run_tug run --rm tugonly:test /tug version
  assert_output_contains 'tug version'
}
