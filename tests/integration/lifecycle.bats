#!/usr/bin/env bats
# Detached containers and their lifecycle without a daemon: run -d, start, stop, kill, restart,
# wait, pause/unpause, restart policies, --rm with -d, and what a killed monitor leaves.

load helpers

setup_file() { tug_setup_file; }
teardown_file() {
  # Whatever a failed test left running goes now, so that the store can be deleted.
  local id
  for id in $(tug ps -aq 2>/dev/null); do tug rm -f "$id" >/dev/null 2>&1 || true; done
  tug_teardown_file
}

state_of() { tug inspect -f "{{.State.$2}}" "$1"; }

# wait_state NAME STATUS [SECONDS]: polls until the container's State.Status is STATUS.
wait_state() {
  local i
  for ((i = 0; i < ${3:-10} * 20; i++)); do
    [ "$(state_of "$1" Status 2>/dev/null)" = "$2" ] && return 0
    sleep 0.05
  done
  fail "container $1 is '$(state_of "$1" Status 2>&1)', not '$2', after ${3:-10} s"
}

# The monitors of this file's store: tug processes whose command line names its root.
monitors() { pgrep -f -- "--root $TUG_TEST_ROOT .*run -d|--root $TUG_TEST_ROOT .*start" || true; }

@test "run -d prints the full ID at once and the container runs; stdout is not held" {
  local start=$SECONDS
  # $( ) returns only when every writer of the pipe closed it: the monitor must not hold it.
  capture timeout 10 "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" run -d --name d1 busybox:test sleep 1000
  check_status 0
  assert_output_matches '^[0-9a-f]{64}$'
  ((SECONDS - start < 5)) || fail "run -d took $((SECONDS - start)) s"
  local id=$output
  assert_equal "$(state_of d1 Status)" running "status"
  assert_equal "$(state_of d1 Running)" true "Running"
  local pid
  pid=$(state_of d1 Pid)
  [ "$pid" -gt 0 ] && kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ] || fail "PID $pid is not alive"
  assert_equal "$(tug inspect -f '{{.Id}}' d1)" "$id" "inspect Id"
  run_tug rm -f d1
}

@test "stop: the stop signal, then SIGKILL after -t; exit codes as docker records them" {
  # PID 1 with a TERM trap: stops at once with the trap's code.
  run_tug run -d --name trap busybox:test sh -c 'trap "exit 3" TERM; while true; do sleep 0.1; done'
  local start=$SECONDS
  run_tug stop trap
  assert_output trap
  ((SECONDS - start < 5)) || fail "stop of a container that exits on SIGTERM took $((SECONDS - start)) s"
  assert_equal "$(state_of trap Status)" exited "status"
  assert_equal "$(state_of trap ExitCode)" 3 "exit code"
  # PID 1 without a handler ignores SIGTERM: stop escalates to SIGKILL after the timeout.
  run_tug run -d --name deaf busybox:test sleep 1000
  start=$(date +%s%N)
  run_tug stop -t 1 deaf
  local ms=$((($(date +%s%N) - start) / 1000000))
  ((ms >= 1000)) || fail "stop -t 1 returned after $ms ms, before the timeout"
  ((ms < 6000)) || fail "stop -t 1 took $ms ms"
  assert_equal "$(state_of deaf ExitCode)" 137 "exit code after SIGKILL"
  # --stop-signal is the signal stop sends.
  run_tug run -d --name usr1 --stop-signal USR1 busybox:test sh -c 'trap "exit 10" USR1; while true; do sleep 0.1; done'
  run_tug stop -t 5 usr1
  assert_equal "$(state_of usr1 ExitCode)" 10 "exit code after the --stop-signal"
  # Stopping a stopped container is no error.
  run_tug stop trap
  assert_output trap
  run_tug rm trap deaf usr1
}

@test "kill -s delivers the signal; wait prints the exit code; kill of a stopped container fails" {
  run_tug run -d --name kk busybox:test sh -c 'trap "exit 7" USR1; while true; do sleep 0.1; done'
  run_tug kill -s USR1 kk
  assert_output kk
  run_tug wait kk
  assert_output 7
  run_tug -125 kill kk
  assert_error_first_line "is not running"
  run_tug run -d --name k9 busybox:test sleep 1000
  run_tug kill k9
  run_tug wait k9
  assert_output 137
  run_tug -125 kill -s NOPE k9
  assert_error_first_line "Invalid signal: NOPE"
  run_tug rm kk k9
}

@test "a container running as a non-root user is stopped and killed too" {
  if ! has_full_mapping; then
    # One mapped id: another user cannot exist in the container; tug says why and how to fix it.
    run_tug -125 run -d --name uu --user 1000:1000 busybox:test sleep 1000
    assert_error_first_line "tug: user 1000:1000 (uid 1000, gid 1000) is not mapped in this user namespace (id mapping: single): no /etc/subuid and /etc/subgid range for $(id -un): only one id is mapped and file owners in images are squashed; fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $(id -un)"
    # As docker does when a run cannot start, the container stays, created, and rm removes it.
    assert_equal "$(state_of uu Status)" created "status"
    run_tug rm uu
    return
  fi
  run_tug run -d --name uu --user 1000:1000 busybox:test sleep 1000
  run_tug exec uu id -u
  assert_output 1000
  run_tug kill uu
  run_tug wait uu
  assert_output 137
  run_tug rm uu
}

@test "create then start; start again after exit; the writable layer persists" {
  run_tug create --name cs busybox:test sh -c 'echo x >> /runs; exit $(wc -l < /runs)'
  assert_equal "$(state_of cs Status)" created "status after create"
  run_tug start cs
  assert_output cs
  run_tug wait cs
  assert_output 1
  run_tug start cs
  run_tug wait cs
  assert_output 2
  run_tug rm cs
}

@test "run -d of a command that does not exist: 127 and docker's message; the container stays created" {
  run_tug -127 run -d --name nocmd busybox:test /no/such/cmd
  assert_error_first_line "no such file or directory"
  assert_equal "$(state_of nocmd Status)" exited "status"
  assert_equal "$(state_of nocmd ExitCode)" 127 "exit code"
  run_tug rm nocmd
}

@test "run -d --rm: the container is gone once it exits" {
  run_tug run -d --rm --name gone busybox:test sh -c 'sleep 0.3'
  local i
  for ((i = 0; i < 100; i++)); do
    tug inspect gone >/dev/null 2>&1 || break
    sleep 0.1
  done
  run_tug -125 inspect gone
  run_tug -125 run -d --rm --restart always busybox:test true
  assert_error_first_line "Conflicting options: --restart and --rm"
}

@test "restart policies: on-failure:N stops after N restarts, always restarts until stopped" {
  run_tug run -d --name of --restart on-failure:2 busybox:test sh -c 'exit 4'
  wait_state of exited 15
  # The monitor may still be between a restart and the final record: wait for it to go.
  run_tug wait of
  assert_output 4
  assert_equal "$(tug inspect -f '{{.RestartCount}}' of 2>/dev/null || tug inspect -f '{{.State.RestartCount}}' of)" 2 "restarts"
  assert_equal "$(tug inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' of)" on-failure:2 "policy"
  run_tug run -d --name al --restart always busybox:test sh -c 'sleep 0.2; exit 0'
  local i n=0
  for ((i = 0; i < 100; i++)); do
    n=$(grep -o '"RestartCount":[0-9]*' "$TUG_TEST_ROOT/containers/$(tug inspect -f '{{.Id}}' al)/state.json" | cut -d: -f2)
    ((n >= 2)) && break
    sleep 0.1
  done
  ((n >= 2)) || fail "restart always: only $n restarts after 10 s"
  run_tug stop -t 2 al
  sleep 1
  assert_equal "$(state_of al Status)" exited "status after stop: a stopped container is not restarted"
  run_tug -125 run -d --restart sometimes busybox:test true
  assert_error_first_line "invalid restart policy"
  run_tug rm of al
}

@test "pause stops every process of the container, unpause lets them go on" {
  local dir=$BATS_TEST_TMPDIR/pause-count
  mkdir -p "$dir"
  run_tug run -d --name pp -v "$dir:/data" busybox:test sh -c 'i=0; while true; do i=$((i+1)); echo $i > /data/next; mv /data/next /data/count; sleep 0.05; done'
  sleep 0.3
  run_tug pause pp
  assert_output pp
  assert_equal "$(state_of pp Status)" paused "status"
  assert_equal "$(state_of pp Paused)" true "Paused"
  local count=$dir/count a b
  a=$(cat "$count")
  sleep 0.5
  b=$(cat "$count")
  assert_equal "$b" "$a" "the counter while paused"
  run_tug unpause pp
  assert_equal "$(state_of pp Status)" running "status after unpause"
  sleep 0.5
  b=$(cat "$count")
  ((b > a)) || fail "the counter did not move after unpause ($a, $b)"
  run_tug -125 unpause pp
  run_tug rm -f pp
}

@test "a monitor killed with SIGKILL takes its container with it; inspect says so; rm cleans up" {
  run_tug run -d --name mk busybox:test sleep 1000
  local pid mon
  pid=$(state_of mk Pid)
  mon=$(monitors)
  [ -n "$mon" ] || fail "no monitor process found"
  kill -KILL $mon
  local i
  for ((i = 0; i < 50; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  [ ! -d "/proc/$pid" ] || fail "the container's PID 1 survived its monitor"
  assert_equal "$(state_of mk Status)" exited "status"
  assert_equal "$(state_of mk ExitCode)" 137 "exit code"
  [[ $(state_of mk Error) == *died* ]] || fail "State.Error does not say why: $(state_of mk Error)"
  run_tug rm mk
  run_tug -125 inspect mk
}

@test "with no container running, no tug process remains" {
  run_tug run -d --name short busybox:test true
  run_tug wait short
  local i
  for ((i = 0; i < 50; i++)); do
    [ -z "$(monitors)" ] && break
    sleep 0.1
  done
  [ -z "$(monitors)" ] || fail "tug processes remain: $(monitors | xargs -r ps -o pid,args -p)"
  run_tug rm short
}

@test "healthcheck: starting, unhealthy after the retries, healthy once the check passes; ps and inspect show it" {
  run_tug run -d --name hc --health-cmd 'test -e /ok' --health-interval 200ms --health-retries 2 busybox:test sleep 1000
  run_tug ps --filter name=^hc$ --format '{{.Status}}'
  assert_output_matches '^Up .* \(health: starting\)$'
  assert_equal "$(tug inspect -f '{{json .Config.Healthcheck}}' hc)" \
    '{"Test":["CMD-SHELL","test -e /ok"],"Interval":200000000,"Retries":2}' "Config.Healthcheck"
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(state_of hc Health.Status)" = unhealthy ] && break
    sleep 0.05
  done
  assert_equal "$(state_of hc Health.Status)" unhealthy "after two failed checks"
  [ "$(state_of hc Health.FailingStreak)" -ge 2 ] || fail "FailingStreak $(state_of hc Health.FailingStreak)"
  run_tug ps --filter name=^hc$ --format '{{.Status}}'
  assert_output_matches '^Up .* \(unhealthy\)$'
  run_tug ps -q --filter health=unhealthy
  assert_output "$(tug inspect -f '{{.Id}}' hc | cut -c1-12)"
  run_tug exec hc touch /ok
  for ((i = 0; i < 100; i++)); do
    [ "$(state_of hc Health.Status)" = healthy ] && break
    sleep 0.05
  done
  assert_equal "$(state_of hc Health.Status)" healthy "once the check passes"
  assert_equal "$(state_of hc Health.FailingStreak)" 0 "FailingStreak"
  run_tug inspect -f '{{len .State.Health.Log}} {{(index .State.Health.Log 0).ExitCode}}' hc
  assert_output_matches '^[1-5] [01]$'
  run_tug rm -f hc
}

@test "healthcheck: output kept, a check past its timeout fails, --no-healthcheck and bad flags" {
  run_tug run -d --name hto --health-cmd 'echo checking; sleep 5' --health-interval 100ms --health-timeout 300ms \
    --health-retries 1 busybox:test sleep 1000
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(state_of hto Health.Status)" = unhealthy ] && break
    sleep 0.05
  done
  assert_equal "$(state_of hto Health.Status)" unhealthy "status"
  run_tug inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' hto
  assert_output "-1 Health check exceeded timeout (300ms)"
  # Timed-out checks' processes are killed: after several timeouts, at most the current
  # check's sleep is there, never one per past check.
  sleep 1.5
  [ "$(tug inspect -f '{{len .State.Health.Log}}' hto)" -ge 3 ] || fail "fewer than 3 checks ran"
  run_tug exec hto sh -c 'ps -o args | grep -c "[s]leep 5" || true'
  ((output <= 1)) || fail "$output timed-out checks still run"
  run_tug rm -f hto
  run_tug run -d --name hout --health-cmd 'echo out; echo err >&2' --health-interval 100ms busybox:test sleep 1000
  for ((i = 0; i < 100; i++)); do
    [ "$(state_of hout Health.Status)" = healthy ] && break
    sleep 0.05
  done
  run_tug inspect -f '{{(index .State.Health.Log 0).Output}}' hout
  assert_output $'out\nerr'
  run_tug rm -f hout
  run_tug create --name hn --no-healthcheck busybox:test true
  assert_equal "$(tug inspect -f '{{json .Config.Healthcheck}}' hn)" '{"Test":["NONE"]}' "--no-healthcheck"
  run_tug rm hn
  run_tug -125 create --health-interval soon busybox:test true
  assert_one_line_error 'invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"'
  run_tug -125 create --no-healthcheck --health-cmd true busybox:test true
  assert_one_line_error "--no-healthcheck conflicts with --health-* options"
  run_tug -125 create --health-retries -1 busybox:test true
  assert_one_line_error "--health-retries cannot be negative"
}

@test "--init: PID 1 is tug's init, it forwards stop's SIGTERM to the command, reaps orphans and passes the exit code" {
  run_tug run --rm --init busybox:test ps -o pid,args
  assert_line "    1 /sbin/tug-init"
  [[ ${lines[2]} =~ ^\ +2\ ps\ -o\ pid,args$ ]] || fail "the command is not PID 2: '${lines[2]}'"
  # An orphan that exits is reaped by the init: no zombie is left.
  run_tug run --rm --init busybox:test sh -c '(sleep 0.1 &); sleep 0.6; ps -o stat,args | grep -c "^Z" || true'
  assert_output 0
  run_tug -7 run --rm --init busybox:test sh -c 'exit 7'
  run_tug -127 run --rm --init busybox:test /no/such/cmd
  assert_error_first_line "no such file or directory"
  # sleep as PID 1 ignores SIGTERM; under the init it gets it and dies at once.
  run_tug run -d --name ini --init busybox:test sleep 1000
  local start=$SECONDS
  run_tug stop -t 10 ini
  ((SECONDS - start < 5)) || fail "stop took $((SECONDS - start)) s: SIGTERM was not forwarded"
  assert_equal "$(state_of ini ExitCode)" 143 "exit code after the forwarded SIGTERM"
  assert_equal "$(tug inspect -f '{{.HostConfig.Init}}' ini)" true "HostConfig.Init"
  run_tug rm ini
}

@test "start -ai feeds our stdin to a container created with -i and ends with its exit code; attach sends input to run -di" {
  run_tug create -i --name sai busybox:test sh -c 'while read l; do echo "got $l"; done; echo done; exit 4'
  assert_equal "$(tug inspect -f '{{.Config.OpenStdin}} {{.Config.StdinOnce}}' sai)" "true true" "create -i"
  capture bash -c 'printf "a\nb\n" | timeout 20 "$@"' _ "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" start -ai sai
  check_status 4
  assert_output $'got a\ngot b\ndone'
  run_tug rm sai
  # run -di: stdin stays open across clients (StdinOnce false); attach's input arrives.
  run_tug run -di --name dai busybox:test sh -c 'while read l; do echo "got $l"; done'
  assert_equal "$(tug inspect -f '{{.Config.OpenStdin}} {{.Config.StdinOnce}}' dai)" "true false" "run -di"
  capture bash -c 'echo one | timeout 2 "$@"' _ "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" attach dai
  check_status 124  # attach follows the running container until it stops, as docker's does
  assert_output "got one"
  assert_equal "$(state_of dai Status)" running "after the client left"
  capture bash -c 'echo two | timeout 2 "$@"' _ "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" attach dai
  assert_output "got two"
  run_tug logs dai
  assert_output $'got one\ngot two'
  run_tug rm -f dai
}
