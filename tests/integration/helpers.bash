# Shared setup for the integration tests: an isolated store per test file, a `tug` wrapper that
# always points at it, the busybox test image, and assertions that print what went wrong.
#
# Environment (set by run.sh, defaults for running `bats tests/integration` by hand):
#   TUG                  the binary under test (default: <repo>/build/tug)
#   TUG_TEST_TMPDIR      where per-file stores go (default: $TMPDIR or /tmp); must belong to us
#   TUG_TEST_FIXTURES    a dir holding a prebuilt busybox.tar (optional)

TUG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TUG=${TUG:-$TUG_REPO/build/tug}
export TUG TUG_REPO
# Tests reach nothing but loopback: an image name that falls through to Docker Hub is pulled from
# a loopback port where nothing listens, and fails at once with "connection refused".
export TUG_REGISTRY_MIRROR=${TUG_REGISTRY_MIRROR:-127.0.0.1:9}

# ---------------------------------------------------------------------------------------------
# tug, always against this file's store

tug() {
  "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" "$@"
}

# The same, as a background process whose PID is $TUG_BG_PID (tug itself, not a subshell), with
# stdout/stderr to files. Signal dispositions are reset to default first: bash starts background
# jobs with SIGINT and SIGQUIT ignored, which is not what a user at a terminal gives tug.
# Usage: tug_bg OUT ERR ARGS...
tug_bg() {
  local out=$1 err=$2
  shift 2
  (exec env --default-signal "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" \
    "$@" </dev/null >"$out" 2>"$err" 3>&-) &
  TUG_BG_PID=$!
}

# ---------------------------------------------------------------------------------------------
# running commands and checking results

# capture CMD...: runs CMD, sets $status, $output (stdout), $stderr, $lines, $stderr_lines.
# Trailing newlines are stripped as by $(...).
capture() {
  local errf="${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/capture.stderr"
  output=$("$@" 2>"$errf") && status=0 || status=$?
  stderr=$(cat "$errf")
  lines=()
  stderr_lines=()
  [ -z "$output" ] || mapfile -t lines <<<"$output"
  [ -z "$stderr" ] || mapfile -t stderr_lines <<<"$stderr"
  LAST_CMD="$*"
  return 0
}

# run_tug [-N] ARGS...: runs `tug ARGS`, fails unless it exits N (default 0).
run_tug() {
  local expect=0
  if [[ $1 =~ ^-[0-9]+$ ]]; then
    expect=${1#-}
    shift
  fi
  capture tug "$@"
  check_status "$expect"
}

# run_cmd [-N] CMD...: the same for any command.
run_cmd() {
  local expect=0
  if [[ $1 =~ ^-[0-9]+$ ]]; then
    expect=${1#-}
    shift
  fi
  capture "$@"
  check_status "$expect"
}

# run_tug_fails ARGS...: runs `tug ARGS`, fails if it exits 0 (any failure code is accepted).
run_tug_fails() {
  capture tug "$@"
  if [ "$status" -eq 0 ]; then
    show_last
    fail "expected a failure, got exit 0"
  fi
}

show_last() {
  {
    echo "# command: $LAST_CMD"
    echo "# exit:    $status"
    echo "# stdout:"
    printf '%s\n' "${lines[@]}" | sed 's/^/#   | /'
    echo "# stderr:"
    printf '%s\n' "${stderr_lines[@]}" | sed 's/^/#   | /'
  } >&2
}

check_status() {
  if [ "$status" -ne "$1" ]; then
    show_last
    fail "expected exit $1, got $status"
  fi
}

fail() {
  echo "# FAIL: $*" >&2
  return 1
}

# assert_equal ACTUAL EXPECTED [WHAT]
assert_equal() {
  if [ "$1" != "$2" ]; then
    fail "${3:-value}: expected '$2', got '$1'"
  fi
}

assert_output() {
  if [ "$output" != "$1" ]; then
    show_last
    fail "stdout: expected '$1'"
  fi
}

assert_output_matches() {
  if ! [[ $output =~ $1 ]]; then
    show_last
    fail "stdout does not match /$1/"
  fi
}

assert_output_contains() {
  if [[ $output != *"$1"* ]]; then
    show_last
    fail "stdout does not contain '$1'"
  fi
}

refute_output_contains() {
  if [[ $output == *"$1"* ]]; then
    show_last
    fail "stdout contains '$1'"
  fi
}

assert_line() {
  local l
  for l in "${lines[@]}"; do
    [ "$l" != "$1" ] || return 0
  done
  show_last
  fail "no stdout line equal to '$1'"
}

refute_line() {
  local l
  for l in "${lines[@]}"; do
    if [ "$l" = "$1" ]; then
      show_last
      fail "unexpected stdout line '$1'"
    fi
  done
}

assert_stderr_contains() {
  if [[ $stderr != *"$1"* ]]; then
    show_last
    fail "stderr does not contain '$1'"
  fi
}

# The error contract: exactly one line on stderr, starting with "tug: ", naming $1 if given.
assert_one_line_error() {
  if [ "${#stderr_lines[@]}" -ne 1 ] || [[ ${stderr_lines[0]} != "tug: "* ]]; then
    show_last
    fail "expected exactly one stderr line starting with 'tug: '"
  fi
  if [ -n "${1:-}" ] && [[ ${stderr_lines[0]} != *"$1"* ]]; then
    show_last
    fail "the error does not name '$1'"
  fi
}

# Looser: the first stderr line starts with "tug: " (CLI usage errors may add a hint line).
assert_error_first_line() {
  if [ "${#stderr_lines[@]}" -lt 1 ] || [[ ${stderr_lines[0]} != "tug: "* ]]; then
    show_last
    fail "expected an error on stderr starting with 'tug: '"
  fi
  if [ -n "${1:-}" ] && [[ ${stderr_lines[0]} != *"$1"* ]]; then
    show_last
    fail "the error does not name '$1'"
  fi
}

# json_get EXPR: evaluates a python expression over the JSON in $output (bound to `d`); prints
# strings as is and anything else as compact JSON with sorted keys.
json_get() {
  python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
' "$1" <<<"$output"
}

# wait_for_no_trash [SECONDS]: waits until no removed container awaits deletion in the store;
# returns 1 if some still does after SECONDS (default 10).
wait_for_no_trash() {
  local i
  for ((i = 0; i < ${1:-10} * 20; i++)); do
    compgen -G "$TUG_TEST_ROOT/containers/.trash-*" >/dev/null || return 0
    sleep 0.05
  done
  return 1
}

# wait_for_file FILE REGEX [SECONDS]: waits until FILE has a line matching REGEX.
wait_for_file() {
  local i
  for ((i = 0; i < ${3:-10} * 20; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "timed out waiting for /$2/ in $1: $(cat "$1" 2>/dev/null)"
}

# wait_bg [SECONDS]: waits for $TUG_BG_PID, killing it if it takes longer; sets $status.
wait_bg() {
  local pid=$TUG_BG_PID secs=${1:-15} dog
  (sleep "$secs" && kill -KILL "$pid" 2>/dev/null && echo "# tug still running after ${secs}s: killed" >&2) 3>&- &
  dog=$!
  wait "$pid" && status=0 || status=$?
  # SIGKILL: a watchdog TERMed right after its fork could run bats's own trap and report twice.
  kill -KILL "$dog" 2>/dev/null || true
  wait "$dog" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# loopback servers

# A free port on 127.0.0.1 (bound then released by python).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# make_www TEXT: $WWW, a directory in this file's store that the containers' users can read, its
# index.html saying TEXT (for busybox httpd in a container: -v "$WWW:/www:ro").
make_www() {
  export WWW=$TUG_TEST_BASE/www
  mkdir -p "$WWW"
  chmod 755 "$TUG_TEST_BASE" "$WWW"
  echo "$1" >"$WWW/index.html"
  chmod 644 "$WWW/index.html"
}

# http_get PORT PATH: the body from 127.0.0.1:PORT, retrying for 5 s while the server starts.
http_get() {
  local i
  for ((i = 0; i < 50; i++)); do
    curl -fsS --max-time 5 "http://127.0.0.1:$1$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# who we are and what tug should do about it

is_root() { [ "$(id -u)" -eq 0 ]; }

# Whether this user has subordinate id ranges that tug can use (what tug info should report).
has_subids() {
  local me
  me=$(id -un)
  grep -Eq "^($me|$(id -u)):" /etc/subuid 2>/dev/null &&
    grep -Eq "^($me|$(id -u)):" /etc/subgid 2>/dev/null &&
    command -v newuidmap >/dev/null && command -v newgidmap >/dev/null
}

# The mapping tug must use for this user: identity (root), subuid (ranges and helpers), or
# single. Worked out from the system, not from tug, so a tug that picks the wrong mode fails
# the tests written for the right one; info.bats checks that tug reports the same.
mapping_mode() {
  if is_root; then
    echo identity
  elif [ -n "${TUG_IDMAP:-}" ]; then
    echo "$TUG_IDMAP"
  elif has_subids; then
    echo subuid
  else
    echo single
  fi
}

# true when container uids other than 0 exist (root, or rootless with subuid ranges).
has_full_mapping() {
  [ "$(mapping_mode)" != single ]
}

# ---------------------------------------------------------------------------------------------
# per-file store and the busybox image

# A snapshot of everything in the store (lock files excepted): compare before and after.
store_snapshot() {
  # `run --rm` returns before its files are deleted (a background janitor deletes them): let
  # the janitors finish first. Trash that stays is a leftover, and shows in the snapshot.
  wait_for_no_trash 10 || true
  find "$TUG_TEST_ROOT" ! -name '*.lock' \( -type d -printf '%p/\n' -o -printf '%p %s %y\n' \) 2>&1 |
    LC_ALL=C sort
}

# assert_store_unchanged BEFORE: BEFORE is a store_snapshot taken earlier.
assert_store_unchanged() {
  local after
  after=$(store_snapshot)
  if [ "$1" != "$after" ]; then
    echo "# store changed:" >&2
    diff <(echo "$1") <(echo "$after") | sed 's/^/#   /' >&2
    fail "the store is not as it was before the failed command"
  fi
}

# Builds (or reuses) the busybox rootfs tarball and prints its path.
busybox_tar() {
  if [ -n "${TUG_TEST_FIXTURES:-}" ] && [ -f "$TUG_TEST_FIXTURES/busybox.tar" ]; then
    echo "$TUG_TEST_FIXTURES/busybox.tar"
    return
  fi
  if [ ! -f "$TUG_TEST_BASE/busybox.tar" ]; then
    "$TUG_REPO/tests/fixtures/busybox-rootfs.sh" "$TUG_TEST_BASE/busybox.tar" >&2 || return 1
  fi
  echo "$TUG_TEST_BASE/busybox.tar"
}

# Call from setup_file: fresh store for this file, busybox imported as busybox:test ($BUSYBOX_ID).
tug_setup_file() {
  if [ ! -x "$TUG" ]; then
    echo "# tug binary not found or not executable: $TUG (run 'make build' or set TUG)" >&2
    return 1
  fi
  local parent=${TUG_TEST_TMPDIR:-${TMPDIR:-/tmp}}
  TUG_TEST_BASE=$(mktemp -d "$parent/tug-it.XXXXXX")
  export TUG_TEST_BASE
  export TUG_TEST_ROOT=$TUG_TEST_BASE/root
  export TUG_TEST_RUNROOT=$TUG_TEST_BASE/run
  # Nothing may land in the real home or runtime dir, whatever tug defaults to.
  export XDG_DATA_HOME=$TUG_TEST_BASE/xdg-data
  export XDG_RUNTIME_DIR=$TUG_TEST_BASE/xdg-run
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  unset TUG_ROOT

  local tar
  tar=$(busybox_tar) || {
    echo "# could not build the busybox rootfs" >&2
    return 1
  }
  export BUSYBOX_TAR=$tar
  local out
  if ! out=$(tug import "$tar" busybox:test 2>&1); then
    echo "# tug import of the busybox rootfs failed: $out" >&2
    return 1
  fi
  BUSYBOX_ID=$(tail -n1 <<<"$out")
  if ! [[ $BUSYBOX_ID =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "# tug import printed '$out', expected sha256:<64 hex>" >&2
    return 1
  fi
  export BUSYBOX_ID
}

# Call from teardown_file. run.sh removes its whole temp dir as root afterwards anyway; this is
# for runs by hand. Files owned by subordinate ids need a user namespace to be removed.
tug_teardown_file() {
  [ -n "${TUG_TEST_BASE:-}" ] && [ -d "$TUG_TEST_BASE" ] || return 0
  [ -z "${TUG_TEST_KEEP:-}" ] || return 0
  rm -rf "$TUG_TEST_BASE" 2>/dev/null ||
    unshare --map-root-user --map-auto rm -rf "$TUG_TEST_BASE" 2>/dev/null || true
}

# Imports BUSYBOX_TAR again under REF with --change options; prints the image ID.
# Usage: import_busybox REF [--change X]...
import_busybox() {
  local ref=$1
  shift
  run_tug import "$@" "$BUSYBOX_TAR" "$ref"
}
