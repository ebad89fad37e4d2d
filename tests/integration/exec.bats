#!/usr/bin/env bats
# `tug exec`: a new process inside a running container, as docker's exec: the container's
# namespaces and root, its user, environment, working directory and capabilities unless told
# otherwise; our stdio (or a pty, or nothing with -d); its exit code; signals forwarded.

load helpers

setup_file() {
  tug_setup_file
  # One long-lived container most tests exec into.
  tug run -d --name xc busybox:test sleep 1000 >/dev/null
}

teardown_file() {
  local id
  for id in $(tug ps -aq 2>/dev/null); do tug rm -f "$id" >/dev/null 2>&1 || true; done
  tug_teardown_file
}

# wait_exec NAME CMD...: polls `tug exec NAME CMD...` until it succeeds (output in $output).
wait_exec() {
  local i name=$1
  shift
  for ((i = 0; i < 100; i++)); do
    capture tug exec "$name" "$@"
    [ "$status" -ne 0 ] || return 0
    sleep 0.05
  done
  show_last
  fail "tug exec $name $* kept failing"
}

status_field() { # status_field NAME FIELD [EXEC-FLAGS...]: FIELD of /proc/self/status, as exec'd
  local name=$1 field=$2
  shift 2
  run_tug exec "$@" "$name" sh -c "grep '^$field:' /proc/self/status | cut -f2"
}

@test "exec sees the container's hostname and files, not the host's" {
  local hostname
  hostname=$(tug inspect -f '{{.Config.Hostname}}' xc)
  run_tug exec xc cat /etc/hostname
  assert_output "$hostname"
  run_tug exec xc hostname
  assert_output "$hostname"
  run_tug exec xc cat /etc/os-release
  assert_output_contains 'tug test busybox'
  # "/" is the image's root, and ".." does not leave it.
  run_tug run --rm busybox:test ls /
  local image_root=$output
  run_tug exec xc ls /
  assert_output "$image_root"
  run_tug exec xc ls /..
  assert_output "$image_root"
  run_tug exec xc pwd
  assert_output /
}

@test "exec shares the container's PID namespace: its command is PID 1" {
  run_tug exec xc ps -o pid,args
  [[ $output =~ (^|$'\n')\ *1\ +sleep\ 1000($'\n'|$) ]] || fail "no PID 1 running 'sleep 1000': $output"
  # ps itself is one more process of the same namespace.
  [[ $output =~ (^|$'\n')\ *[0-9]+\ +ps\ -o\ pid,args($'\n'|$) ]] || fail "ps does not see itself: $output"
  run_tug exec xc sh -c 'echo $$'
  [ "$output" -gt 1 ] || fail "the exec'd shell has PID $output"
}

@test "exec sees what the container wrote, and the container what exec wrote" {
  run_tug run -d --name writer busybox:test sh -c 'echo from-pid1 >/tmp/mark.tmp; mv /tmp/mark.tmp /tmp/mark; while [ ! -e /tmp/reply ]; do sleep 0.05; done; cat /tmp/reply >/tmp/seen.tmp; mv /tmp/seen.tmp /tmp/seen; sleep 1000'
  wait_exec writer cat /tmp/mark
  assert_output from-pid1
  # Each file appears whole (rename): the reader must not catch it created but still empty.
  run_tug exec writer sh -c 'echo from-exec >/tmp/reply.tmp && mv /tmp/reply.tmp /tmp/reply'
  wait_exec writer cat /tmp/seen
  assert_output from-exec
  run_tug rm -f writer
}

@test "environment: the container's, then --env-file, then -e; HOSTNAME and HOME as docker" {
  run_tug run -d --name envc -e A=1 -e B=2 busybox:test sleep 1000
  local hostname
  hostname=$(tug inspect -f '{{.Config.Hostname}}' envc)
  printf 'C=file\nD=file\n' >"$BATS_TEST_TMPDIR/env"
  run_tug exec --env-file "$BATS_TEST_TMPDIR/env" -e B=3 -e D=flag envc env
  assert_line A=1
  assert_line B=3
  assert_line C=file
  assert_line D=flag
  assert_line "HOSTNAME=$hostname"
  assert_line HOME=/root
  assert_line "$(tug inspect -f '{{range .Config.Env}}{{println .}}{{end}}' envc | grep '^PATH=')"
  refute_line B=2
  # A bare name takes tug's own value.
  FROM_HOST=here run_tug exec -e FROM_HOST envc sh -c 'echo $FROM_HOST'
  assert_output here
  run_tug rm -f envc
}

@test "-w sets the working directory, the container's WorkingDir is the default" {
  run_tug exec -w /tmp xc pwd
  assert_output /tmp
  run_tug run -d --name wd -w /srv busybox:test sleep 1000
  run_tug exec wd pwd
  assert_output /srv
  run_tug exec -w / wd pwd
  assert_output /
  run_tug rm -f wd
  run_tug -126 exec -w /nope xc pwd
  assert_one_line_error '/nope'
  run_tug -125 exec -w relative xc pwd
  assert_one_line_error 'relative'
}

@test "-u runs as another user; the container's user is the default" {
  if ! has_full_mapping; then
    # Only container uid 0 exists: tug must say so rather than run as someone else.
    run_tug -126 exec -u 1000 xc id -u
    assert_one_line_error 'not mapped'
    return
  fi
  run_tug exec -u 1000 xc id -u
  assert_output 1000
  run_tug exec -u app xc sh -c 'id -u; id -g; echo $HOME'
  assert_output $'1000\n1000\n/home/app'
  run_tug exec -u 1000:0 xc sh -c 'id -u; id -g'
  assert_output $'1000\n0'
  run_tug run -d --name as-app -u app busybox:test sleep 1000
  run_tug exec as-app id -u
  assert_output 1000
  run_tug exec -u 0 as-app id -u
  assert_output 0
  run_tug rm -f as-app
}

@test "-u with an unknown user fails as docker's exec does" {
  run_tug -126 exec -u no-such-user xc id -u
  assert_one_line_error 'unable to find user no-such-user'
}

@test "exit codes: the command's, 126 when it cannot run, 127 when not found" {
  run_tug exec xc true
  assert_output ""
  run_tug -3 exec xc sh -c 'exit 3'
  run_tug -127 exec xc nope
  assert_equal "$stderr" 'tug: OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH' stderr
  run_tug -127 exec xc /no/such/file
  assert_one_line_error '/no/such/file'
  run_tug -126 exec xc /etc/passwd
  assert_one_line_error 'permission denied'
  # A signal that ends the command: 128+N.
  run_tug -137 exec xc sh -c 'kill -KILL $$'
}

@test "stdio: stdout and stderr are the command's own; stdin only with -i" {
  run_tug exec xc sh -c 'echo out; echo err >&2'
  assert_output out
  assert_equal "$stderr" err stderr
  capture bash -c 'echo hi | "$@"' _ "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" exec -i xc cat
  check_status 0
  assert_output hi
  capture bash -c 'echo hi | "$@"' _ "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" exec xc cat
  check_status 0
  assert_output ""
  # Nothing of tug's leaks into the container beyond stdio.
  # (The glob's own directory fd is listed while it expands, and gone when tested.)
  run_tug exec xc sh -c 'for f in /proc/$$/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done; true'
  assert_output $'0\n1\n2'
}

@test "-t gives the command a terminal from the container's devpts" {
  local tug_cmd="$TUG --root $TUG_TEST_ROOT --runroot $TUG_TEST_RUNROOT"
  capture script -qec "$tug_cmd exec -t xc sh -c 'tty; echo \$TERM; test -t 0 && echo in-tty'" /dev/null
  check_status 0
  # Without -i the caller's terminal stays cooked, as docker leaves it: each line crosses two
  # ttys and ends in \r\r\n.
  [[ ${lines[0]} =~ ^/dev/pts/[0-9]+$'\r'*$ ]] || fail "tty printed '${lines[0]}'"
  assert_equal "${lines[1]%%$'\r'*}" xterm TERM
  assert_equal "${lines[2]%%$'\r'*}" in-tty "stdin"
  # The pty exists in the container's /dev/pts, not only on the host.
  local pts=${lines[0]%%$'\r'*}
  capture script -qec "$tug_cmd exec -t xc sh -c 'ls -d \$(tty)'" /dev/null
  check_status 0
  assert_equal "${lines[0]%%$'\r'*}" "$pts" "the pty in the container's /dev/pts"
  # The exit code comes through the terminal proxy.
  capture script -qec "$tug_cmd exec -t xc sh -c 'exit 5'" /dev/null
  check_status 5
  # Without -t, no terminal.
  capture script -qec "$tug_cmd exec xc sh -c 'test -t 1 || echo no-tty'" /dev/null
  check_status 0
  assert_equal "${lines[0]%%$'\r'*}" no-tty "without -t"
}

@test "-d returns at once, holds nothing of ours, and the command keeps running" {
  local start=$SECONDS
  # $( ) returns only when every writer of the pipe closed it: the process must not hold it.
  capture timeout 10 "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" exec -d xc sh -c 'echo started >/tmp/detached; echo noise; exec sleep 1001'
  check_status 0
  assert_output ""
  assert_equal "$stderr" "" stderr
  ((SECONDS - start < 5)) || fail "exec -d took $((SECONDS - start)) s"
  wait_exec xc cat /tmp/detached
  assert_output started
  run_tug exec xc ps -o args
  assert_line 'sleep 1001'
  run_tug -127 exec -d xc nope
  assert_one_line_error 'executable file not found'
}

@test "signals to tug reach the exec'd command" {
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" exec xc sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
  wait_for_file "$BATS_TEST_TMPDIR/out" '^ready$'
  kill -TERM "$TUG_BG_PID"
  wait_bg
  assert_equal "$status" 7 "exit status after SIGTERM"
  tug_bg "$BATS_TEST_TMPDIR/out2" "$BATS_TEST_TMPDIR/err2" exec xc sh -c 'echo ready; exec sleep 1002'
  wait_for_file "$BATS_TEST_TMPDIR/out2" '^ready$'
  kill -INT "$TUG_BG_PID"
  wait_bg
  assert_equal "$status" 130 "exit status after SIGINT"
  run_tug exec xc ps -o args
  refute_line 'sleep 1002'
}

@test "capabilities, no_new_privs and seccomp are the container's; --privileged adds every capability" {
  run_tug run -d --name capd --cap-drop CHOWN --cap-drop NET_RAW busybox:test sleep 1000
  for field in CapEff CapBnd CapPrm Seccomp; do
    run_tug exec capd sh -c "grep '^$field:' /proc/1/status | cut -f2"
    local pid1=$output
    status_field capd "$field"
    assert_equal "$output" "$pid1" "$field of exec vs PID 1"
  done
  status_field capd CapEff
  (((0x$output & 1) == 0)) || fail "CAP_CHOWN (bit 0) is in the exec's CapEff $output"
  status_field capd NoNewPrivs
  assert_output 1
  status_field capd Seccomp
  assert_output 2
  # --privileged: CAP_SYS_ADMIN (bit 21), which no container has by default.
  status_field capd CapEff --privileged
  (((0x$output >> 21) & 1)) || fail "no CAP_SYS_ADMIN with --privileged: $output"
  # As another user, no capability at all (docker's exec -u).
  if has_full_mapping; then
    status_field capd CapEff -u 1000
    assert_output 0000000000000000
  fi
  run_tug rm -f capd
}

@test "a container that is not running, paused or unknown is refused" {
  run_tug run --name done busybox:test true
  local id
  id=$(tug inspect -f '{{.Id}}' done)
  run_tug -125 exec done true
  assert_equal "$stderr" "tug: container $id is not running" stderr
  run_tug -125 exec no-such-container true
  assert_equal "$stderr" "tug: No such container: no-such-container" stderr
  run_tug run -d --name pz busybox:test sleep 1000
  run_tug pause pz
  run_tug -125 exec pz true
  assert_equal "$stderr" "tug: Container pz is paused, unpause the container before exec" stderr
  run_tug unpause pz
  run_tug exec pz true
  run_tug rm -f pz done
}

@test "usage: container and command are required; container exec is the same command" {
  run_tug -125 exec xc
  assert_error_first_line 'requires at least 2 arguments'
  run_tug container exec -e V=alias xc sh -c 'echo $V'
  assert_output alias
}
