#!/usr/bin/env bats
# What a docker user reads from `ps` (columns, statuses, flags, filters, --format), `rename`,
# `port`, `top`, container `inspect`, and `rm -f` / `rm -v`.

load helpers

setup_file() {
  tug_setup_file
  # An image that exposes a port (its ID differs from busybox:test's; its layers are the same).
  tug import --change 'EXPOSE 80' "$BUSYBOX_TAR" ps-exposed:test >/dev/null
}

teardown_file() {
  local ids
  ids=$(tug ps -aq --no-trunc 2>/dev/null) || true
  [ -z "$ids" ] || tug rm -f $ids >/dev/null 2>&1 || true
  tug_teardown_file
}

# A unique number for this test's processes, findable on the host with pgrep.
marker() { echo $((100000 + RANDOM))$$; }

# start_running NAME [RUN ARGS...]: `run -d --name NAME ...`, then waits until it is running.
start_running() {
  local name=$1 i
  shift
  run_tug run -d --name "$name" "$@"
  for ((i = 0; i < 200; i++)); do
    [ "$(tug inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] && return 0
    sleep 0.05
  done
  fail "container $name never ran"
}

# names FILTER/FLAGS...: the NAMES column of `ps` with these arguments, one per line.
names() {
  run_tug ps --format '{{.Names}}' "$@"
}

# The column of `header_line` that starts at the word $2: its start offset.
column_of() {
  local header=$1 word=$2 prefix
  prefix=${header%%"$word"*}
  echo "${#prefix}"
}

@test "ps: docker's header, columns aligned, a running container's row" {
  local m
  m=$(marker)
  start_running ps-cols busybox:test sleep "$m"
  local id=${lines[0]}
  run_tug ps
  [[ ${lines[0]} =~ ^CONTAINER\ ID\ {3,}IMAGE\ {3,}COMMAND\ {3,}CREATED\ {3,}STATUS\ {3,}PORTS\ {3,}NAMES$ ]] ||
    fail "header is '${lines[0]}'"
  local header=${lines[0]} row="" l
  for l in "${lines[@]}"; do [[ $l != *" ps-cols" ]] || row=$l; done
  [ -n "$row" ] || fail "no row for ps-cols in: $output"
  assert_equal "${row:0:12}" "${id:0:12}" "CONTAINER ID"
  local col
  col=$(column_of "$header" IMAGE)
  [[ ${row:$col} == "busybox:test "* ]] || fail "IMAGE column: '${row:$col}'"
  col=$(column_of "$header" COMMAND)
  [[ ${row:$col} == "\"sleep $m\" "* ]] || fail "COMMAND column: '${row:$col}'"
  col=$(column_of "$header" CREATED)
  [[ ${row:$col} =~ ^(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\  ]] || fail "CREATED column: '${row:$col}'"
  col=$(column_of "$header" STATUS)
  [[ ${row:$col} =~ ^Up\ (Less\ than\ a\ second|[0-9]+\ seconds?)\  ]] || fail "STATUS column: '${row:$col}'"
  col=$(column_of "$header" NAMES)
  assert_equal "${row:$col}" ps-cols NAMES
}

@test "ps: Created, Exited (N) and Up statuses; -a shows stopped containers, ps alone does not" {
  run_tug create --name ps-created busybox:test true
  run_tug -3 run --name ps-exit3 busybox:test sh -c 'exit 3'
  start_running ps-up busybox:test sleep "$(marker)"

  run_tug ps -a --filter name=^ps-created$ --format '{{.Status}}|{{.State}}'
  assert_output 'Created|created'
  run_tug ps -a --filter name=^ps-exit3$ --format '{{.Status}}|{{.State}}'
  assert_output_matches '^Exited \(3\) (Less than a second|[0-9]+ seconds?) ago\|exited$'
  run_tug ps -a --filter name=^ps-up$ --format '{{.Status}}|{{.State}}'
  assert_output_matches '^Up (Less than a second|[0-9]+ seconds?)\|running$'

  names
  assert_line ps-up
  refute_line ps-created
  refute_line ps-exit3
  names -a
  assert_line ps-up
  assert_line ps-created
  assert_line ps-exit3
}

@test "ps: COMMAND is quoted and cut at 20 columns with …; --no-trunc shows it whole and the full ID" {
  run_tug create --name ps-long busybox:test sh -c 'echo a long command line here'
  local id=$output
  run_tug ps -a --filter name=^ps-long$ --format '{{.ID}} {{.Command}}'
  assert_output "${id:0:12} \"sh -c 'echo a long …\""
  run_tug ps -a --no-trunc --filter name=^ps-long$ --format '{{.ID}} {{.Command}}'
  assert_output "$id \"sh -c 'echo a long command line here'\""
}

@test "ps: -q, -q --no-trunc, -l, -n N (newest first, any state)" {
  run_tug create --name ps-n1 busybox:test true
  local id1=$output
  run_tug create --name ps-n2 busybox:test true
  local id2=$output
  run_tug ps -aq
  assert_line "${id2:0:12}"
  assert_line "${id1:0:12}"
  for l in "${lines[@]}"; do [[ $l =~ ^[0-9a-f]{12}$ ]] || fail "-q line '$l'"; done
  run_tug ps -aq --no-trunc
  assert_line "$id2"
  # -l and -n include created containers without -a.
  names -l
  assert_output ps-n2
  names -n 2
  assert_equal "${#lines[@]}" 2 "lines of -n 2"
  assert_equal "${lines[0]}" ps-n2 "newest first"
  assert_equal "${lines[1]}" ps-n1 "then the one before"
  run_tug ps -q -l --no-trunc
  assert_output "$id2"
}

@test "ps -s and inspect --size: the writable layer and the virtual size, files of container ids included" {
  # /private is 0700 and owned by the container's root: with subordinate ids, the user cannot
  # read it from outside.
  run_tug run --name ps-size busybox:test sh -c \
    'mkdir /private && head -c 12345 /dev/zero > /private/f && chmod 700 /private'
  run_tug run --name ps-size0 busybox:test true
  run_tug inspect --size -f '{{.SizeRw}} {{.SizeRootFs}}' ps-size
  local rw root_fs
  read -r rw root_fs <<<"$output"
  run_tug inspect --size -f '{{.SizeRw}}' ps-size0
  assert_equal "$((rw - output))" 12345 "SizeRw difference made by a 12345-byte file"
  [ "$root_fs" -gt "$rw" ] || fail "SizeRootFs $root_fs is not more than SizeRw $rw"
  # The SIZE column renders those numbers as docker does (3 significant digits, decimal units).
  local expected
  expected=$(python3 -c '
import sys
def h(n):
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    n = float(n)
    while n >= 1000 and i < 4:
        n /= 1000
        i += 1
    return "%.3g%s" % (n, units[i])
print("%s (virtual %s)" % (h(sys.argv[1]), h(sys.argv[2])))' "$rw" "$root_fs")
  run_tug ps -a -s --filter name=^ps-size$
  [[ ${lines[0]} == *"   NAMES"*"SIZE" ]] || fail "no SIZE column in '${lines[0]}'"
  [[ ${lines[1]} == *"   $expected" ]] || fail "row '${lines[1]}' does not end with '$expected'"
  # --format with .Size asks for sizes by itself, as docker does.
  run_tug ps -a --filter name=^ps-size$ --format '{{.Size}}'
  assert_output "$expected"
  # inspect without --size has no size fields.
  run_tug inspect -f '{{json .SizeRw}}' ps-size
  assert_output null
}

@test "ps --filter: status, name (substring, regex), id prefix, exited, ancestor, label, expose; OR and AND" {
  run_tug create --name flt-created --label tier=web --label solo busybox:test true
  local created_id=$output
  run_tug -3 run --name flt-exit3 --label tier=db busybox:test sh -c 'exit 3'
  run_tug run --name flt-exit0 ps-exposed:test true
  start_running flt-run ps-exposed:test sleep "$(marker)"

  names -a --filter status=created --filter name=flt-
  assert_output flt-created
  # A status filter includes stopped containers without -a.
  names --filter status=exited --filter name=flt-
  assert_line flt-exit3
  assert_line flt-exit0
  assert_equal "${#lines[@]}" 2 "exited containers"
  names --filter status=running --filter name=flt-
  assert_output flt-run

  names -a --filter name=t-exit3
  assert_output flt-exit3
  names -a --filter 'name=^flt-exit[0-9]$' --filter name=flt-created
  assert_line flt-exit3
  assert_line flt-exit0
  assert_line flt-created
  assert_equal "${#lines[@]}" 3 "same key: OR"
  names -a --filter name=no-such-container
  assert_output ""

  names -a --filter "id=${created_id:0:8}"
  assert_output flt-created

  names -a --filter exited=3 --filter name=flt-
  assert_output flt-exit3
  names -a --filter exited=0 --filter name=flt-
  assert_output flt-exit0

  names -a --filter ancestor=ps-exposed:test --filter name=flt-
  assert_line flt-exit0
  assert_line flt-run
  assert_equal "${#lines[@]}" 2 "containers of ps-exposed:test"
  names -a --filter ancestor="$BUSYBOX_ID" --filter name=flt-
  assert_line flt-created
  assert_line flt-exit3
  assert_equal "${#lines[@]}" 2 "containers of busybox:test by ID"

  names -a --filter label=tier
  assert_line flt-created
  assert_line flt-exit3
  assert_equal "${#lines[@]}" 2 "label=tier"
  names -a --filter label=tier=db
  assert_output flt-exit3
  # Label filters must all hold (docker's MatchKVList).
  names -a --filter label=tier --filter label=solo
  assert_output flt-created
  names -a --filter label=tier=nothing
  assert_output ""

  names -a --filter expose=80 --filter name=flt-
  assert_line flt-run
  assert_line flt-exit0
  assert_equal "${#lines[@]}" 2 "expose=80"

  # Different keys: AND.
  names -a --filter name=flt- --filter status=exited --filter label=tier
  assert_output flt-exit3
}

@test "ps --filter: bad filters are docker's errors" {
  run_tug -125 ps --filter nokey=1
  assert_one_line_error "invalid filter 'nokey'"
  run_tug -125 ps --filter status=sleeping
  assert_one_line_error "invalid filter 'status=sleeping'"
  run_tug -125 ps --filter name
  assert_one_line_error "bad format of filter (expected name=value)"
}

@test "ps --format: table with headers, json, custom template; container ls is ps" {
  run_tug create --name fmt-one --label a=1 --label b=2 busybox:test sleep 5
  run_tug ps -a --filter name=^fmt-one$ --format 'table {{.Names}}\t{{.State}}\t{{.CreatedAt}}'
  [[ ${lines[0]} =~ ^NAMES\ {3,}STATE\ {3,}CREATED\ AT$ ]] || fail "header '${lines[0]}'"
  [[ ${lines[1]} =~ ^fmt-one\ {3,}created\ {3,}[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ [-+][0-9]{4}\ [A-Za-z0-9+-]+$ ]] ||
    fail "row '${lines[1]}'"

  run_tug ps -a --filter name=^fmt-one$ --format json
  assert_equal "$(json_get 'd["Names"]')" fmt-one Names
  assert_equal "$(json_get 'd["State"]')" created State
  assert_equal "$(json_get 'd["Image"]')" busybox:test Image
  assert_equal "$(json_get 'd["Command"]')" '"sleep 5"' Command
  assert_equal "$(json_get 'd["Labels"]')" a=1,b=2 Labels
  assert_equal "$(json_get 'list(d)')" \
    '["Command","CreatedAt","ID","Image","Labels","LocalVolumes","Mounts","Names","Networks","Ports","RunningFor","Size","State","Status"]' \
    "the keys, in docker's order"

  run_tug inspect -f '{{.HostConfig.NetworkMode}}' fmt-one
  local mode=$output
  run_tug ps -a --filter name=^fmt-one$ --format '{{.Names}}:{{.Status}}:{{.Networks}}'
  assert_output "fmt-one:Created:$mode"
  # No header, nothing at all, for a custom format without rows.
  run_tug ps -a --filter name=^nothing-here$ --format '{{.Names}}'
  assert_output ""

  run_tug container ls -a --filter name=^fmt-one$ --format '{{.Names}}'
  assert_output fmt-one
  run_tug container list -aq --filter name=^fmt-one$
  assert_output_matches '^[0-9a-f]{12}$'
}

@test "ps: PORTS of a running container show its exposed ports; a stopped one has none" {
  start_running ports-run ps-exposed:test sleep "$(marker)"
  run_tug ps --filter name=^ports-run$ --format '{{.Ports}}'
  assert_output 80/tcp
  run_tug create --name ports-created ps-exposed:test true
  run_tug ps -a --filter name=^ports-created$ --format '[{{.Ports}}]'
  assert_output '[]'
}

@test "port: nothing published lists nothing; asking for a port is docker's error" {
  start_running port-run ps-exposed:test sleep "$(marker)"
  run_tug port port-run
  assert_output ""
  run_tug -125 port port-run 80
  assert_one_line_error "No public port '80' published for port-run"
  run_tug -125 port port-run 81/tcp
  assert_one_line_error "No public port '81/tcp' published for port-run"
  run_tug -125 port port-run http
  assert_one_line_error "invalid port (http)"
  run_tug -125 port no-such-container
  assert_one_line_error "No such container: no-such-container"
}

@test "rename: the new name finds the container, the old one is free; a taken name is a conflict" {
  run_tug create --name ren-a busybox:test true
  local id=$output
  run_tug create --name ren-taken busybox:test true
  run_tug rename ren-a ren-b
  assert_output ""
  run_tug inspect -f '{{.Id}} {{.Name}}' ren-b
  assert_output "$id /ren-b"
  run_tug -125 inspect ren-a
  names -a --filter "id=$id"
  assert_output ren-b
  # The old name can be used again.
  run_tug create --name ren-a busybox:test true

  run_tug -125 rename ren-b ren-taken
  assert_one_line_error 'Conflict. The container name "/ren-taken" is already in use'
  run_tug inspect -f '{{.Name}}' ren-b
  assert_output /ren-b
  run_tug -125 rename ren-b ren-b
  assert_one_line_error "same name"
  run_tug -125 rename ren-b 'bad name'
  assert_one_line_error "Invalid container name (bad name)"
  run_tug -125 rename no-such-container x1
  assert_one_line_error "No such container: no-such-container"
  # A running container can be renamed.
  start_running ren-run busybox:test sleep "$(marker)"
  run_tug rename ren-run ren-run2
  run_tug ps --filter name=^ren-run2$ --format '{{.Names}} {{.State}}'
  assert_output "ren-run2 running"
}

@test "top: the host's ps -ef rows of the container's processes, and only those" {
  local m
  m=$(marker)
  start_running top-run busybox:test sh -c "sleep $m & exec sleep $((m + 1))"
  local i
  for ((i = 0; i < 100; i++)); do
    pgrep -xf "sleep $m" >/dev/null && break
    sleep 0.05
  done
  run_tug top top-run
  [[ ${lines[0]} =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]] || fail "header '${lines[0]}'"
  assert_equal "${#lines[@]}" 3 "header and two processes"
  local pid1 pid2
  pid1=$(pgrep -xf "sleep $((m + 1))")
  pid2=$(pgrep -xf "sleep $m")
  printf '%s\n' "${lines[@]}" | grep -Eq "^[^ ]+ +$pid1 .* sleep $((m + 1))$" || fail "no row for PID 1 ($pid1)"
  printf '%s\n' "${lines[@]}" | grep -Eq "^[^ ]+ +$pid2 +$pid1 .* sleep $m$" || fail "no row for its child ($pid2)"
  # ps options after the name.
  run_tug top top-run -o pid,args
  [[ ${lines[0]} =~ ^PID\ +COMMAND$ ]] || fail "header '${lines[0]}'"
  assert_line "$(printf '%-20s%s' "$pid2" "sleep $m")"

  run_tug create --name top-created busybox:test true
  local id=$output
  run_tug -125 top top-created
  assert_one_line_error "container $id is not running"
}

@test "inspect: docker's shape, State from the live container, LogPath, RestartCount, NetworkSettings" {
  local m
  m=$(marker)
  start_running insp-run busybox:test sleep "$m"
  local id=${lines[0]}
  run_tug inspect insp-run
  assert_equal "$(json_get 'd[0]["Id"]')" "$id" Id
  assert_equal "$(json_get 'd[0]["Name"]')" /insp-run Name
  assert_equal "$(json_get 'd[0]["State"]["Running"]')" true State.Running
  assert_equal "$(json_get 'd[0]["State"]["Status"]')" running State.Status
  assert_equal "$(json_get 'd[0]["State"]["Pid"]')" "$(pgrep -xf "sleep $m")" "State.Pid is the host's PID of PID 1"
  assert_equal "$(json_get 'd[0]["RestartCount"]')" 0 RestartCount
  assert_equal "$(json_get 'd[0]["LogPath"]')" "$TUG_TEST_ROOT/containers/$id/$id-json.log" LogPath
  assert_equal "$(json_get 'd[0]["NetworkSettings"]["IPAddress"]')" "" NetworkSettings.IPAddress
  assert_equal "$(json_get 'list(d[0])[:6]')" '["Id","Created","Path","Args","State","Image"]' "first keys"
  assert_equal "$(json_get '"MonitorPid" in d[0]["State"]')" false "tug's own state fields stay out"

  run_tug -3 run --name insp-exit busybox:test sh -c 'exit 3'
  run_tug inspect -f '{{.State.Running}} {{.State.Pid}} {{.State.ExitCode}} {{.State.Status}}' insp-exit
  assert_output "false 0 3 exited"
  run_tug container inspect -f '{{.Name}}' insp-exit
  assert_output /insp-exit
  run_tug -125 container inspect "$BUSYBOX_ID"
  assert_one_line_error "No such container"
}

@test "rm -f kills a running container whose PID 1 runs as a non-root user; rm without -f refuses" {
  local m user=()
  m=$(marker)
  # Without subordinate ids only the user's own id exists in the container.
  ! has_full_mapping || user=(--user 1000)
  start_running rmf "${user[@]}" busybox:test sleep "$m"
  run_tug inspect -f '{{.Config.User}}' rmf
  [ ${#user[@]} -eq 0 ] || assert_output 1000
  run_tug -125 rm rmf
  assert_one_line_error 'cannot remove container "/rmf": container is running'
  run_tug rm -f rmf
  assert_output rmf
  run_tug -125 inspect rmf
  local i
  for ((i = 0; i < 100; i++)); do
    pgrep -xf "sleep $m" >/dev/null || break
    sleep 0.05
  done
  ! pgrep -xf "sleep $m" >/dev/null || fail "the container's process survived rm -f"
}

@test "ps -a: a container whose holder was killed with SIGKILL is Exited (137)" {
  local m out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err i
  m=$(marker)
  tug_bg "$out" "$err" run --name holder-killed busybox:test sleep "$m"
  for ((i = 0; i < 200; i++)); do
    [ "$(tug inspect -f '{{.State.Running}}' holder-killed 2>/dev/null)" = true ] && break
    sleep 0.05
  done
  kill -KILL "$TUG_BG_PID"
  wait_bg 10
  run_tug ps -a --filter name=^holder-killed$ --format '{{.Status}}'
  assert_output_matches '^Exited \(137\) (Less than a second|[0-9]+ seconds?) ago$'
  names --filter name=^holder-killed$
  assert_output ""
}

@test "rm -v removes the anonymous volumes, not the named ones" {
  run_tug create --name rmv -v /anon -v rmv-named:/named busybox:test true
  run_tug inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' rmv
  local anon=$output
  [[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "anonymous volume name '$anon'"
  [ -d "$TUG_TEST_ROOT/volumes/$anon" ] || fail "no anonymous volume directory"
  [ -d "$TUG_TEST_ROOT/volumes/rmv-named" ] || fail "no named volume directory"
  run_tug rm -v rmv
  assert_output rmv
  [ ! -e "$TUG_TEST_ROOT/volumes/$anon" ] || fail "rm -v left the anonymous volume"
  [ -d "$TUG_TEST_ROOT/volumes/rmv-named" ] || fail "rm -v removed the named volume"
}
