#!/usr/bin/env bats
# `tug logs`: what a detached container wrote, kept in docker's json-file format and read back
# as docker does (streams kept apart, --tail, -t, --since/--until, -f until the container stops).

load helpers

setup_file() { tug_setup_file; }
teardown_file() {
  # A failed test may leave a container running: remove them all, so the store can be deleted.
  tug ps -aq 2>/dev/null | while read -r id; do tug rm -f "$id" >/dev/null 2>&1 || true; done
  tug_teardown_file
}

# wait_exited NAME [SECONDS]: polls until the container no longer runs.
wait_exited() {
  local i
  for ((i = 0; i < ${2:-10} * 20; i++)); do
    [ "$(tug inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = false ] && return 0
    sleep 0.05
  done
  fail "container $1 still runs after ${2:-10} s"
}

# log_path NAME: the container's json-file log, as inspect reports it (or where the store keeps it).
log_path() {
  local p
  p=$(tug inspect -f '{{.LogPath}}' "$1" 2>/dev/null) || p=
  if [ -z "$p" ] || [ "$p" = "<no value>" ]; then
    local id
    id=$(tug inspect -f '{{.Id}}' "$1")
    p=$TUG_TEST_ROOT/containers/$id/$id-json.log
  fi
  echo "$p"
}

@test "logs prints the container's stdout on stdout and its stderr on stderr" {
  run_tug run -d --name streams busybox:test sh -c 'echo out; echo err >&2; echo out2'
  wait_exited streams
  run_tug logs streams
  assert_equal "$output" "$(printf 'out\nout2')" "stdout"
  assert_equal "$stderr" err "stderr"
  # The docker-compatible alias.
  run_tug container logs streams
  assert_equal "$output" "$(printf 'out\nout2')" "container logs stdout"
  assert_equal "$stderr" err "container logs stderr"
}

@test "the log file holds one docker json-file entry per line" {
  run_tug run -d --name rawfile busybox:test sh -c 'echo "a <b> & \"c\""; printf "tab\there\n" >&2'
  wait_exited rawfile
  local path
  path=$(log_path rawfile)
  [ -f "$path" ] || fail "no log file at $path"
  # Exactly docker's bytes: field order, HTML escapes, \u0009 for a tab, RFC 3339 nanosecond UTC times.
  run_cmd sed -E 's/"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?Z"/"time":T/' "$path"
  assert_equal "${lines[0]}" '{"log":"a \u003cb\u003e \u0026 \"c\"\n","stream":"stdout","time":T}' "first entry"
  assert_equal "${lines[1]}" '{"log":"tab\u0009here\n","stream":"stderr","time":T}' "second entry"
  assert_equal "${#lines[@]}" 2 "entries"
}

@test "output order is kept within each stream" {
  run_tug run -d --name order busybox:test sh -c 'i=1; while [ $i -le 300 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done'
  wait_exited order
  run_tug logs order
  assert_equal "$output" "$(seq -f 'o%g' 1 300)" "stdout"
  assert_equal "$stderr" "$(seq -f 'e%g' 1 300)" "stderr"
}

@test "--tail N prints the last N lines; 0 prints none, all prints every line" {
  run_tug run -d --name tail busybox:test sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
  wait_exited tail
  run_tug logs --tail 2 tail
  assert_equal "$output" "$(printf 'line4\nline5')" "--tail 2"
  run_tug logs -n 1 tail
  assert_output line5
  run_tug logs --tail 0 tail
  assert_output ""
  run_tug logs --tail all tail
  assert_equal "$output" "$(printf 'line1\nline2\nline3\nline4\nline5')" "--tail all"
  run_tug logs --tail 100 tail
  assert_equal "${#lines[@]}" 5 "--tail 100 line count"
}

@test "-t prefixes every line with its RFC 3339 nanosecond time" {
  run_tug run -d --name stamps busybox:test sh -c 'echo one; echo two >&2'
  wait_exited stamps
  local started finished
  started=$(tug inspect -f '{{.State.StartedAt}}' stamps)
  finished=$(tug inspect -f '{{.State.FinishedAt}}' stamps)
  run_tug logs -t stamps
  local re='^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z) '
  [[ $output =~ ${re}one$ ]] || fail "stdout is '$output'"
  local t=${BASH_REMATCH[1]}
  # The line was written while the container ran (both are fixed-width UTC: they sort as text).
  [[ ! $t < ${started:0:19} && ! $t > $finished ]] || fail "time $t is not between $started and $finished"
  [[ $stderr =~ ${re}two$ ]] || fail "stderr is '$stderr'"
  run_tug logs --timestamps --tail 1 stamps
  [[ $stderr =~ ${re}two$ ]] || fail "--timestamps stderr is '$stderr'"
}

@test "--since and --until select by time" {
  run_tug run -d --name since busybox:test sh -c 'echo early; echo late'
  wait_exited since
  local after
  after=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  run_tug logs --since "$after" since
  assert_output ""
  run_tug logs --since 1h since
  assert_equal "$output" "$(printf 'early\nlate')" "--since 1h"
  run_tug logs --since 2000-01-01T00:00:00Z since
  assert_equal "${#lines[@]}" 2 "--since 2000"
  run_tug logs --until 1h since
  assert_output ""
  run_tug logs --until "$after" since
  assert_equal "${#lines[@]}" 2 "--until now"
  run_tug logs --since "$(($(date +%s) - 3600))" --until "$(date +%s).999999999" since
  assert_equal "${#lines[@]}" 2 "Unix times"
}

@test "a bad --since names the flag and the value" {
  run_tug run -d --name badsince busybox:test true
  wait_exited badsince
  run_tug_fails logs --since yesterday badsince
  [ "$status" -eq 125 ] || fail "exit $status"
  assert_one_line_error 'invalid value for "since"'
  assert_stderr_contains yesterday
}

@test "-f streams new lines as they come and ends when the container stops" {
  mkdir -p "$BATS_TEST_TMPDIR/shared"
  chmod 777 "$BATS_TEST_TMPDIR/shared"
  run_tug run -d --name follow -v "$BATS_TEST_TMPDIR/shared:/shared" busybox:test \
    sh -c 'echo first; while [ ! -e /shared/go ]; do sleep 0.1; done; echo second >&2; echo third'
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" logs -f follow
  local logs_pid=$TUG_BG_PID
  wait_for_file "$BATS_TEST_TMPDIR/out" '^first$'
  kill -0 "$logs_pid" 2>/dev/null || fail "logs -f ended while the container still runs"
  touch "$BATS_TEST_TMPDIR/shared/go"
  wait_bg 10
  assert_equal "$status" 0 "logs -f exit status"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "$(printf 'first\nthird')" "stdout"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" second "stderr"
}

@test "-f on a container that prints for 3 s exits 0 right after it" {
  run_tug run -d --name count busybox:test sh -c 'for i in 1 2 3; do echo $i; sleep 1; done'
  local start=$SECONDS
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" logs -f count
  wait_bg 10
  assert_equal "$status" 0 "logs -f exit status"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "$(printf '1\n2\n3')" "stdout"
  ((SECONDS - start <= 6)) || fail "logs -f took $((SECONDS - start)) s"
}

@test "-f --tail 0 shows only what comes next" {
  mkdir -p "$BATS_TEST_TMPDIR/shared"
  chmod 777 "$BATS_TEST_TMPDIR/shared"
  run_tug run -d --name newonly -v "$BATS_TEST_TMPDIR/shared:/shared" busybox:test \
    sh -c 'echo old; while [ ! -e /shared/go ]; do sleep 0.1; done; echo new'
  # "old" is in the log before logs starts.
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(tug logs newonly 2>/dev/null)" = old ] && break
    sleep 0.05
  done
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" logs -f --tail 0 newonly
  # logs watches the file (inotify) once it has found where to start: only then may "new" come.
  for ((i = 0; i < 200; i++)); do
    ls -l "/proc/$TUG_BG_PID/fd" 2>/dev/null | grep -q inotify && break
    sleep 0.05
  done
  touch "$BATS_TEST_TMPDIR/shared/go"
  wait_bg 10
  assert_equal "$status" 0 "logs -f exit status"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" new "stdout"
}

@test "-f on a stopped container prints the log and exits" {
  run_tug run -d --name stopped busybox:test echo bye
  wait_exited stopped
  capture timeout 5 "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" logs -f stopped
  check_status 0
  assert_output bye
}

@test "a 40 KiB line without a newline is stored as 16 KiB entries and printed whole" {
  run_tug run -d --name big busybox:test sh -c "head -c 40960 /dev/zero | tr '\\0' x"
  wait_exited big
  local path
  path=$(log_path big)
  run_cmd python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["stream"], len(e["log"]), e["log"].strip("x") or "-")
' "$path"
  assert_equal "$output" "$(printf 'stdout 16384 -\nstdout 16384 -\nstdout 8192 -')" "entries"
  capture tug logs big
  check_status 0
  assert_equal "${#output}" 40960 "printed length"
  [[ $output =~ ^x+$ ]] || fail "printed something else than x"
  # Nothing is added: no newline after the last piece.
  assert_equal "$(tug logs big | wc -c)" 40960 "bytes printed"
}

@test "--details prefixes each line with the (empty) attributes and a space" {
  run_tug run -d --name details busybox:test echo hi
  wait_exited details
  capture tug logs --details details
  check_status 0
  assert_output " hi"
}

@test "a container that never ran has no logs; an unknown one is an error" {
  run_tug create --name never busybox:test echo hi
  run_tug logs never
  assert_output ""
  assert_equal "$stderr" "" "stderr"
  run_tug_fails logs no-such-container
  assert_one_line_error "No such container: no-such-container"
}

@test "a container run in the foreground is logged too, and still prints to our stdout and stderr" {
  run_tug run --name fg busybox:test sh -c 'echo out1; echo err1 >&2; echo out2'
  assert_output $'out1\nout2'
  assert_equal "$stderr" "err1" "stderr"
  capture tug logs fg
  check_status 0
  assert_output $'out1\nout2'
  assert_equal "$stderr" "err1" "logs stderr"
  # -t: the pty's output is logged as docker logs it (with the pty's \r\n).
  capture script -qec "$TUG --root $TUG_TEST_ROOT --runroot $TUG_TEST_RUNROOT run -t --name fgt busybox:test echo tty-line" /dev/null
  check_status 0
  run_tug logs fgt
  assert_output $'tty-line\r'
  run_tug rm fg fgt
}
