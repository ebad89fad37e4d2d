#!/usr/bin/env bats
# Exit codes (the container's own, 125 tug, 126 cannot execute, 127 not found, 128+N signal N)
# and signals sent to tug reaching the container's PID 1.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

@test "exit 0 from true" {
  run_tug -0 run --rm busybox:test true
  assert_output ""
}

@test "exit 1 from false" {
  run_tug -1 run --rm busybox:test false
}

@test "exit 3 from the container's own exit" {
  run_tug -3 run --rm busybox:test sh -c 'exit 3'
}

@test "the container's stdout and stderr are passed through separately" {
  run_tug -7 run --rm busybox:test sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
  assert_output to-stdout
  assert_equal "$stderr" to-stderr stderr
}

@test "125: unknown image" {
  run_tug -125 run --rm --pull never no-such-image:latest true
  assert_one_line_error no-such-image
}

@test "125: unknown flag" {
  run_tug -125 run --rm --no-such-flag busybox:test true
  assert_error_first_line no-such-flag
}

@test "126: the command is a directory" {
  run_tug -126 run --rm busybox:test /etc
  assert_one_line_error /etc
}

@test "126: the command is not executable" {
  run_tug -126 run --rm busybox:test /etc/passwd
  assert_one_line_error /etc/passwd
}

@test "127: the command does not exist (path and PATH lookup)" {
  run_tug -127 run --rm busybox:test /no/such/command
  assert_one_line_error /no/such/command
  run_tug -127 run --rm busybox:test no-such-command
  assert_one_line_error no-such-command
}

@test "137: the container's PID 1 killed with SIGKILL" {
  # A unique argument lets us find the container's process from the host.
  local marker=$((100000 + RANDOM))$$
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" run --rm busybox:test sleep "$marker"
  local pid="" i
  for ((i = 0; i < 200; i++)); do
    pid=$(pgrep -xf "sleep $marker" || true)
    [ -z "$pid" ] || break
    sleep 0.05
  done
  [ -n "$pid" ] || {
    kill -KILL "$TUG_BG_PID" 2>/dev/null
    fail "the container process 'sleep $marker' never appeared: $(cat "$BATS_TEST_TMPDIR/err")"
  }
  kill -KILL "$pid"
  wait_bg 15
  assert_equal "$status" 137 "tug's exit code"
}

# signal_test SIG: PID 1 traps SIG and exits with a code of its own; tug gets SIG from outside.
signal_test() {
  local sig=$1 code=$2 out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
  tug_bg "$out" "$err" run --rm busybox:test sh -c \
    "trap 'echo caught $sig; exit $code' $sig; echo ready; sleep 1000 & wait"
  wait_for_file "$out" '^ready$' 10 || {
    kill -KILL "$TUG_BG_PID"
    return 1
  }
  kill -s "$sig" "$TUG_BG_PID" 2>/dev/null || {
    wait_bg 1
    fail "tug had already exited ($status) before SIG$sig; stdout: $(cat "$out"); stderr: $(cat "$err")"
  }
  wait_bg 15
  [ "$status" -eq "$code" ] || {
    echo "# stdout: $(cat "$out")" >&2
    echo "# stderr: $(cat "$err")" >&2
    fail "tug exited $status after SIG$sig, expected the trap's exit code $code"
  }
  grep -qx "caught $sig" "$out" || fail "the trap's output is missing: $(cat "$out")"
}

@test "SIGTERM to tug reaches PID 1" { signal_test TERM 42; }
@test "SIGINT to tug reaches PID 1" { signal_test INT 43; }
@test "SIGHUP to tug reaches PID 1" { signal_test HUP 44; }
@test "SIGQUIT to tug reaches PID 1" { signal_test QUIT 45; }
@test "SIGUSR1 to tug reaches PID 1" { signal_test USR1 46; }
@test "SIGUSR2 to tug reaches PID 1" { signal_test USR2 47; }
