#!/usr/bin/env bats
# Published ports (-p, -P, --expose, port): host ports bound by tug itself, relayed into the
# container's own network namespace. Traffic stays on 127.0.0.1. The servers are busybox httpd.
# configs: tugtest tugnosub root

load helpers

setup_file() {
  tug_setup_file
  make_www "hello from tug"
  head -c 20000000 /dev/urandom >"$WWW/big.bin"
  chmod 644 "$WWW/big.bin"
}
teardown_file() {
  local id
  for id in $(tug ps -aq 2>/dev/null); do tug rm -f "$id" >/dev/null 2>&1 || true; done
  tug_teardown_file
}

# serve NAME PUBLISH...: busybox httpd serving $WWW, detached.
serve() {
  local name=$1
  shift
  run_tug run -d --name "$name" "$@" -v "$WWW:/www:ro" busybox:test httpd -f -p 80 -h /www
}

@test "two containers from one image on two host ports, as in the seed; ps, port and inspect show them" {
  local p1 p2
  p1=$(free_port)
  p2=$(free_port)
  serve web1 -p "$p1:80"
  serve web2 -p "127.0.0.1:$p2:80"
  assert_equal "$(http_get "$p1" /index.html)" "hello from tug" "web1"
  assert_equal "$(http_get "$p2" /index.html)" "hello from tug" "web2"
  run_tug ps --filter name=^web1$ --format '{{.Ports}}'
  assert_output "0.0.0.0:$p1->80/tcp"
  run_tug port web2
  assert_output "80/tcp -> 127.0.0.1:$p2"
  run_tug port web1 80/tcp
  assert_output "0.0.0.0:$p1"
  run_tug inspect -f '{{json .NetworkSettings.Ports}}' web1
  assert_output "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p1\"}]}"
  run_tug inspect -f '{{json .HostConfig.PortBindings}}' web1
  assert_output "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$p1\"}]}"
  # 20 MB through the relay, unchanged.
  curl -fsS --max-time 30 "http://127.0.0.1:$p1/big.bin" -o "$BATS_TEST_TMPDIR/big"
  assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/big")" "$(sha256sum <"$WWW/big.bin")" "the 20 MB file"
  run_tug rm -f web1 web2
}

@test "a host port in use is docker's error before the container starts; freed at once on stop" {
  local p
  p=$(free_port)
  serve holder -p "$p:80"
  http_get "$p" /index.html >/dev/null
  run_tug -125 run -d --name taker -p "$p:80" busybox:test sleep 100
  assert_one_line_error "driver failed programming external connectivity on endpoint taker: Bind for 0.0.0.0:$p failed: port is already allocated"
  [ "$(tug inspect -f '{{.State.Running}}' taker)" = false ] || fail "the second container runs"
  run_tug stop -t 1 holder
  # Stopped: the port is no longer published, and another container can take it at once.
  run_tug port holder
  assert_output ""
  serve taker2 -p "$p:80"
  assert_equal "$(http_get "$p" /index.html)" "hello from tug" "the port taken again"
  # A foreground run releases it when it exits too.
  run_tug rm -f taker2
  run_tug run --rm -p "$p:80" busybox:test true
  serve again -p "$p:80"
  run_tug rm -f holder taker again
}

@test "-P publishes every exposed port on a free host port; --expose adds one" {
  serve pall -P --expose 80 --expose 9000-9001/tcp
  run_tug port pall 80
  [[ $output =~ ^0\.0\.0\.0:([0-9]+)$ ]] || fail "port 80 -> '$output'"
  local p=${BASH_REMATCH[1]}
  assert_equal "$(http_get "$p" /index.html)" "hello from tug" "through the free port"
  run_tug inspect -f '{{range $k, $v := .Config.ExposedPorts}}{{$k}} {{end}}' pall
  assert_output "80/tcp 9000/tcp 9001/tcp "
  run_tug port pall
  [ "${#lines[@]}" -eq 3 ] || fail "expected 3 published ports, got: $output"
  run_tug rm -f pall
}

@test "a thousand connections in a row: all answered, the forwarder keeps no fd" {
  local p pid before after i ok=0
  p=$(free_port)
  serve many -p "$p:80"
  http_get "$p" /index.html >/dev/null
  # The forwarder is the newest process named tug-ports of this user: this container's.
  pid=$(pgrep -n -u "$(id -u)" -x tug-ports)
  [ -n "$pid" ] || fail "no tug-ports process"
  before=$(ls "/proc/$pid/fd" | wc -l)
  for ((i = 0; i < 1000; i++)); do
    [ "$(curl -fsS --max-time 5 "http://127.0.0.1:$p/index.html")" = "hello from tug" ] && ok=$((ok + 1))
  done
  assert_equal "$ok" 1000 "answered"
  sleep 0.2
  after=$(ls "/proc/$pid/fd" | wc -l)
  ((after <= before)) || fail "the forwarder went from $before to $after fds"
  run_tug rm -f many
}

@test "a connection to a port nothing listens on in the container is closed, not hung" {
  local p
  p=$(free_port)
  run_tug run -d --name deaf -p "$p:81" busybox:test sleep 100
  capture curl -sS --max-time 5 "http://127.0.0.1:$p/"
  [ "$status" -ne 28 ] || fail "curl timed out instead of seeing the connection closed"
  [ "$status" -ne 0 ] || fail "curl got an answer from nothing"
  run_tug rm -f deaf
}

@test "bad -p values are docker's errors" {
  run_tug -125 create -p abc busybox:test true
  assert_one_line_error 'invalid argument "abc" for "-p, --publish" flag: invalid containerPort: abc'
  run_tug -125 create -p x:80 busybox:test true
  assert_one_line_error 'invalid argument "x:80" for "-p, --publish" flag: invalid hostPort: x'
  run_tug -125 create -p 1.2.3:80:80 busybox:test true
  assert_one_line_error "invalid IP address: 1.2.3"
  run_tug -125 create -p 80/icmp busybox:test true
  assert_one_line_error "invalid proto: icmp"
}
