#!/usr/bin/env bats
# Bind mounts (-v host:ctr[:ro]), --read-only and --tmpfs.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

@test "-v: a host directory is shared read-write" {
  local d=$BATS_TEST_TMPDIR/shared
  mkdir -p "$d"
  echo from-host >"$d/in"
  run_tug run --rm -v "$d:/data" busybox:test sh -c 'cat /data/in; echo from-container >/data/out'
  assert_output from-host
  [ -f "$d/out" ] || fail "the file written in the container is not on the host"
  assert_equal "$(cat "$d/out")" from-container "host file content"
  # Container root is the calling user on the host.
  assert_equal "$(stat -c %u "$d/out")" "$(id -u)" "owner of the file on the host"
}

@test "-v with :ro: readable, writes fail" {
  local d=$BATS_TEST_TMPDIR/ro
  mkdir -p "$d"
  echo from-host >"$d/in"
  run_tug run --rm -v "$d:/data:ro" busybox:test cat /data/in
  assert_output from-host
  run_tug_fails run --rm -v "$d:/data:ro" busybox:test sh -c 'echo x >/data/out'
  [ ! -e "$d/out" ] || fail "a write through a :ro mount reached the host"
  run_tug run --rm -v "$d:/data:ro" busybox:test sh -c 'grep " /data " /proc/mounts'
  assert_output_matches ' ro[, ]'
}

@test "-v of a single file" {
  local f=$BATS_TEST_TMPDIR/conf.txt
  echo setting=1 >"$f"
  run_tug run --rm -v "$f:/etc/app.conf:ro" busybox:test cat /etc/app.conf
  assert_output setting=1
}

@test "-v of a host path that does not exist is a tug error" {
  # docker would create it; tug refuses, either is fine, but not a silent empty mount of nothing.
  local d=$BATS_TEST_TMPDIR/missing
  capture tug run --rm -v "$d:/data" busybox:test sh -c 'test -d /data && echo mounted'
  if [ "$status" -eq 0 ]; then
    assert_output mounted
    [ -d "$d" ] || fail "container saw /data but the host dir was not created"
  else
    check_status 125
    assert_one_line_error "$d"
  fi
}

@test "--read-only: the rootfs and /tmp refuse writes" {
  run_tug_fails run --rm --read-only busybox:test touch /newfile
  assert_stderr_contains 'Read-only file system'
  run_tug_fails run --rm --read-only busybox:test touch /tmp/newfile
  run_tug run --rm --read-only busybox:test sh -c 'grep " / " /proc/mounts'
  assert_output_matches ' ro[, ]'
}

@test "--read-only still lets a volume and --tmpfs /tmp be written" {
  local d=$BATS_TEST_TMPDIR/rw
  mkdir -p "$d"
  run_tug run --rm --read-only --tmpfs /tmp -v "$d:/data" busybox:test \
    sh -c 'touch /tmp/ok && echo tmp-ok; echo x >/data/f && echo vol-ok'
  assert_output $'tmp-ok\nvol-ok'
}

@test "--tmpfs /scratch: a fresh writable tmpfs, created if missing" {
  run_tug run --rm --tmpfs /scratch busybox:test sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3; echo hi >/scratch/f && cat /scratch/f; ls /scratch'
  assert_output $'tmpfs\nhi\nf'
  # Nothing of it survives into the next container.
  run_tug run --rm busybox:test sh -c 'test -e /scratch/f && echo leaked || echo clean'
  assert_output clean
}
