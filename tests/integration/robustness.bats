#!/usr/bin/env bats
# Robustness without a daemon: what a user finds after tug is killed half-way through `run -d`,
# `rm -f` or `commit`, after a container's holder died, after the runtime dir vanished (a
# reboot), and when `run -d` and `rm -f` race from several shells. The checks are the user's: ps and inspect tell the truth, images shows no half-made
# image, and `rm` leaves no mount, process, directory or name behind. Every tug command runs
# under `timeout`: a hang is a failure, not a stuck suite.
# configs: tugtest root

load helpers

setup_file() { tug_setup_file; }
# A failed test leaves its containers behind, maybe processes no tug knows of any more: the next
# test starts from an empty store anyway.
teardown() {
  local ids f
  ids=$(tugt ps -aq --no-trunc 2>/dev/null) || true
  [ -z "$ids" ] || tugt rm -f $ids >/dev/null 2>&1 || true
  for f in $(store_mounts); do
    f=${f#/proc/}
    kill -KILL "${f%/mountinfo}" 2>/dev/null || true
  done
}
teardown_file() {
  local ids
  ids=$(tug ps -aq --no-trunc 2>/dev/null) || true
  [ -z "$ids" ] || timeout 60 "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" rm -f $ids >/dev/null 2>&1 || true
  tug_teardown_file
}

# Seconds any one tug command may take before it counts as hung.
kTugTimeout=40

# tugt ARGS...: tug against this file's store, killed if it runs longer than $kTugTimeout.
tugt() {
  timeout -k 5 "$kTugTimeout" "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" "$@"
}

# run_t [-N] ARGS...: run_tug under timeout; a hang is reported as one.
run_t() {
  local expect=0
  if [[ $1 =~ ^-[0-9]+$ ]]; then
    expect=${1#-}
    shift
  fi
  capture tugt "$@"
  if [ "$status" -eq 124 ]; then
    show_last
    fail "tug $* hung: still running after ${kTugTimeout}s"
  fi
  check_status "$expect"
}

# A unique number for one container's process: it runs `sleep MARKER`, which pgrep finds.
marker() { echo $((100000 + RANDOM))$$; }

# procs_of MARKER: PIDs of the container processes running `sleep MARKER`.
procs_of() { pgrep -xf "sleep $1" || true; }
# store_tugs: PIDs of the tug processes working on this file's store (commands, monitors and
# their janitors: every one of them names the store root on its command line).
store_tugs() { pgrep -f -- "--root $TUG_TEST_ROOT " || true; }
# args_of PID: the command line of PID, arguments separated by spaces.
args_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }
# store_mounts: the mountinfo files, of any process, that show a mount under the store: a
# container's mounts live in its own mount namespace, which the scan of every process covers.
store_mounts() { grep -lsF -- "$TUG_TEST_ROOT/" /proc/[0-9]*/mountinfo 2>/dev/null || true; }

# stray_tugs "NAME...": the store's tug processes other than those of `run -d --name NAME` (a
# detached container's monitor, and its janitor while it starts, carry the command line of the
# run that forked them).
stray_tugs() {
  local pid args
  for pid in $(store_tugs); do
    args=$(args_of "$pid")
    [[ $args =~ \ run\ -d\ --name\ ([^ ]+)\  && " $1 " == *" ${BASH_REMATCH[1]} "* ]] || echo "$pid"
  done
}

no_procs() { [ -z "$(procs_of "$1")" ]; }
no_store_tugs() { [ -z "$(store_tugs)" ]; }
no_store_mounts() { [ -z "$(store_mounts)" ]; }

# wait_for SECONDS CMD...: polls CMD until it succeeds; returns 1 if it never did.
wait_for() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

describe_pids() { [ -z "$1" ] || ps -o pid,ppid,user,stat,args -p "$(echo $1 | tr ' ' ,)" 2>&1 | sed 's/^/#   /'; }

# state_of NAME FIELD: a field of inspect's State.
state_of() { tugt inspect -f "{{.State.$2}}" "$1"; }

# wait_running NAME: waits until NAME's State.Running is true.
wait_running() {
  local name=$1
  wait_for 10 eval '[ "$(state_of "$name" Running 2>/dev/null)" = true ]' ||
    fail "container $name never ran: $(state_of "$name" Status 2>&1)"
}

# remove_all: `rm -f` of every container ps -a lists, which must succeed.
remove_all() {
  run_t ps -aq --no-trunc
  [ -z "$output" ] || run_t rm -f $output
}

# assert_clean [MARKERS...]: nothing of any container is left: ps -a lists none, no process of
# the given markers and no tug process of the store runs, no mount under the store exists in any
# mount namespace, and containers/ and names/ are empty (no directory, trash or name link).
assert_clean() {
  run_t ps -aq --no-trunc
  [ -z "$output" ] || fail "ps -a still lists containers: $output"
  local m
  for m in "$@"; do
    wait_for 5 no_procs "$m" || {
      describe_pids "$(procs_of "$m")" >&2
      fail "processes of a removed container (sleep $m) remain"
    }
  done
  wait_for 5 no_store_tugs || {
    describe_pids "$(store_tugs)" >&2
    fail "tug processes of the store remain with no container running"
  }
  wait_for 5 no_store_mounts || fail "mounts under the store remain, seen in: $(store_mounts)"
  local files
  files=$(cd "$TUG_TEST_ROOT" && find containers names -mindepth 1 -maxdepth 1 -printf '%p ' 2>&1)
  [ -z "$files" ] || fail "files of removed containers remain: $files"
}

# collect_dead_creations: a `run -d` killed before it wrote config.json leaves a directory that
# no listing shows and whose lock nobody holds; the janitor of the next run or start deletes it
# once it is a minute old (a creation takes its lock an instant after its mkdir, and that instant
# gets a wide margin). Fails on anything else left in containers/; ages what is a dead creation
# rather than waiting a minute, and has a run's janitor collect it.
collect_dead_creations() {
  local e dir dead=0
  for e in $(ls -A "$TUG_TEST_ROOT/containers"); do
    dir=$TUG_TEST_ROOT/containers/$e
    [[ $e =~ ^[0-9a-f]{64}$ ]] || fail "containers/$e is left"
    [ ! -e "$dir/config.json" ] || fail "containers/$e is a whole container that ps -a does not list"
    [ -e "$dir/lock" ] || fail "containers/$e has no lock file: no collection will ever remove it"
    flock -n "$dir/lock" true || fail "containers/$e: its lock is held"
    touch -d '2 minutes ago' "$dir"
    dead=1
  done
  [ "$dead" -eq 1 ] || return 0
  run_t run --rm busybox:test true
  wait_for 10 eval '[ -z "$(ls -A "$TUG_TEST_ROOT/containers")" ]' ||
    fail "the dead creations were not collected: $(ls -A "$TUG_TEST_ROOT/containers")"
}

# check_truth NAME MARKER: what ps -a says about NAME is what is: listed as Up only while its
# process runs (and inspect's Pid is that process), listed otherwise only with no process left,
# not listed only with no process left and its name free. Writes "listed" or "absent" to
# $BATS_TEST_TMPDIR/truth (a failure inside $(...) would go unnoticed).
check_truth() {
  local name=$1 m=$2
  run_t ps -a --no-trunc --filter "name=^$name\$" --format '{{.ID}}|{{.State}}|{{.Status}}'
  if [ -z "$output" ]; then
    wait_for 5 no_procs "$m" || {
      describe_pids "$(procs_of "$m")" >&2
      fail "$name is not listed, but its process runs"
    }
    [ ! -e "$TUG_TEST_ROOT/names/$name" ] || [ ! -e "$TUG_TEST_ROOT/containers/$(readlink "$TUG_TEST_ROOT/names/$name")/config.json" ] ||
      fail "$name is not listed, but its name points to a complete container"
    echo absent >"$BATS_TEST_TMPDIR/truth"
    return 0
  fi
  [ "${#lines[@]}" -eq 1 ] || fail "ps -a lists $name ${#lines[@]} times: $output"
  local id state status
  IFS='|' read -r id state status <<<"$output"
  [[ $id =~ ^[0-9a-f]{64}$ ]] || fail "ps -a ID '$id'"
  case "$state" in
    running)
      [[ $status == Up* ]] || fail "$name: State running, Status '$status'"
      local pid
      pid=$(state_of "$name" Pid)
      [ "$pid" -gt 0 ] && [ "$(args_of "$pid")" = "sleep $m " ] ||
        fail "$name is listed as '$status' but its Pid $pid is not 'sleep $m' (it runs: $(procs_of "$m"))"
      ;;
    exited | created)
      [[ $status == Exited* || $status == Created ]] || fail "$name: State $state, Status '$status'"
      wait_for 5 no_procs "$m" || {
        describe_pids "$(procs_of "$m")" >&2
        fail "$name is listed as '$status' but its process runs"
      }
      [ "$(state_of "$name" Running)" = false ] || fail "inspect says $name runs, ps says '$status'"
      ;;
    *) fail "$name: unexpected State '$state' (Status '$status')" ;;
  esac
  echo listed >"$BATS_TEST_TMPDIR/truth"
}

# settle NAME: waits until container NAME is no longer on its way: it runs, or no tug process of
# the store is left that could still change it.
settle() {
  local i st
  for ((i = 0; i < 200; i++)); do
    st=$(tugt ps -a --filter "name=^$1\$" --format '{{.State}}' 2>/dev/null) || true
    [ "$st" = running ] && return 0
    no_store_tugs && return 0
    sleep 0.05
  done
  describe_pids "$(store_tugs)" >&2
  fail "container $1 is still '$st' after 10 s while tug processes of the store run"
}

# elapsed_us START: microseconds since START, an $EPOCHREALTIME.
elapsed_us() {
  local now=$EPOCHREALTIME
  echo $((${now/./} - ${1/./}))
}
# fraction_of US PCT: PCT percent of US microseconds, in seconds.
fraction_of() { awk -v us="$1" -v p="$2" 'BEGIN { printf "%.4f", us * p / 100 / 1000000 }'; }

# pause_for SECONDS: waits that long without forking (a `sleep` costs a millisecond or two,
# about the length of the steps these kills aim between).
pause_for() {
  [ -p "$BATS_TEST_TMPDIR/never" ] || mkfifo "$BATS_TEST_TMPDIR/never"
  # Opened for reading and writing, the FIFO neither blocks the open nor ever has data.
  read -r -t "$1" <>"$BATS_TEST_TMPDIR/never" || true
}

# reap_bg: reaps $TUG_BG_PID once it was sent SIGKILL (which nothing outlives, so no watchdog is
# needed: wait_bg's watchdog subshell, killed with SIGTERM an instant after it was forked, can
# still run bats's own trap and report the test twice).
reap_bg() { wait "$TUG_BG_PID" 2>/dev/null || true; }

# kill_tug WHAT PID: SIGKILLs the tug command PID (WHAT=client), or it and the monitor it forked
# (WHAT=tree: as a `kill -9` of every tug process would). The client is stopped first, so that
# it forks nothing after we looked. What the monitor forked (id mappers, the user namespace's
# holder, the janitor, the container's PID 1) must then go on its own: that is what is tested.
kill_tug() {
  if [ "$1" = client ]; then
    kill -KILL "$2" 2>/dev/null || true
    return 0
  fi
  kill -STOP "$2" 2>/dev/null || true
  local kids
  kids=$(pgrep -P "$2" || true)
  kill -KILL "$2" $kids 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------

@test "run -d killed with SIGKILL at any point: ps tells the truth, rm -f removes all, the name is free" {
  local variant pcts pct delay name m m2 n=0 truth t0 us
  # How long a whole `run -d` takes here (some 10-20 ms on an idle machine, more under load):
  # the kills fall at fractions of it, and one after it.
  m=$(marker)
  t0=$EPOCHREALTIME
  run_t run -d --name rd-timing busybox:test sleep "$m"
  us=$(elapsed_us "$t0")
  remove_all
  assert_clean "$m"
  for variant in client tree; do
    pcts="0 10 30 60 150"
    [ "$variant" = client ] || pcts="0 5 10 20 30 45 60 80 100"
    for pct in $pcts; do
      delay=$(fraction_of "$us" "$pct")
      n=$((n + 1))
      name=rd-$variant-$n
      m=$(marker)
      tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" run -d --name "$name" busybox:test sleep "$m"
      pause_for "$delay"
      kill_tug "$variant" "$TUG_BG_PID"
      reap_bg
      # A monitor that survives (the client alone was killed) goes on on its own.
      settle "$name"
      check_truth "$name" "$m"
      truth=$(cat "$BATS_TEST_TMPDIR/truth")
      if [ "$variant" = client ] && [ "$truth" = listed ]; then
        # Nothing killed the monitor: the run it was asked for completes, as a daemon would
        # complete it, and the container keeps running without its client.
        sleep 0.3
        [ "$(state_of "$name" Status)" = running ] ||
          fail "$name (killed client after ${delay}s): its monitor was not killed, yet it is '$(state_of "$name" Status)': $(state_of "$name" Error)"
      fi
      # The name is taken exactly when the container exists.
      m2=$(marker)
      if [ "$truth" = listed ]; then
        run_t -125 run -d --name "$name" busybox:test sleep "$m2"
        assert_stderr_contains "is already in use"
      else
        run_t run -d --name "$name" busybox:test sleep "$m2"
        assert_output_matches '^[0-9a-f]{64}$'
        wait_running "$name"
      fi
      remove_all
      collect_dead_creations
      assert_clean "$m" "$m2"
      if [ "$truth" = listed ]; then
        run_t run -d --name "$name" busybox:test sleep "$m2"
        remove_all
        assert_clean "$m2"
      fi
    done
  done
}

# container_with_files NAME running|stopped MARKER: a container with two thousand files in its
# writable layer (so that deleting it takes a while), running `sleep MARKER` or killed.
container_with_files() {
  local name=$1 kind=$2 m=$3
  run_t run -d --name "$name" busybox:test sh -c "mkdir /many && cd /many && seq 1 2000 | xargs touch && exec sleep $m"
  wait_for 20 eval '[ -n "$(procs_of "$m")" ]' || fail "$name never got to its sleep"
  if [ "$kind" = stopped ]; then
    run_t kill "$name"
    run_t wait "$name"
    assert_output 137
  fi
}

@test "rm -f killed half-way (running or stopped container): never listed as running, a second rm -f finishes" {
  local kind pct delay name m n=0 truth t0 us
  for kind in running stopped; do
    # How long a whole `rm -f` of such a container takes here (some 20-40 ms on an idle
    # machine, most of it deleting the files): the kills fall at fractions of it.
    m=$(marker)
    container_with_files rmk-timing "$kind" "$m"
    t0=$EPOCHREALTIME
    run_t rm -f rmk-timing
    us=$(elapsed_us "$t0")
    assert_clean "$m"
    for pct in 0 10 25 45 65 85; do
      delay=$(fraction_of "$us" "$pct")
      n=$((n + 1))
      name=rmk-$kind-$n
      m=$(marker)
      container_with_files "$name" "$kind" "$m"
      tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" rm -f "$name"
      pause_for "$delay"
      kill -KILL "$TUG_BG_PID" 2>/dev/null || true
      reap_bg
      check_truth "$name" "$m"
      truth=$(cat "$BATS_TEST_TMPDIR/truth")
      [ "$kind" = running ] || [ "$(state_of "$name" Status 2>/dev/null || echo absent)" != running ] ||
        fail "the stopped $name runs after a killed rm -f"
      # A second rm -f finishes the job whether or not the first one got as far as hiding the
      # container (docker's rm -f of a container that is gone succeeds).
      run_t rm -f "$name"
      assert_clean "$m"
      # And the name is free.
      run_t create --name "$name" busybox:test true
      run_t rm "$name"
    done
  done
  assert_clean
}

@test "commit killed half-way: no half-made image, the container runs on unpaused, temporaries go" {
  local m images_before blobs_before layers_before
  m=$(marker)
  # 20 MB of incompressible files written in the container.
  run_t run -d --name cm busybox:test sh -c \
    "mkdir /data && for i in 1 2 3 4; do head -c 5000000 /dev/urandom >/data/f\$i; done && exec sleep $m"
  wait_for 30 eval '[ -n "$(procs_of "$m")" ]' || fail "cm never got to its sleep"
  run_t exec cm sh -c 'cd /data && md5sum f1 f2 f3 f4'
  local sums=$output
  run_t images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
  images_before=$output
  blobs_before=$(ls "$TUG_TEST_ROOT/blobs/sha256")
  layers_before=$(ls "$TUG_TEST_ROOT/layers")

  # How long a whole commit takes here; the kills fall at fractions of it.
  local t0 us
  t0=$EPOCHREALTIME
  run_t commit cm robust:timing
  us=$(elapsed_us "$t0")
  run_t rmi robust:timing
  assert_equal "$(ls "$TUG_TEST_ROOT/blobs/sha256")" "$blobs_before" "blobs after rmi of the timing commit"

  # cm's monitor: what must be all that runs after each killed commit.
  local tugs_before
  tugs_before=$(store_tugs | sort)
  [ -n "$tugs_before" ] || fail "no monitor found for cm"
  local pct delay
  for pct in 2 10 25 45 65 85; do
    delay=$(fraction_of "$us" "$pct")
    tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" commit cm robust:commit
    pause_for "$delay"
    kill -KILL "$TUG_BG_PID" 2>/dev/null || true
    reap_bg
    # Every image listed is whole: the commit's (tagged, or untagged if the kill fell between
    # the image and its tag), with all its files as the container had them; nothing else.
    run_t images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
    if [ "$output" != "$images_before" ]; then
      local extra img ref
      extra=$(comm -13 <(sort <<<"$images_before") <(sort <<<"$output"))
      while read -r img ref; do
        [[ $img =~ ^sha256:[0-9a-f]{64}$ && $ref =~ ^(robust:commit|<none>:<none>)$ ]] ||
          fail "after a commit killed at ${delay}s (of $((us / 1000)) ms) images -a shows: $output"
        run_t run --rm "$img" sh -c 'cd /data && md5sum f1 f2 f3 f4'
        assert_equal "$output" "$sums" "the files of $img ($ref), left by a killed commit"
      done <<<"$extra"
      run_t rmi $(cut -d' ' -f1 <<<"$extra" | sort -u)
    fi
    # The container goes on running, not paused by a commit that is no more.
    wait_for 5 eval '[ "$(state_of cm Status)" = running ]' ||
      fail "after a commit killed at ${delay}s cm is '$(state_of cm Status)'"
    run_t ps --filter name=^cm$ --format '{{.Status}}'
    [[ $output == Up* && $output != *Paused* ]] || fail "ps shows cm as '$output'"
    [ -n "$(procs_of "$m")" ] || fail "cm's process is gone"
    # No tug process is left but cm's own.
    wait_for 5 eval '[ "$(store_tugs | sort)" = "$tugs_before" ]' || {
      describe_pids "$(store_tugs)" >&2
      fail "tug processes other than cm's monitor remain after a killed commit"
    }
  done

  # A later commit works and makes the whole image; it also removes the temporaries of the killed
  # ones (tmp/.tmp-*, layers/.tmp-*).
  run_t commit cm robust:commit
  local left
  left=$(cd "$TUG_TEST_ROOT" && find . tmp layers blobs/sha256 images -maxdepth 1 -name '*.tmp-*' -printf '%p ' 2>&1)
  [ -z "$left" ] || fail "temporaries remain after a later commit: $left"
  run_t run --rm robust:commit sh -c 'cd /data && md5sum f1 f2 f3 f4'
  assert_equal "$output" "$sums" "the files of the later commit"
  # rmi sweeps what is no image's: the store holds the blobs and layers it held before.
  run_t rmi robust:commit
  assert_equal "$(ls "$TUG_TEST_ROOT/blobs/sha256")" "$blobs_before" "blobs after rmi"
  assert_equal "$(ls "$TUG_TEST_ROOT/layers")" "$layers_before" "layers after rmi"
  run_t images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}'
  assert_equal "$output" "$images_before" "images -a"
  run_t rm -f cm
  assert_clean "$m"
}

@test "a stale lock (holder killed, or a state.json that says running): Exited (137) with the Error, start and rm work" {
  local m id mon
  # (a) The monitor and its container killed with SIGKILL.
  m=$(marker)
  run_t run -d --name stale1 busybox:test sleep "$m"
  id=$output
  wait_running stale1
  # While it runs, the checks assert_clean makes see it (they can fail).
  [ -n "$(store_mounts)" ] || fail "the scan for mounts does not see a running container's"
  [ -n "$(store_tugs)" ] || fail "the scan for tug processes does not see the monitor"
  mon=$(store_tugs)
  [ -e "$TUG_TEST_ROOT/containers/$id/lock" ] || fail "no lock file"
  # The monitor (and its janitor), and the container's process.
  kill -KILL $mon $(procs_of "$m") 2>/dev/null || true
  wait_for 5 no_procs "$m" || fail "the container's process survived"
  [ -e "$TUG_TEST_ROOT/containers/$id/lock" ] || fail "the lock file is gone"
  grep -q '"Status":"running"' "$TUG_TEST_ROOT/containers/$id/state.json" ||
    fail "state.json no longer says running: the lock is not stale ($(cat "$TUG_TEST_ROOT/containers/$id/state.json"))"
  run_t ps -a --filter name=^stale1$ --format '{{.Status}}'
  assert_output_matches '^Exited \(137\) (Less than a second|[0-9]+ seconds?) ago$'
  run_t ps -q --filter name=^stale1$
  assert_output ""
  run_t inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}' stale1
  assert_output "exited false 0 137"
  [ -n "$(state_of stale1 Error)" ] || fail "State.Error is empty"
  local finished
  finished=$(state_of stale1 FinishedAt)
  [[ $finished != 0001-* ]] || fail "FinishedAt is not set: $finished"
  sleep 1.1
  assert_equal "$(state_of stale1 FinishedAt)" "$finished" "FinishedAt read again"
  run_t start stale1
  wait_running stale1
  [ -n "$(procs_of "$m")" ] || fail "start did not run the command again"
  assert_equal "$(state_of stale1 Error)" "" "State.Error after start"
  run_t rm -f stale1
  assert_clean "$m"

  # (b) state.json written as if running by a holder that is gone; its Pid and MonitorPid are
  # a live process of ours (a reused PID), which no command may signal.
  local m2 decoy
  m2=$(marker)
  sleep 1000 &
  decoy=$!
  run_t create --name stale2 busybox:test sleep "$m2"
  id=$output
  [ -e "$TUG_TEST_ROOT/containers/$id/lock" ] || fail "create made no lock file"
  printf '{"Status":"running","Running":true,"Pid":%d,"MonitorPid":%d,"ExitCode":0,"Error":"","StartedAt":"%s","FinishedAt":"0001-01-01T00:00:00Z"}' \
    "$decoy" "$decoy" "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" >"$TUG_TEST_ROOT/containers/$id/state.json"
  run_t ps -a --filter name=^stale2$ --format '{{.Status}}'
  assert_output_matches '^Exited \(137\) (Less than a second|[0-9]+ seconds?) ago$'
  run_t inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}' stale2
  assert_output "exited false 0 137"
  [ -n "$(state_of stale2 Error)" ] || fail "State.Error is empty"
  run_t -125 kill stale2
  run_t stop stale2
  kill -0 "$decoy" || fail "a command signalled the stale Pid"
  run_t start stale2
  wait_running stale2
  [ -n "$(procs_of "$m2")" ] || fail "start did not run stale2"
  [ "$(state_of stale2 Pid)" != "$decoy" ] || fail "the new Pid is the stale one"
  run_t rm -f stale2
  kill -0 "$decoy" || fail "rm -f signalled the stale Pid"
  kill "$decoy"
  wait "$decoy" 2>/dev/null || true
  assert_clean "$m" "$m2"
}

@test "the runtime dir wiped as by a reboot: ps -a shows Exited, start, rm and run -d work" {
  local m1 m3
  m1=$(marker)
  run_t run -d --name rb-up busybox:test sleep "$m1"
  run_t run -d --name rb-done busybox:test sh -c 'exit 3'
  wait_running rb-up
  run_t wait rb-done
  assert_output 3
  # The reboot: every process of the store dies at once, nothing is stopped, /run is empty.
  local victims
  victims="$(store_tugs) $(procs_of "$m1")"
  kill -KILL $victims 2>/dev/null || true
  wait_for 5 no_procs "$m1" || fail "the container's process survived"
  wait_for 5 no_store_tugs || fail "tug processes survived SIGKILL"
  [ -d "$TUG_TEST_RUNROOT" ] || fail "no runtime dir at $TUG_TEST_RUNROOT"
  rm -rf "$TUG_TEST_RUNROOT"
  run_t ps -a --format '{{.Names}} {{.Status}}' --filter name=^rb-
  [ "${#lines[@]}" -eq 2 ] || fail "ps -a: $output"
  [[ $output =~ (^|$'\n')rb-up\ Exited\ \(137\)\  ]] || fail "rb-up after the reboot: $output"
  [[ $output =~ (^|$'\n')rb-done\ Exited\ \(3\)\  ]] || fail "rb-done after the reboot: $output"
  run_t ps -q
  assert_output ""
  run_t start rb-up rb-done
  wait_running rb-up
  [ -n "$(procs_of "$m1")" ] || fail "rb-up's command does not run after start"
  run_t wait rb-done
  assert_output 3
  m3=$(marker)
  run_t run -d --name rb-new busybox:test sleep "$m3"
  wait_running rb-new
  run_t rm -f rb-up rb-done rb-new
  assert_clean "$m1" "$m3"
}

@test "50 run -d racing rm -f from several shells: ps -a ends exactly right, exit codes are docker's" {
  local d=$BATS_TEST_TMPDIR/race m l i
  mkdir -p "$d"
  m=$(marker)
  # Five shells run ten containers each, names race-L-I; two shells remove the even-numbered ones
  # as soon as ps -a lists them, until the runs are over and then once more; a third one below.
  local runners=() removers=()
  for l in 1 2 3 4 5; do
    (
      set +e
      for i in 0 1 2 3 4 5 6 7 8 9; do
        tugt run -d --name "race-$l-$i" busybox:test sleep "$m" >"$d/run-$l-$i.out" 2>"$d/run-$l-$i.err"
        echo $? >"$d/run-$l-$i.rc"
      done
    ) 3>&- &
    runners+=($!)
  done
  for l in 1 2; do
    (
      set +e
      n=0
      while true; do
        last=0
        [ ! -e "$d/runs-done" ] || last=1
        listing=$(tugt ps -a --no-trunc --format '{{.ID}} {{.Names}}' 2>"$d/ps-$l-$n.err")
        echo $? >"$d/ps-$l-$n.rc"
        while read -r id name; do
          [[ $name =~ ^race-[0-9]+-[02468]$ ]] || continue
          tugt rm -f "$id" >"$d/rm-$l-$n.out" 2>"$d/rm-$l-$n.err"
          echo $? >"$d/rm-$l-$n.rc"
          echo "$id $name" >"$d/rm-$l-$n.id"
          n=$((n + 1))
        done <<<"$listing"
        n=$((n + 1))
        [ "$last" -eq 0 ] || break
      done
    ) 3>&- &
    removers+=($!)
  done
  # A third shell removes each even-numbered container the moment its name answers, which is
  # often while its monitor is still starting it.
  (
    set +e
    for i in 0 2 4 6 8; do
      for l in 1 2 3 4 5; do
        until id=$(tugt inspect -f '{{.Id}}' "race-$l-$i" 2>/dev/null); do
          # Its run is over and it is not there: removed already, or its run failed.
          [ ! -e "$d/run-$l-$i.rc" ] || continue 2
        done
        tugt rm -f "$id" >"$d/rm-3-$l-$i.out" 2>"$d/rm-3-$l-$i.err"
        echo $? >"$d/rm-3-$l-$i.rc"
        echo "$id race-$l-$i" >"$d/rm-3-$l-$i.id"
      done
    done
  ) 3>&- &
  removers+=($!)
  wait "${runners[@]}"
  touch "$d/runs-done"
  wait "${removers[@]}"

  # Exit codes: run -d of a container no one removes succeeds with its ID; one that rm -f may
  # remove meanwhile succeeds, or fails with one of docker's errors (125, one "tug: " line).
  local bad="" f rc
  for f in "$d"/run-*.rc; do
    rc=$(cat "$f")
    local base=${f%.rc}
    local idx=${base##*-}
    if [ "$rc" -eq 0 ] && [[ $(cat "$base.out") =~ ^[0-9a-f]{64}$ ]]; then continue; fi
    if ((idx % 2 == 0)) && [ "$rc" -eq 125 ] && [ "$(wc -l <"$base.err")" -eq 1 ] && grep -q '^tug: ' "$base.err"; then continue; fi
    bad+="$(basename "$base"): exit $rc, stdout '$(cat "$base.out")', stderr '$(cat "$base.err")'"$'\n'
  done
  for f in "$d"/rm-*.rc; do
    rc=$(cat "$f")
    base=${f%.rc}
    if [ "$rc" -eq 0 ]; then continue; fi
    if [ "$rc" -eq 125 ] && grep -q '^tug: No such container' "$base.err"; then continue; fi
    bad+="rm -f $(cat "$base.id"): exit $rc, stdout '$(cat "$base.out")', stderr '$(cat "$base.err")'"$'\n'
  done
  for f in "$d"/ps-*.rc; do
    rc=$(cat "$f")
    [ "$rc" -eq 0 ] || bad+="ps -a: exit $rc, stderr '$(cat "${f%.rc}.err")'"$'\n'
  done
  [ -z "$bad" ] || fail "commands failed outside docker's errors:"$'\n'"$bad"

  # What is left is exactly the odd-numbered containers, each once, under the ID its run -d
  # printed, running; every even-numbered one is gone.
  run_t ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.State}}'
  local listing=$output expected="" got
  for l in 1 2 3 4 5; do
    for i in 1 3 5 7 9; do
      expected+="$(cat "$d/run-$l-$i.out") race-$l-$i running"$'\n'
    done
  done
  got=$(sort <<<"$listing")
  assert_equal "$got" "$(sort <<<"${expected%$'\n'}")" "ps -a after the race"
  [ -z "$(cut -d' ' -f1 <<<"$listing" | sort | uniq -d)" ] || fail "duplicate IDs: $listing"
  [ -z "$(cut -d' ' -f2 <<<"$listing" | sort | uniq -d)" ] || fail "duplicate names: $listing"
  # Nothing else: the store's directories and names are those of the listed containers, the
  # processes are theirs (a monitor and a sleep each).
  assert_equal "$(ls -A "$TUG_TEST_ROOT/containers" | sort)" "$(cut -d' ' -f1 <<<"$listing" | sort)" "containers/"
  assert_equal "$(ls -A "$TUG_TEST_ROOT/names" | sort)" "$(cut -d' ' -f2 <<<"$listing" | sort)" "names/"
  wait_for 5 eval '[ "$(procs_of "$m" | wc -l)" -eq 25 ]' || fail "$(procs_of "$m" | wc -l) container processes for 25 containers"
  # Every tug process left is a listed container's monitor (or its janitor, a fork of it).
  local names_left
  names_left=$(cut -d' ' -f2 <<<"$listing" | tr '\n' ' ')
  wait_for 5 eval '[ -z "$(stray_tugs "$names_left")" ]' || {
    describe_pids "$(stray_tugs "$names_left")" >&2
    fail "tug processes other than the monitors of the listed containers remain"
  }
  remove_all
  assert_clean "$m"
}

# The directory of the cgroup v1 memory hierarchy (or cgroup v2) this shell runs in: where tug
# makes a container's cgroup, so the test knows from the system, not from tug, whether it can.
memory_cgroup_dir() {
  local path
  path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
  if [ -n "$path" ] && [ -d /sys/fs/cgroup/memory ]; then
    echo "/sys/fs/cgroup/memory${path%/}"
  else
    path=$(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup)
    echo "/sys/fs/cgroup${path%/}"
  fi
}

@test "--memory: past its limit the container is OOM-killed: exit 137, OOMKilled in inspect, no cgroup left" {
  run_tug -125 run --rm -m abc busybox:test true
  assert_error_first_line "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'"
  run_tug -125 run --rm -m 1m busybox:test true
  assert_error_first_line "Minimum memory limit allowed is 6MB"
  run_tug -125 run --rm --memory-swap 64m busybox:test true
  assert_error_first_line "You should always set the Memory limit when using Memoryswap limit"
  run_tug -125 run --rm -m 64m --memory-swap 32m busybox:test true
  assert_error_first_line "Minimum memoryswap limit should be larger than memory limit"

  local cg
  cg=$(memory_cgroup_dir)
  # 100 MB held in a shell variable, with 32 MB allowed.
  local hog='x=$(head -c 100m /dev/zero | tr "\0" a); echo survived'
  if [ ! -w "$cg" ]; then
    # No cgroup to make (rootless without delegation): the limit cannot hold; tug says so in
    # one line, with the fix, and the container runs.
    run_tug run --name mem0 -m 32m busybox:test echo ran
    assert_output ran
    assert_equal "${stderr_lines[0]}" "WARNING: --memory ignored: cgroup v1 memory hierarchy $cg is not writable by $(id -un) (Permission denied); fix: run tug as root, or boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1) and delegate the user's cgroup with its memory controller (systemd: Delegate=yes for user@.service)" "the warning"
    run_tug run -d --name mem1 -m 32m busybox:test sleep 100
    [[ $stderr == *"WARNING: --memory ignored: "* ]] || fail "run -d did not pass the monitor's warning on: $stderr"
    run_tug inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' mem1
    assert_output "33554432 67108864"
    run_tug rm -f mem0 mem1
    return
  fi

  run_tug -137 run --name mem0 -m 32m busybox:test sh -c "$hog"
  [[ $output != *survived* ]] || fail "the container outlived its memory limit"
  run_tug inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' mem0
  assert_output "true 137 33554432 67108864"

  run_tug run -d --name mem1 -m 32m busybox:test sh -c "sleep 0.5; $hog"
  local id=$output
  [ -d "$cg/tug-$id" ] || fail "no cgroup $cg/tug-$id for the running container"
  assert_equal "$(cat "$cg/tug-$id/memory.limit_in_bytes" 2>/dev/null || cat "$cg/tug-$id/memory.max")" 33554432 "the limit"
  # A process exec'd into the container is charged to it too.
  run_tug exec mem1 cat /proc/self/cgroup
  [[ $output == *":/" || $output == *":/"$'\n'* ]] || fail "exec'd process not in the container's cgroup: $output"
  run_tug wait mem1
  assert_output 137
  run_tug inspect -f '{{.State.OOMKilled}} {{.State.Status}}' mem1
  assert_output "true exited"
  run_tug ps -a --filter name=mem1 --format '{{.Status}}'
  [[ $output == "Exited (137) "* ]] || fail "ps: $output"
  [ ! -e "$cg/tug-$id" ] || fail "the cgroup outlived its container"

  # Within the limit, nothing is OOM-killed.
  run_tug run --name mem2 -m 64m busybox:test sh -c 'x=$(head -c 1m /dev/zero | tr "\0" a); echo ok'
  assert_output ok
  run_tug inspect -f '{{.State.OOMKilled}}' mem2
  assert_output false

  # A monitor killed with SIGKILL leaves the cgroup; rm takes it away.
  run_tug run -d --name mem3 -m 32m busybox:test sleep 100
  local id3=$output pid monitor
  pid=$(tug inspect -f '{{.State.Pid}}' mem3)
  monitor=$(ps -o ppid= -p "$pid")
  kill -9 $monitor
  run_tug rm -f mem0 mem1 mem2 mem3
  [ ! -e "$cg/tug-$id3" ] || fail "rm -f left the cgroup of mem3"
}
