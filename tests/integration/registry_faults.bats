#!/usr/bin/env bats
# Pulling from registries that misbehave (tests/fixtures/fault_proxy.py in front of a real one):
# transfers cut short and resumed, a registry stopped mid-pull and restarted, a corrupted blob in
# its storage, manifests whose bytes do not match their digest, stalls, 5xx answers, nobody
# listening. A failed pull says so in one line and leaves the store as it was.
# configs: tugtest root

load helpers
load registry_helpers

setup_file() {
  tug_setup_file
  registry_setup_file
  registry_start main http
  registry_proxy main
  local r=$main_ADDR b
  for b in cut restart stall retry; do
    skopeo_push busybox "$r/bb/$b:1" --preserve-digests
  done
  skopeo_push busybox "$r/bb/busybox:1" --preserve-digests
  skopeo_push busybox-v2 "$r/bb/v2:1" --preserve-digests
  export R=$r P=$main_PROXY_ADDR
  # Fast back-off and stall detection, so that faults cost seconds.
  export TUG_REGISTRY_RETRIES=5 TUG_REGISTRY_RETRY_DELAY_MS=100 TUG_REGISTRY_STALL_SECONDS=3
}

teardown_file() {
  registry_teardown_file
  tug_teardown_file
}

setup() {
  proxy_ctl main reset
  proxy_ctl main up
  fresh_store
  PROXY_MARK=$(log_mark "$main_PROXY_LOG")
}

teardown() {
  # A corrupted blob is put back even when its test failed half-way.
  local f
  for f in "$main_STORAGE"/docker/registry/v2/blobs/sha256/*/*/data.orig; do
    [ -f "$f" ] && mv "$f" "${f%.orig}"
  done
  return 0
}

# The proxy's log lines for blob DIGEST since this test began.
proxy_blob_lines() {
  tail -n +"$((PROXY_MARK + 1))" "$main_PROXY_LOG" | grep "^req GET /v2/[^ ]*/blobs/$1 " || true
}

proxy_state() {
  curl -sf "http://$main_PROXY_CONTROL/state" | jq -r ".$1"
}

@test "a blob response cut short is resumed with a Range request, and the image is whole" {
  local layer=$IMAGE_BUSYBOX_LAYERS
  proxy_ctl main "set?cut_after=300000&cut_count=1&match=/blobs/$layer"
  run_tug pull "$P/bb/cut:1"
  assert_line "Status: Downloaded newer image for $P/bb/cut:1"
  local log
  log=$(proxy_blob_lines "$layer")
  [[ $(head -n1 <<<"$log") == *"range=- status=200 sent=300000 outcome=cut" ]] ||
    fail "the first GET of the layer was not the cut one: $log"
  local second
  second=$(sed -n 2p <<<"$log")
  [[ $second =~ range=bytes=([0-9]+)-\ status=206\ .*outcome=complete$ ]] ||
    fail "no resuming Range request after the cut: $log"
  ((BASH_REMATCH[1] > 0 && BASH_REMATCH[1] <= 300000)) || fail "resumed from byte ${BASH_REMATCH[1]} after 300000 were sent"
  run_tug image inspect --format '{{json .RootFS.Layers}}' "$P/bb/cut:1"
  run_tug run --rm "$P/bb/cut:1" sh -c 'busybox true && echo resumed-ok'
  assert_output resumed-ok
}

@test "the registry stopped mid-pull and restarted: the pull resumes and completes" {
  local layer=$IMAGE_BUSYBOX_LAYERS
  export TUG_REGISTRY_RETRIES=8 # 100 ms doubling: some 25 s of patience, the outage lasts ~3 s
  proxy_ctl main "set?rate=200000"
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull "$P/bb/restart:1"
  local i
  for ((i = 0; i < 400; i++)); do # until the layer is streaming (or tug is gone)
    grep -q "^begin GET /v2/bb/restart/blobs/$layer " "$main_PROXY_LOG" && break
    kill -0 "$TUG_BG_PID" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "^begin GET /v2/bb/restart/blobs/$layer " "$main_PROXY_LOG" || {
    wait_bg 5
    bg_result "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
    show_last
    fail "the layer's download never started"
  }
  sleep 1
  # Down: nobody listens, every open connection is dropped, the registry process is gone.
  proxy_ctl main down
  registry_restart main 1
  local after_restart
  after_restart=$(log_mark "$main_LOG")
  proxy_ctl main "set?rate=0"
  proxy_ctl main up
  wait_bg 90
  TUG_BG_ARGS="pull $P/bb/restart:1" bg_result "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
  check_status 0
  assert_line "Status: Downloaded newer image for $P/bb/restart:1"
  local log
  log=$(proxy_blob_lines "$layer")
  [[ $(head -n1 <<<"$log") =~ range=-\ status=200\ sent=([0-9]+)\ outcome=aborted$ ]] ||
    fail "the first GET was not interrupted: $log"
  local sent=${BASH_REMATCH[1]}
  # The restarted registry served the rest, from where the interrupted transfer stopped.
  [[ $(grep -v 'status=502' <<<"$log" | sed -n 2p) =~ range=bytes=([0-9]+)-\ status=206\ .*outcome=complete$ ]] ||
    fail "no Range request resumed the layer: $log"
  ((BASH_REMATCH[1] > 0 && BASH_REMATCH[1] <= sent)) || fail "resumed from byte ${BASH_REMATCH[1]}, $sent were sent"
  registry_settle main
  log_since "$main_LOG" "$after_restart" | grep -Eq "\"GET /v2/bb/restart/blobs/$layer HTTP/1.1\" 206 " ||
    fail "the restarted registry served no Range GET of the layer: $(log_since "$main_LOG" "$after_restart")"
  run_tug run --rm "$P/bb/restart:1" echo after-restart
  assert_output after-restart
}

@test "a corrupted blob in the registry: one clear error, the store unchanged; after repair it pulls" {
  run_tug pull -q "$R/bb/busybox:1" # the shared layer is here: only v2's own layer is fetched
  local own=${IMAGE_BUSYBOX_V2_LAYERS##* } hex data
  hex=${own#sha256:}
  data=$main_STORAGE/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  [ -f "$data" ] || fail "fixture: no blob file $data"
  cp "$data" "$data.orig"
  # A different gzip header MTIME: still valid gzip of the same tar, same size, other sha256. Only
  # checking the blob's digest catches it.
  python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
assert b[:2] == b"\x1f\x8b", "not gzip"
b[4] ^= 0x5a
open(p, "wb").write(bytes(b))' "$data"
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$R/bb/v2:1"
  assert_one_line_error "$(short12 "$own")"
  assert_store_unchanged "$before"
  run_tug_fails image inspect "$R/bb/v2:1"

  mv "$data.orig" "$data"
  run_tug pull "$R/bb/v2:1"
  assert_line "$(short12 "$own"): Pull complete"
  run_tug run --rm "$R/bb/v2:1" cat /etc/tug-version
  assert_output 2
}

@test "a manifest whose bytes do not match its digest is refused, by digest and by tag" {
  local before
  before=$(store_snapshot)
  proxy_ctl main "set?corrupt_manifest=1"
  run_tug -125 pull "$P/bb/busybox@$IMAGE_BUSYBOX_DIGEST"
  assert_one_line_error
  [[ ${stderr_lines[0]} == *digest* ]] || fail "the error does not say it is about the digest"
  # By tag, the bytes contradict the registry's Docker-Content-Digest header.
  run_tug -125 pull "$P/bb/busybox:1"
  assert_one_line_error
  assert_store_unchanged "$before"
  (($(proxy_state corrupted) >= 2)) || fail "the proxy corrupted $(proxy_state corrupted) manifests"
  proxy_ctl main reset
  run_tug pull -q "$P/bb/busybox@$IMAGE_BUSYBOX_DIGEST"
  assert_output "$P/bb/busybox@$IMAGE_BUSYBOX_DIGEST"
}

@test "a registry that stalls mid-blob: the pull fails within the stall timeout" {
  export TUG_REGISTRY_STALL_SECONDS=2 TUG_REGISTRY_RETRIES=1
  proxy_ctl main "set?stall_after=1000&stall_count=-1&match=/blobs/$IMAGE_BUSYBOX_LAYERS"
  local before start elapsed
  before=$(store_snapshot)
  start=$SECONDS
  tug_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" pull "$P/bb/stall:1"
  wait_bg 60
  elapsed=$((SECONDS - start))
  TUG_BG_ARGS="pull $P/bb/stall:1 (stalling)" bg_result "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
  check_status 125
  assert_one_line_error
  # Two attempts of 2 s without progress, a short back-off, start-up: well under 15 s.
  ((elapsed < 15)) || fail "gave up after ${elapsed}s with a 2 s stall timeout and 1 retry"
  assert_equal "$(proxy_state stalls)" 2 "stalled transfers (1 + 1 retry)"
  assert_store_unchanged "$before"
}

@test "a stall that happens once is retried and the pull completes" {
  export TUG_REGISTRY_STALL_SECONDS=2
  proxy_ctl main "set?stall_after=1000&stall_count=1&match=/blobs/$IMAGE_BUSYBOX_LAYERS"
  local start=$SECONDS
  run_tug pull "$P/bb/stall:1"
  assert_line "Status: Downloaded newer image for $P/bb/stall:1"
  (($(proxy_state stalls) == 1)) || fail "stalls: $(proxy_state stalls)"
  ((SECONDS - start < 20)) || fail "took $((SECONDS - start))s"
  run_tug run --rm "$P/bb/stall:1" echo after-stall
  assert_output after-stall
}

@test "5xx answers are retried; when they never stop, TUG_REGISTRY_RETRIES bounds the attempts" {
  local layer=$IMAGE_BUSYBOX_LAYERS
  proxy_ctl main "set?fail_count=2&fail_status=503&match=/blobs/$layer"
  run_tug pull -q "$P/bb/retry:1"
  assert_equal "$(proxy_blob_lines "$layer" | grep -c 'outcome=fail')" 2 "503 answers"
  assert_equal "$(proxy_blob_lines "$layer" | grep -c 'status=200 .*outcome=complete')" 1 "complete GETs"

  fresh_store
  PROXY_MARK=$(log_mark "$main_PROXY_LOG")
  export TUG_REGISTRY_RETRIES=2
  proxy_ctl main "set?fail_count=-1&fail_status=500&match=/blobs/$layer"
  local before
  before=$(store_snapshot)
  run_tug -125 pull "$P/bb/retry:1"
  assert_one_line_error
  assert_equal "$(proxy_blob_lines "$layer" | grep -c 'outcome=fail')" 3 "attempts (1 + 2 retries)"
  assert_store_unchanged "$before"
}

@test "nobody listening: one line, quickly" {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export TUG_REGISTRY_RETRIES=1
  local start=$SECONDS
  run_tug -125 pull "127.0.0.1:$port/nobody/home:1"
  assert_one_line_error "127.0.0.1:$port"
  ((SECONDS - start < 10)) || fail "took $((SECONDS - start))s to find nobody listening"
}
