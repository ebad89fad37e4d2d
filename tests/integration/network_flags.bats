#!/usr/bin/env bats
# docker's network flags that need no address of the container's own: --add-host, --dns,
# --dns-search, --dns-option (the container's /etc/hosts and resolv.conf, inspect), and
# --network none|host (host: the caller's network namespace). Traffic stays on 127.0.0.1; the
# addresses written into hosts and resolv.conf are never contacted.

load helpers

setup_file() {
  tug_setup_file
  make_www "served by the host"
  # A server on the host's loopback, which only a --network host container can reach.
  HOST_PORT=$(free_port)
  export HOST_PORT
  python3 -m http.server --bind 127.0.0.1 --directory "$WWW" "$HOST_PORT" >/dev/null 2>&1 3>&- &
  echo $! >"$TUG_TEST_BASE/server.pid"
  http_get "$HOST_PORT" /index.html >/dev/null || {
    echo "# the host's test server on 127.0.0.1:$HOST_PORT did not start" >&2
    return 1
  }
}

teardown_file() {
  local id
  for id in $(tug ps -aq 2>/dev/null); do tug rm -f "$id" >/dev/null 2>&1 || true; done
  [ ! -f "$TUG_TEST_BASE/server.pid" ] || kill "$(cat "$TUG_TEST_BASE/server.pid")" 2>/dev/null || true
  tug_teardown_file
}

# The interface names in a /proc/net/dev on stdin, sorted, one a line.
interfaces() { awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | LC_ALL=C sort; }

# The nameserver lines of the host's resolv.conf that a container with a network namespace of
# its own keeps: all but loopback ones.
host_nameservers() {
  grep -E '^[[:space:]]*nameserver[[:space:]]' /etc/resolv.conf 2>/dev/null | awk '{ print "nameserver " $2 }' |
    grep -Ev '^nameserver (127\.|::1$)' || true
}

DEFAULT_HOSTS=$'127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters'

@test "--add-host: one line each after docker's default entries, in order; ExtraHosts in inspect" {
  run_tug run --rm -h c1 --add-host db:10.0.0.5 --add-host v6:::1 --add-host eq=192.168.1.1 \
    --add-host 'br=[fd00::1]' --add-host long:0:0:0:0:0:0:0:2 busybox:test cat /etc/hosts
  assert_output "$DEFAULT_HOSTS"$'\n10.0.0.5\tdb\n::1\tv6\n192.168.1.1\teq\nfd00::1\tbr\n::2\tlong\n127.0.1.1\tc1'
  run_tug create --name added --add-host db:10.0.0.5 --add-host v6=[::1] busybox:test true
  run_tug inspect -f '{{json .HostConfig.ExtraHosts}}' added
  assert_output '["db:10.0.0.5","v6:::1"]'
  # Without the flag: docker's null, and no extra line.
  run_tug create --name plain busybox:test true
  run_tug inspect -f '{{json .HostConfig.ExtraHosts}}' plain
  assert_output null
  run_tug rm added plain
}

@test "an --add-host name resolves inside the container" {
  run_tug run --rm --network host --add-host tug-test-alias:127.0.0.1 busybox:test \
    wget -qO- "http://tug-test-alias:$HOST_PORT/index.html"
  assert_output "served by the host"
}

@test "--dns, --dns-search, --dns-option: the container's resolv.conf and inspect" {
  run_tug run --rm --dns 9.9.9.9 --dns 0:0::1 --dns-search example.com --dns-search corp.example. \
    --dns-option ndots:2 --dns-option edns0 busybox:test cat /etc/resolv.conf
  assert_equal "${lines[0]}" "nameserver 9.9.9.9" "line 1"
  assert_equal "${lines[1]}" "nameserver ::1" "line 2"
  assert_equal "${lines[2]}" "search example.com corp.example" "line 3"
  assert_equal "${lines[3]}" "options ndots:2 edns0" "line 4"
  # The host's nameservers are replaced, not added to.
  assert_equal "$(grep -c '^nameserver' <<<"$output")" 2 "nameserver lines"
  run_tug create --name dnsc --dns 9.9.9.9 --dns-search example.com --dns-option ndots:2 busybox:test true
  run_tug inspect -f '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}' dnsc
  assert_output '["9.9.9.9"] ["example.com"] ["ndots:2"]'
  # Unset: docker's empty arrays.
  run_tug create --name nodns busybox:test true
  run_tug inspect -f '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}' nodns
  assert_output '[] [] []'
  run_tug rm dnsc nodns
}

@test "without --dns the host's nameservers, less loopback ones the container cannot reach" {
  run_tug run --rm busybox:test cat /etc/resolv.conf
  assert_equal "$(grep '^nameserver' <<<"$output" || true)" "$(host_nameservers)" "nameserver lines"
  # --dns-search alone keeps them.
  run_tug run --rm --dns-search example.com busybox:test cat /etc/resolv.conf
  assert_equal "$(grep '^nameserver' <<<"$output" || true)" "$(host_nameservers)" "nameserver lines"
  assert_line "search example.com"
}

@test "bad --add-host, --dns, --dns-search values: docker's errors, exit 125, nothing created" {
  local before
  before=$(tug ps -aq | wc -l)
  run_tug -125 run --rm --add-host x busybox:test true
  assert_one_line_error 'tug: invalid argument "x" for "--add-host" flag: bad format for add-host: "x"'
  run_tug -125 create --add-host h:nope busybox:test true
  assert_one_line_error 'tug: invalid argument "h:nope" for "--add-host" flag: invalid IP address in add-host: "nope"'
  run_tug -125 run -d --dns x busybox:test true
  assert_one_line_error 'tug: invalid argument "x" for "--dns" flag: x is not an ip address'
  run_tug -125 create --dns 1.2.3 busybox:test true
  assert_one_line_error 'tug: invalid argument "1.2.3" for "--dns" flag: 1.2.3 is not an ip address'
  run_tug -125 create --dns-search 123 busybox:test true
  assert_one_line_error 'tug: invalid argument "123" for "--dns-search" flag: 123 is not a valid domain'
  # host-gateway needs a gateway: only the host's own network has one in tug.
  run_tug -125 create --add-host gw:host-gateway busybox:test true
  assert_one_line_error "host-gateway"
  assert_equal "$(tug ps -aq | wc -l)" "$before" "containers"
}

@test "--network none (the default): only loopback; NetworkMode as given" {
  run_tug run --rm busybox:test cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" lo "the default's interfaces"
  run_tug run --rm --network none busybox:test cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" lo "--network none's interfaces"
  run_tug run --rm --net bridge busybox:test cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" lo "--net bridge's interfaces"
  local mode
  for mode in none bridge default host; do
    run_tug create --name "mode-$mode" --network "$mode" busybox:test true
    run_tug inspect -f '{{.HostConfig.NetworkMode}}' "mode-$mode"
    assert_output "$mode"
    run_tug rm "mode-$mode"
  done
  run_tug create --name mode-unset busybox:test true
  run_tug inspect -f '{{.HostConfig.NetworkMode}}' mode-unset
  assert_output none
  run_tug rm mode-unset
}

@test "--network host: the host's interfaces and the host's loopback services" {
  run_tug run --rm --network host busybox:test cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" "$(interfaces </proc/net/dev)" "interfaces"
  # /sys is the host's too (a fresh sysfs needs a network namespace of one's own).
  run_tug run --rm --network host busybox:test ls /sys/class/net
  assert_equal "$(tr -s ' \n' '\n' <<<"$output" | LC_ALL=C sort)" "$(ls /sys/class/net | LC_ALL=C sort)" "/sys/class/net"
  run_tug run --rm --network host busybox:test wget -qO- "http://127.0.0.1:$HOST_PORT/index.html"
  assert_output "served by the host"
  # The same from a container with a namespace of its own finds nothing there.
  run_tug_fails run --rm busybox:test wget -qO- "http://127.0.0.1:$HOST_PORT/index.html"
}

@test "--network host: a server in the container is on the host's loopback" {
  local p
  p=$(free_port)
  run_tug run -d --name hweb --network host -v "$WWW:/www:ro" busybox:test httpd -f -p "127.0.0.1:$p" -h /www
  assert_equal "$(http_get "$p" /index.html)" "served by the host" "from the host"
  run_tug rm -f hweb
}

@test "--network host: the host's hosts, resolv.conf and hostname unless given" {
  run_tug run --rm --network host busybox:test cat /etc/hosts
  assert_output "$(cat /etc/hosts)"
  run_tug run --rm --network host busybox:test cat /etc/resolv.conf
  assert_output "$(cat /etc/resolv.conf)"
  run_tug run --rm --network host busybox:test sh -c 'hostname; cat /etc/hostname; echo $HOSTNAME'
  assert_output "$(hostname)"$'\n'"$(hostname)"$'\n'"$(hostname)"
  local before
  before=$(hostname)
  run_tug run --rm --network host -h inner busybox:test hostname
  assert_output inner
  assert_equal "$(hostname)" "$before" "the host's hostname afterwards"
  # With --add-host and --dns: docker's own files, in host mode too.
  run_tug run --rm --network host -h inner --add-host db:10.0.0.5 --dns 9.9.9.9 busybox:test \
    sh -c 'cat /etc/hosts; grep nameserver /etc/resolv.conf'
  assert_output "$DEFAULT_HOSTS"$'\n10.0.0.5\tdb\n127.0.1.1\tinner\nnameserver 9.9.9.9'
}

@test "--network host: -p is discarded with docker's warning; other containers still publish" {
  local p p2
  p=$(free_port)
  run_tug run -d --name hostp --network host -p "$p:80" busybox:test sleep 100
  assert_equal "$stderr" "WARNING: Published ports are discarded when using host network mode" "stderr"
  run_tug port hostp
  assert_output ""
  run_tug ps --filter name=^hostp$ --format '{{.Ports}}'
  assert_output ""
  # Nothing listens on the port: tug did not bind it.
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1])))' "$p" ||
    fail "port $p is bound"
  run_tug run --rm --network host -p 80 busybox:test true
  assert_equal "$stderr" "WARNING: Published ports are discarded when using host network mode" "foreground stderr"
  run_tug create --name hostpc --network host -p 80 busybox:test true
  assert_equal "$stderr" "WARNING: Published ports are discarded when using host network mode" "create stderr"
  # Meanwhile a container with its own namespace publishes through the forwarder as before.
  p2=$(free_port)
  run_tug run -d --name fwd -p "127.0.0.1:$p2:80" -v "$WWW:/www:ro" busybox:test httpd -f -p 80 -h /www
  assert_equal "$(http_get "$p2" /index.html)" "served by the host" "through the forwarder"
  run_tug rm -f hostp hostpc fwd
}

@test "--network host: exec, healthcheck, stop, start and kill work" {
  run_tug run -d --name hx --network host \
    --health-cmd "wget -qO- http://127.0.0.1:$HOST_PORT/index.html" --health-interval 200ms busybox:test sleep 1000
  run_tug exec hx cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" "$(interfaces </proc/net/dev)" "interfaces seen by exec"
  run_tug exec hx wget -qO- "http://127.0.0.1:$HOST_PORT/index.html"
  assert_output "served by the host"
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(tug inspect -f '{{.State.Health.Status}}' hx)" = healthy ] && break
    sleep 0.1
  done
  run_tug inspect -f '{{.State.Health.Status}}' hx
  assert_output healthy
  run_tug stop -t 1 hx
  run_tug inspect -f '{{.State.Running}}' hx
  assert_output false
  # start goes through the detached path again, from the recorded NetworkMode.
  run_tug start hx
  run_tug exec hx cat /proc/net/dev
  assert_equal "$(interfaces <<<"$output")" "$(interfaces </proc/net/dev)" "interfaces after start"
  run_tug kill hx
  run_tug wait hx
  assert_output 137
  # A created one starts in host mode too.
  run_tug create --name hc --network host busybox:test cat /proc/net/dev
  run_tug start -a hc
  assert_equal "$(interfaces <<<"$output")" "$(interfaces </proc/net/dev)" "interfaces of a created container"
  run_tug rm -f hx hc
}

@test "--network values tug does not implement yet: a clear error, exit 125, nothing created" {
  local before
  before=$(tug ps -aq | wc -l)
  run_tug -125 run --rm --network bogus busybox:test true
  assert_one_line_error "network bogus not found: user-defined networks are not implemented yet"
  run_tug -125 run -d --network bogus busybox:test true
  assert_one_line_error "user-defined networks are not implemented yet"
  run_tug -125 create --net bogus busybox:test true
  assert_one_line_error "user-defined networks are not implemented yet"
  run_tug -125 create --network container:other busybox:test true
  assert_one_line_error "not implemented yet"
  assert_equal "$(tug ps -aq | wc -l)" "$before" "containers"
}
