#!/usr/bin/env bats
# A container's filesystem from the outside: `diff` (what it added, changed, deleted), `commit`
# (its changes as a new image), `cp` (both ways, stopped or running, symlinks resolved inside the
# container, never on the host) and `export` (its whole filesystem as a tar).

load helpers

setup_file() {
  tug_setup_file
  # One stopped container most tests read: it added /new and /data/, appended to /etc/passwd,
  # deleted /bin/ls and /etc/os-release, and planted symlinks that point out of its root.
  tug run --name base busybox:test sh -c '
    echo x > /new
    mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b
    echo container-only:x:7:7::/:/bin/false >> /etc/passwd
    rm /bin/ls /etc/os-release
    ln -s /etc/passwd /esc
    ln -s / /rootlink
    ln -s ../../../../../../.. /up' >/dev/null
}

teardown_file() {
  local id
  for id in $(tug ps -aq 2>/dev/null); do tug rm -f "$id" >/dev/null 2>&1 || true; done
  tug_teardown_file
}

# wait_running NAME: polls until the container runs.
wait_running() {
  local i
  for ((i = 0; i < 200; i++)); do
    [ "$(tug inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && return 0
    sleep 0.05
  done
  fail "container $1 did not start"
}

# tar_names FILE: the member names of a tar, sorted.
tar_names() { tar -tf "$1" | LC_ALL=C sort; }

@test "diff lists what a container added (A), changed (C) and deleted (D), in path order" {
  run_tug diff base
  assert_output "C /bin
D /bin/ls
A /data
A /data/a
A /data/sub
A /data/sub/b
A /esc
C /etc
D /etc/os-release
C /etc/passwd
A /new
A /rootlink
A /up"
  # The files tug mounts over (/etc/hosts...) are not the container's changes.
  refute_output_contains hosts
}

@test "diff of a container that changed nothing is empty, and of an unknown one an error" {
  run_tug run --name unchanged busybox:test true
  run_tug diff unchanged
  assert_output ""
  run_tug -125 diff no-such-container
  assert_one_line_error "No such container: no-such-container"
}

@test "diff and export of a running container show its changes at once" {
  run_tug run -d --name live busybox:test sh -c 'echo now > /live-file; exec sleep 1000'
  wait_running live
  local i
  for ((i = 0; i < 100; i++)); do
    capture tug diff live
    [[ $output == *"A /live-file"* ]] && break
    sleep 0.05
  done
  assert_line "A /live-file"
  tug export live >"$BATS_TEST_TMPDIR/live.tar"
  tar_names "$BATS_TEST_TMPDIR/live.tar" >"$BATS_TEST_TMPDIR/names"
  grep -qx live-file "$BATS_TEST_TMPDIR/names" || fail "live-file not exported"
  # Only the root filesystem: nothing of the container's /proc.
  ! grep -q '^proc/.' "$BATS_TEST_TMPDIR/names" || fail "the export holds /proc contents"
  run_tug rm -f live
}

@test "commit makes an image holding the changes and the deletions" {
  run_tug commit -m "add /new" base snap:1
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  local id=$output
  run_tug image inspect -f '{{.Id}}' snap:1
  assert_output "$id"
  run_tug run --rm snap:1 cat /new
  assert_output x
  run_tug run --rm snap:1 sh -c 'grep -c container-only /etc/passwd; ls /bin/ls /etc/os-release 2>&1 >/dev/null | wc -l'
  assert_equal "${lines[0]}" 1 "the appended passwd line"
  assert_equal "${lines[1]}" 2 "errors for the two deleted files"
  run_tug run --rm snap:1 cat /data/sub/b
  assert_output two
  # One layer more than the image it was made from.
  local before after
  before=$(tug image inspect -f '{{len .RootFS.Layers}}' busybox:test)
  after=$(tug image inspect -f '{{len .RootFS.Layers}}' snap:1)
  assert_equal "$after" "$((before + 1))" "layer count"
}

@test "commit -m shows in history, with the container's command as CREATED BY" {
  run_tug commit -m "my message" -a "Jane <jane@example.com>" base snap:2
  run_tug history --no-trunc --format '{{.Comment}}|{{.CreatedBy}}' snap:2
  assert_equal "${lines[0]%%|*}" "my message" "comment of the newest step"
  assert_output_contains "echo x > /new"
  run_tug image inspect -f '{{.Author}}' snap:2
  assert_output "Jane <jane@example.com>"
}

@test "commit --change sets the new image's config" {
  run_tug commit --change 'CMD ["cat","/new"]' -c 'ENV GREETING=hi' base snap:3
  run_tug run --rm snap:3
  assert_output x
  run_tug run --rm snap:3 sh -c 'echo $GREETING'
  assert_output hi
  run_tug -125 commit --change 'RUN true' base snap:bad
  assert_one_line_error "RUN is not a valid change command"
  run_tug_fails image inspect snap:bad
}

@test "commit of a container without changes adds no layer; without a name the image is untagged" {
  run_tug run --name nochange busybox:test true
  run_tug commit nochange
  assert_output_matches '^sha256:[0-9a-f]{64}$'
  local id=$output
  run_tug image inspect -f '{{len .RootFS.Layers}}' "$id"
  assert_output "$(tug image inspect -f '{{len .RootFS.Layers}}' busybox:test)"
  run_tug image inspect -f '{{len .RepoTags}}' "$id"
  assert_output 0
}

@test "commit of a running container pauses it only while reading, and keeps it running" {
  run_tug run -d --name runc busybox:test sh -c 'echo live > /live; exec sleep 1000'
  wait_running runc
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(tug diff runc) == *"A /live"* ]] && break
    sleep 0.05
  done
  run_tug commit runc snap:live
  run_tug inspect -f '{{.State.Status}}' runc
  assert_output running
  run_tug run --rm snap:live cat /live
  assert_output live
  run_tug rm -f runc
}

@test "cp from a container: a file, a directory, its contents, and a tar on stdout" {
  local t=$BATS_TEST_TMPDIR
  run_tug cp base:/data/a "$t/a"
  assert_equal "$(cat "$t/a")" one "copied file"
  run_tug cp base:/data "$t/newdir"
  assert_equal "$(cat "$t/newdir/sub/b")" two "file of a copied directory"
  mkdir "$t/existing"
  run_tug cp base:/data "$t/existing"
  assert_equal "$(cat "$t/existing/data/a")" one "directory copied into an existing one"
  mkdir "$t/contents"
  run_tug cp base:/data/. "$t/contents"
  assert_equal "$(cat "$t/contents/a")" one "contents copied with /."
  tug cp base:/data - >"$t/data.tar"
  assert_equal "$(tar_names "$t/data.tar" | tr '\n' ' ')" "data/ data/a data/sub/ data/sub/b " "tar members"
  # Files land owned by the caller, as docker's cp does.
  assert_equal "$(stat -c %u "$t/newdir/sub/b")" "$(id -u)" "owner on the host"
}

@test "cp from a container: errors name the missing file and the container" {
  run_tug -125 cp base:/nonexistent "$BATS_TEST_TMPDIR/x"
  assert_one_line_error "Could not find the file /nonexistent in container base"
  run_tug -125 cp base:/new "$BATS_TEST_TMPDIR/no/such/dir/x"
  assert_one_line_error "does not exist"
  touch "$BATS_TEST_TMPDIR/file"
  run_tug -125 cp base:/data "$BATS_TEST_TMPDIR/file"
  assert_one_line_error "cannot copy directory"
  run_tug -125 cp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
  assert_one_line_error "must specify at least one container source"
}

@test "cp follows a container's symlinks inside the container, never to the host's files" {
  local t=$BATS_TEST_TMPDIR
  # Without -L the link itself is copied, as docker does.
  run_tug cp base:/esc "$t/link"
  [ -L "$t/link" ] || fail "expected a symlink"
  assert_equal "$(readlink "$t/link")" /etc/passwd "link target"
  # With -L, and through links in the middle of the path, it is the container's /etc/passwd.
  run_tug cp -L base:/esc "$t/followed"
  grep -q container-only "$t/followed" || fail "not the container's passwd: $(head -c 200 "$t/followed")"
  run_tug cp base:/rootlink/etc/passwd "$t/via-root"
  grep -q container-only "$t/via-root" || fail "/rootlink/etc/passwd is not the container's"
  run_tug cp base:/up/etc/passwd "$t/via-up"
  grep -q container-only "$t/via-up" || fail "/up/etc/passwd is not the container's"
}

@test "cp into a container through symlinks lands inside the container" {
  local t=$BATS_TEST_TMPDIR marker
  marker="tug-cp-escape-$$-$RANDOM"
  run_tug run --name esc busybox:test sh -c 'ln -s / /rootlink; ln -s ../../../../../.. /up'
  echo planted >"$t/$marker"
  run_tug cp "$t/$marker" "esc:/rootlink/tmp/$marker"
  run_tug cp "$t/$marker" "esc:/up/$marker"
  [ ! -e "/tmp/$marker" ] || fail "cp wrote the host's /tmp/$marker"
  [ ! -e "/$marker" ] || fail "cp wrote the host's /$marker"
  run_tug diff esc
  assert_line "A /$marker"
  assert_line "A /tmp/$marker"
  run_tug commit esc snap:esc
  run_tug run --rm snap:esc cat "/tmp/$marker" "/$marker"
  assert_output "planted
planted"
}

@test "cp into a stopped container: file, directory, tar on stdin; files become root's" {
  local t=$BATS_TEST_TMPDIR
  run_tug run --name target busybox:test true
  echo hello >"$t/in.txt"
  mkdir -p "$t/indir/sub" "$t/tarsrc"
  echo deep >"$t/indir/sub/f"
  echo fromtar >"$t/tarsrc/t.txt"
  run_tug cp "$t/in.txt" target:/in.txt
  run_tug cp "$t/indir" target:/srv
  run_tug cp "$t/in.txt" target:/etc/
  if tar -C "$t/tarsrc" -cf - . | tug cp - target:/opt-missing 2>"$t/err"; then
    fail "cp - into a missing directory succeeded"
  fi
  grep -qx 'tug: destination "target:/opt-missing" must be a directory' "$t/err" || fail "error: $(cat "$t/err")"
  tar -C "$t/tarsrc" -cf - . | tug cp - target:/tmp
  run_tug commit target snap:target
  run_tug run --rm snap:target sh -c 'cat /in.txt /srv/indir/sub/f /etc/in.txt /tmp/t.txt; stat -c %u:%g /in.txt /srv/indir/sub/f'
  assert_output "hello
deep
hello
fromtar
0:0
0:0"
}

@test "cp into a running container: it sees the file at once" {
  local t=$BATS_TEST_TMPDIR
  run_tug run -d --name waiter busybox:test sh -c 'while [ ! -f /tmp/go ]; do sleep 0.05; done; cat /tmp/go > /tmp/seen; exec sleep 1000'
  wait_running waiter
  echo go-now >"$t/go"
  run_tug cp "$t/go" waiter:/tmp/go
  local i
  for ((i = 0; i < 100; i++)); do
    capture tug cp waiter:/tmp/seen -
    [ "$status" -eq 0 ] && break
    sleep 0.05
  done
  tug cp waiter:/tmp/seen - | tar -xOf - >"$t/seen"
  assert_equal "$(cat "$t/seen")" go-now "what the container read"
  run_tug rm -f waiter
}

@test "export writes the container's whole filesystem, with its changes" {
  local t=$BATS_TEST_TMPDIR
  tug export base >"$t/base.tar"
  tar_names "$t/base.tar" >"$t/names"
  for f in new data/sub/b bin/busybox etc/passwd esc; do
    grep -qx "$f" "$t/names" || fail "$f is not in the export"
  done
  for f in bin/ls etc/os-release; do
    ! grep -qx "$f" "$t/names" || fail "deleted $f is in the export"
  done
  tar -xOf "$t/base.tar" etc/passwd | grep -q container-only || fail "etc/passwd is the image's, not the container's"
  run_tug export -o "$t/out.tar" base
  assert_equal "$(tar_names "$t/out.tar")" "$(cat "$t/names")" "export -o"
}

@test "export refuses to write to a terminal" {
  # stdout on a pseudo-terminal, stderr captured.
  capture python3 -c '
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.run(sys.argv[1:], stdout=slave, stderr=subprocess.PIPE)
sys.stderr.write(p.stderr.decode())
sys.exit(p.returncode)' "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" export base
  check_status 125
  assert_one_line_error "cowardly refusing to save to a terminal. Use the -o flag or redirect"
}
