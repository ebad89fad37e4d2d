#!/usr/bin/env bats
# Bad input: hostile and broken layer tarballs, device nodes, an unknown image, a missing command.
# Each failure is one line starting "tug: ", the right exit code, and the store exactly as before
# (compared with a listing taken after a good image was imported).

load helpers

setup_file() {
  tug_setup_file
  export HOSTILE=$TUG_TEST_BASE/hostile OUTSIDE=$TUG_TEST_BASE/outside
  mkdir -p "$HOSTILE" "$OUTSIDE"
  python3 "$TUG_REPO/tests/fixtures/hostile-tars.py" "$HOSTILE" "$OUTSIDE" "$BUSYBOX_TAR"
}
teardown_file() { tug_teardown_file; }

# hostile_import TAR: import must fail with 125 and leave no trace anywhere.
hostile_import() {
  local before
  before=$(store_snapshot)
  run_tug -125 import "$HOSTILE/$1" hostile:test
  assert_one_line_error
  assert_store_unchanged "$before"
  [ -z "$(ls -A "$OUTSIDE")" ] || fail "files appeared outside the store: $(ls -A "$OUTSIDE")"
  local stray
  stray=$(find "$TUG_TEST_BASE" -name escape -o -name '*-pwned' -o -name stolen 2>/dev/null || true)
  [ -z "$stray" ] || fail "extracted entries left behind: $stray"
  run_tug_fails image inspect hostile:test
  # The good image still works.
  run_tug run --rm busybox:test echo still-fine
  assert_output still-fine
}

@test "tar with a ../ entry is refused" {
  hostile_import dotdot.tar
}

@test "tar with ../ entries climbing to a host directory is refused" {
  hostile_import dotdot-deep.tar
}

@test "absolute symlink pointing outside, then a file written through it, is refused" {
  hostile_import symlink-abs.tar
}

@test "relative symlink climbing outside, then a file written through it, is refused" {
  hostile_import symlink-rel.tar
}

@test "hard link to a file outside the layer is refused" {
  hostile_import hardlink-escape.tar
}

@test "truncated tar is refused" {
  hostile_import truncated.tar
}

@test "a file that is not a tar is refused" {
  hostile_import garbage.tar
}

@test "garbage on stdin is refused" {
  local before
  before=$(store_snapshot)
  capture tug import - hostile:test <"$HOSTILE/garbage.tar"
  check_status 125
  assert_one_line_error
  assert_store_unchanged "$before"
}

@test "import of a file that does not exist" {
  local before
  before=$(store_snapshot)
  run_tug -125 import "$TUG_TEST_BASE/no-such.tar" hostile:test
  assert_one_line_error no-such.tar
  assert_store_unchanged "$before"
}

@test "device node in a layer: skipped with one warning when rootless, import succeeds" {
  run_tug import "$HOSTILE/devnode.tar" devnode:test
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  if ! is_root; then
    [ "${#stderr_lines[@]}" -eq 1 ] && [[ ${stderr_lines[0],,} == *warning* ]] &&
      [[ ${stderr_lines[0]} == *data/null* ]] ||
      { show_last; fail "expected exactly one warning line on stderr naming data/null"; }
  fi
  run_tug run --rm devnode:test cat /data/hello
  assert_output hi
  run_tug run --rm devnode:test sh -c 'if test -e /data/null; then stat -c "%F %t,%T" /data/null; else echo skipped; fi'
  if is_root; then
    # Root may create the node; if it does, it must be the node the layer describes.
    [[ $output == skipped || $output == "character special file 1,3" ]] || fail "/data/null is: $output"
  else
    assert_output skipped
  fi
}

@test "unknown image with --pull never: 125, one line, store unchanged" {
  local before
  before=$(store_snapshot)
  run_tug -125 run --rm --pull never no-such-image:v1 true
  assert_one_line_error no-such-image:v1
  assert_store_unchanged "$before"
}

@test "unknown image, registry unreachable: docker's two lines, 125, store unchanged" {
  local before
  before=$(store_snapshot)
  run_tug -125 run --rm no-such-image:v1 true
  [ "${#stderr_lines[@]}" -eq 2 ] || { show_last; fail "expected two stderr lines"; }
  [ "${stderr_lines[0]}" = "Unable to find image 'no-such-image:v1' locally" ] || { show_last; fail "first line"; }
  [[ ${stderr_lines[1]} == "tug: "*"127.0.0.1:9"* ]] || { show_last; fail "the error does not name the registry it tried"; }
  assert_store_unchanged "$before"
}

@test "missing command: 127, one line, store unchanged with --rm" {
  # A first --rm run may create directories the store keeps; take the listing after one.
  run_tug run --rm busybox:test true
  local before
  before=$(store_snapshot)
  run_tug -127 run --rm busybox:test /bin/no-such-command
  assert_one_line_error /bin/no-such-command
  assert_store_unchanged "$before"
}
