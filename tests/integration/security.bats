#!/usr/bin/env bats
# Docker's security defaults: capability set, no_new_privs, default seccomp profile (a syscall it
# blocks), masked and read-only /proc paths; --cap-add/--cap-drop, --security-opt, --privileged.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

# docker's default capability set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
kDockerCaps=00000000a80425fb

caps() { # caps FIELD RUN-ARGS...: prints the hex value of FIELD (CapEff, CapBnd) in the container
  local field=$1
  shift
  run_tug run --rm "$@" sh -c "grep '^$field:' /proc/self/status | cut -f2"
}

@test "capabilities: docker's default set" {
  caps CapEff busybox:test
  assert_output $kDockerCaps
  caps CapBnd busybox:test
  assert_output $kDockerCaps
}

@test "--cap-drop and --cap-add change the set" {
  caps CapEff --cap-drop CHOWN busybox:test
  assert_output 00000000a80425fa
  caps CapEff --cap-add SYS_ADMIN busybox:test
  assert_output 00000000a82425fb
  caps CapEff --cap-add CAP_SYS_ADMIN busybox:test
  assert_output 00000000a82425fb
  caps CapEff --cap-drop ALL busybox:test
  assert_output 0000000000000000
}

@test "--cap-drop DAC_OVERRIDE is enforced" {
  run_tug run --rm busybox:test sh -c 'echo data >/tmp/f && chmod 000 /tmp/f && cat /tmp/f'
  assert_output data
  run_tug_fails run --rm --cap-drop DAC_OVERRIDE busybox:test sh -c 'echo data >/tmp/f && chmod 000 /tmp/f && cat /tmp/f'
  assert_stderr_contains 'Permission denied'
}

@test "a non-root container user has no effective capabilities" {
  if ! has_full_mapping; then
    run_tug -125 run --rm -u app busybox:test true
    assert_error_first_line
    return
  fi
  caps CapEff -u app busybox:test
  assert_output 0000000000000000
}

@test "no_new_privs is set" {
  run_tug run --rm busybox:test sh -c "grep '^NoNewPrivs:' /proc/self/status | cut -f2"
  assert_output 1
}

@test "the default seccomp profile is in force, unconfined removes it" {
  run_tug run --rm busybox:test sh -c "grep '^Seccomp:' /proc/self/status | cut -f2"
  assert_output 2
  run_tug run --rm --security-opt seccomp=unconfined busybox:test sh -c "grep '^Seccomp:' /proc/self/status | cut -f2"
  assert_output 0
}

@test "a syscall blocked by the default profile: unshare(CLONE_NEWUSER)" {
  # docker's profile allows unshare only with CAP_SYS_ADMIN. Creating a user namespace needs no
  # capability, so without seccomp it works: the failure below is seccomp's doing.
  run_tug_fails run --rm busybox:test unshare -U true
  assert_stderr_contains 'Operation not permitted'
  run_tug run --rm --security-opt seccomp=unconfined busybox:test unshare -U sh -c 'echo nested-ok'
  assert_output nested-ok
  # ...and the profile's CAP_SYS_ADMIN rule follows --cap-add.
  run_tug run --rm --cap-add SYS_ADMIN busybox:test unshare -U sh -c 'echo nested-ok'
  assert_output nested-ok
}

@test "--security-opt seccomp=FILE loads a docker-format profile" {
  local p=$BATS_TEST_TMPDIR/profile.json
  cat >"$p" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 }
  ]
}
EOF
  run_tug run --rm busybox:test sh -c 'mkdir /tmp/d && echo made'
  assert_output made
  run_tug_fails run --rm --security-opt "seccomp=$p" busybox:test mkdir /tmp/d
  assert_stderr_contains 'Operation not permitted'
  run_tug run --rm --security-opt "seccomp=$p" busybox:test sh -c 'touch /tmp/f && echo other-syscalls-ok'
  assert_output other-syscalls-ok
}

@test "--security-opt seccomp=FILE that does not exist is a tug error" {
  run_tug -125 run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/nope.json" busybox:test true
  assert_error_first_line nope.json
}

@test "--privileged: all capabilities, no seccomp" {
  local last all
  last=$(cat /proc/sys/kernel/cap_last_cap)
  all=$(printf '%016x' $(((1 << (last + 1)) - 1)))
  caps CapEff --privileged busybox:test
  assert_output "$all"
  run_tug run --rm --privileged busybox:test sh -c "grep '^Seccomp:' /proc/self/status | cut -f2"
  assert_output 0
  run_tug run --rm --privileged busybox:test unshare -U sh -c 'echo nested-ok'
  assert_output nested-ok
}

@test "masked and read-only paths in /proc and /sys" {
  # docker masks these files with /dev/null: readable, empty. Check those this kernel has.
  local f masked=()
  for f in /proc/kcore /proc/keys /proc/timer_list /proc/latency_stats /proc/sched_debug /proc/timer_stats; do
    [ ! -e "$f" ] || masked+=("$f")
  done
  ((${#masked[@]} > 0)) || fail "none of docker's masked /proc files exist on this kernel"
  for f in "${masked[@]}"; do
    run_tug run --rm busybox:test sh -c "wc -c <$f"
    assert_output 0
  done
  run_tug run --rm busybox:test sh -c 'ls -A /sys/firmware | wc -l'
  assert_output 0
  run_tug run --rm busybox:test sh -c 'grep " /proc/sys " /proc/mounts'
  assert_output_matches ' ro[, ]'
  run_tug run --rm busybox:test sh -c 'echo 1 >/proc/sysrq-trigger 2>/dev/null && echo wrote || echo refused'
  assert_output refused
}
