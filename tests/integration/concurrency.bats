#!/usr/bin/env bats
# Many tug processes at once on one store: no daemon serialises them, the store's locks must.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

@test "20 concurrent tug run --rm all succeed with their own output, and leave nothing behind" {
  # Warm-up: directories a first run creates are not leftovers.
  run_tug run --rm busybox:test true
  local before
  before=$(store_snapshot)
  local d=$BATS_TEST_TMPDIR/conc i
  mkdir -p "$d"
  local pids=()
  for i in $(seq 1 20); do
    (exec "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" run --rm busybox:test \
      sh -c "echo job-$i; hostname; echo $i >/root/n; cat /root/n" </dev/null >"$d/$i.out" 2>"$d/$i.err" 3>&-) &
    pids+=($!)
  done
  local failed=0 st
  for i in $(seq 1 20); do
    wait "${pids[i - 1]}" && st=0 || st=$?
    if [ "$st" -ne 0 ]; then
      echo "# run $i exited $st: $(cat "$d/$i.err")" >&2
      failed=1
    fi
  done
  ((failed == 0)) || fail "some concurrent runs failed"
  local hosts=()
  for i in $(seq 1 20); do
    mapfile -t lines <"$d/$i.out"
    [ "${lines[0]}" = "job-$i" ] && [ "${lines[2]}" = "$i" ] && [ "${#lines[@]}" -eq 3 ] ||
      fail "run $i printed: $(cat "$d/$i.out")"
    hosts+=("${lines[1]}")
  done
  local distinct
  distinct=$(printf '%s\n' "${hosts[@]}" | sort -u | wc -l)
  assert_equal "$distinct" 20 "number of distinct hostnames (container IDs)"
  assert_store_unchanged "$before"
}

@test "concurrent imports of the same tarball all succeed and share one layer" {
  local d=$BATS_TEST_TMPDIR/imp i
  mkdir -p "$d"
  local pids=()
  for i in $(seq 1 6); do
    (exec "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" import --change "LABEL n=$i" \
      "$BUSYBOX_TAR" "par:$i" </dev/null >"$d/$i.out" 2>"$d/$i.err" 3>&-) &
    pids+=($!)
  done
  local st
  for i in $(seq 1 6); do
    wait "${pids[i - 1]}" && st=0 || st=$?
    [ "$st" -eq 0 ] || fail "import $i exited $st: $(cat "$d/$i.err")"
  done
  run_tug image inspect --format '{{json .RootFS.Layers}}' busybox:test
  local layers=$output
  for i in $(seq 1 6); do
    run_tug image inspect --format '{{json .RootFS.Layers}}' "par:$i"
    assert_output "$layers"
    run_tug run --rm "par:$i" echo "ok-$i"
    assert_output "ok-$i"
  done
}

@test "runs and rmi of another image at the same time" {
  import_busybox other:test --change 'LABEL other=1'
  local d=$BATS_TEST_TMPDIR/mix i
  mkdir -p "$d"
  local pids=()
  for i in $(seq 1 8); do
    (exec "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT" run --rm busybox:test \
      echo "mix-$i" </dev/null >"$d/$i.out" 2>"$d/$i.err" 3>&-) &
    pids+=($!)
  done
  run_tug rmi other:test
  local st
  for i in $(seq 1 8); do
    wait "${pids[i - 1]}" && st=0 || st=$?
    [ "$st" -eq 0 ] || fail "run $i exited $st: $(cat "$d/$i.err")"
    assert_equal "$(cat "$d/$i.out")" "mix-$i" "output of run $i"
  done
  run_tug run --rm busybox:test echo after
  assert_output after
}

@test "a tug killed during import leaves a store the next command works with" {
  # A layer big enough that the import is still running when it is killed.
  local d=$TUG_TEST_BASE/big
  mkdir -p "$d"
  head -c 100000000 /dev/urandom >"$d/blob"
  tar -C "$d" -cf "$TUG_TEST_BASE/big.tar" blob
  rm -f "$d/blob"
  local delay
  for delay in 0.05 0.2 0.5; do
    tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" import "$TUG_TEST_BASE/big.tar" big:test
    sleep "$delay"
    kill -KILL "$TUG_BG_PID" 2>/dev/null || true
    wait_bg 30
    run_tug images
    run_tug run --rm busybox:test echo still-works
    assert_output still-works
  done
  run_tug import "$TUG_TEST_BASE/big.tar" big:test
  run_tug rmi big:test
  run_tug import "$TUG_TEST_BASE/big.tar" big:test
  run_tug image inspect --format '{{len .RootFS.Layers}}' big:test
  assert_output 1
  rm -f "$TUG_TEST_BASE/big.tar"
}

@test "a tug killed during run takes its container with it, the next run works" {
  local marker=$((200000 + RANDOM))$$
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" run --rm busybox:test sleep "$marker"
  local i
  for ((i = 0; i < 200; i++)); do
    pgrep -xf "sleep $marker" >/dev/null && break
    sleep 0.05
  done
  pgrep -xf "sleep $marker" >/dev/null || fail "the container never started: $(cat "$BATS_TEST_TMPDIR/err")"
  kill -KILL "$TUG_BG_PID"
  wait_bg 15
  for ((i = 0; i < 100; i++)); do
    pgrep -xf "sleep $marker" >/dev/null || break
    sleep 0.05
  done
  if pgrep -xf "sleep $marker" >/dev/null; then
    kill -KILL $(pgrep -xf "sleep $marker") 2>/dev/null || true
    fail "the container's process outlived tug by 5 s"
  fi
  run_tug run --rm busybox:test echo next-run
  assert_output next-run
}

@test "run --rm frees the name at once; its files go in the background, also a killed deleter's" {
  run_tug run --rm --name reused busybox:test true
  # The name is free the moment tug returns, files or not.
  run_tug run --rm --name reused busybox:test echo again
  assert_output again
  wait_for_no_trash 10 || fail "removed containers were not deleted: $(ls -a "$TUG_TEST_ROOT/containers")"
  # What a deleter killed half-way leaves (overlay leaves work/work at mode 0): the next run's
  # janitor finishes it.
  local trash=$TUG_TEST_ROOT/containers/.trash-$(printf 'f%.0s' {1..64})
  mkdir -p "$trash/upper/etc" "$trash/work/work"
  echo left >"$trash/upper/etc/file"
  chmod 000 "$trash/work/work"
  run_tug run --rm busybox:test true
  wait_for_no_trash 10 || fail "a leftover trash directory was not collected: $(ls -a "$TUG_TEST_ROOT/containers")"
}
