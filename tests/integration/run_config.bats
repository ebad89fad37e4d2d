#!/usr/bin/env bats
# The image config as docker applies it: Env merged with -e/--env-file, WorkingDir and -w,
# USER and -u, ENTRYPOINT/CMD combination and --entrypoint.

load helpers

setup_file() {
  tug_setup_file
  import_busybox env:test --change 'ENV FOO=from-image' --change 'ENV KEEP=image-value'
  import_busybox workdir:test --change 'WORKDIR /srv/app'
  import_busybox user:test --change 'USER app'
  import_busybox cmd:test --change 'CMD ["echo","from-cmd"]'
  import_busybox ep:test --change 'ENTRYPOINT ["echo","ep"]' --change 'CMD ["default-arg"]'
  import_busybox epshell:test --change 'ENTRYPOINT echo shell-entrypoint' --change 'CMD ["ignored"]'
  import_busybox nocmd:test
}
teardown_file() { tug_teardown_file; }

# ---------------------------------------------------------------------------------------------
# environment

@test "image Env is visible, -e overrides and adds" {
  run_tug run --rm -e FOO=from-cli -e NEW=1 env:test env
  assert_line FOO=from-cli
  assert_line KEEP=image-value
  assert_line NEW=1
  refute_line FOO=from-image
}

@test "the default environment: PATH, HOME, HOSTNAME" {
  run_tug run --rm busybox:test sh -c 'env; echo "host=$(hostname)"'
  assert_line 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  assert_line HOME=/root
  local h
  h=$(printf '%s\n' "${lines[@]}" | sed -n 's/^host=//p')
  assert_line "HOSTNAME=$h"
  # Nothing leaks from the caller's environment.
  TUG_IT_SECRET=leak capture tug run --rm busybox:test env
  refute_output_contains TUG_IT_SECRET
}

@test "-e NAME without a value takes it from the caller's environment" {
  TUG_IT_PASS=through capture tug run --rm -e TUG_IT_PASS busybox:test sh -c 'echo "$TUG_IT_PASS"'
  check_status 0
  assert_output through
}

@test "--env-file: comments and blank lines skipped, values literal, -e wins" {
  local f=$BATS_TEST_TMPDIR/env.list
  printf '%s\n' '# a comment' 'A=1' '' 'B=two words' 'C="quoted"' 'D=x=y' 'FOO=from-file' >"$f"
  run_tug run --rm --env-file "$f" -e A=override env:test env
  assert_line A=override
  assert_line 'B=two words'
  assert_line 'C="quoted"'
  assert_line D=x=y
  assert_line FOO=from-file
  assert_line KEEP=image-value
  refute_output_contains 'a comment'
}

@test "--env-file that does not exist is a tug error" {
  run_tug -125 run --rm --env-file "$BATS_TEST_TMPDIR/nope.env" busybox:test true
  assert_error_first_line nope.env
}

# ---------------------------------------------------------------------------------------------
# working directory

@test "image WorkingDir is used and created" {
  run_tug run --rm workdir:test pwd
  assert_output /srv/app
}

@test "-w creates the directory and starts there" {
  run_tug run --rm -w /newdir/sub busybox:test sh -c 'pwd; test -d /newdir/sub && echo exists'
  assert_output $'/newdir/sub\nexists'
  run_tug run --rm -w /tmp workdir:test pwd
  assert_output /tmp
}

@test "default working directory is /" {
  run_tug run --rm busybox:test pwd
  assert_output /
}

@test "-w with a relative path is refused" {
  run_tug -125 run --rm -w relative/dir busybox:test pwd
  assert_error_first_line relative/dir
}

# ---------------------------------------------------------------------------------------------
# user

@test "default user is root" {
  run_tug run --rm busybox:test id -u
  assert_output 0
}

@test "-u by name, by number, with a group" {
  if ! has_full_mapping; then
    # Only container uid 0 exists: tug must say so rather than run as someone else.
    run_tug -125 run --rm -u app busybox:test id -u
    assert_error_first_line
    return
  fi
  run_tug run --rm -u app busybox:test sh -c 'id -u; id -g; echo $HOME'
  assert_output $'1000\n1000\n/home/app'
  run_tug run --rm -u 1000:1000 busybox:test sh -c 'id -u; id -g'
  assert_output $'1000\n1000'
  run_tug run --rm -u app:root busybox:test sh -c 'id -u; id -g'
  assert_output $'1000\n0'
  run_tug run --rm -u nobody busybox:test id -u
  assert_output 65534
  # A uid not in /etc/passwd: that uid, group 0.
  run_tug run --rm -u 4242 busybox:test sh -c 'id -u; id -g'
  assert_output $'4242\n0'
}

@test "-u app can write its home but not root's" {
  if ! has_full_mapping; then
    run_tug -125 run --rm -u app busybox:test touch /home/app/f
    assert_error_first_line
    return
  fi
  run_tug run --rm -u app busybox:test sh -c 'touch /home/app/f && echo home-ok; touch /root/f 2>/dev/null || echo root-refused'
  assert_output $'home-ok\nroot-refused'
}

@test "image USER is used, -u overrides it" {
  if ! has_full_mapping; then
    run_tug -125 run --rm user:test id -u
    assert_error_first_line
    return
  fi
  run_tug run --rm user:test id -u
  assert_output 1000
  run_tug run --rm -u 0 user:test id -u
  assert_output 0
}

@test "-u with an unknown user name is a tug error" {
  run_tug -125 run --rm -u no-such-user busybox:test id -u
  assert_error_first_line no-such-user
}

# ---------------------------------------------------------------------------------------------
# entrypoint and cmd

@test "image CMD runs when no command is given, arguments replace it" {
  run_tug run --rm cmd:test
  assert_output from-cmd
  run_tug run --rm cmd:test echo replaced
  assert_output replaced
}

@test "image ENTRYPOINT gets CMD as default arguments, or the given arguments" {
  run_tug run --rm ep:test
  assert_output "ep default-arg"
  run_tug run --rm ep:test x y
  assert_output "ep x y"
}

@test "shell-form ENTRYPOINT ignores CMD and arguments" {
  run_tug run --rm epshell:test
  assert_output shell-entrypoint
  run_tug run --rm epshell:test more args
  assert_output shell-entrypoint
}

@test "--entrypoint replaces the image's ENTRYPOINT and clears its CMD" {
  run_tug run --rm --entrypoint /bin/printf ep:test '%s-%s\n' a b
  assert_output a-b
  # docker: --entrypoint resets the image CMD, so echo prints an empty line.
  run_tug run --rm --entrypoint echo ep:test
  assert_output ""
  run_tug run --rm --entrypoint hostname --hostname epcheck busybox:test
  assert_output epcheck
}

@test "no command at all is a tug error" {
  run_tug -125 run --rm nocmd:test
  assert_error_first_line
}
