#!/usr/bin/env bats
# What a process sees inside a container: PID 1, hostname, id mapping, its own rootfs, /proc,
# /dev, /sys, the /etc files tug provides, loopback-only network, stdin and the tty.

load helpers

setup_file() { tug_setup_file; }
teardown_file() { tug_teardown_file; }

@test "the command is PID 1" {
  run_tug run --rm busybox:test sh -c 'echo $$'
  assert_output 1
}

@test "own /proc: only the container's processes are visible" {
  run_tug run --rm busybox:test ps -o pid,args
  [ "${#lines[@]}" -eq 2 ] || fail "expected a header and one process, got: $output"
  [[ ${lines[1]} =~ ^\ *1\ +ps\ -o\ pid,args$ ]] || fail "process line is '${lines[1]}'"
  run_tug run --rm busybox:test sh -c 'grep " /proc " /proc/mounts'
  assert_output_matches '^[^ ]+ /proc proc '
}

@test "hostname defaults to the first 12 hex digits of the container ID" {
  run_tug run --name hostname-check busybox:test hostname
  assert_output_matches '^[0-9a-f]{12}$'
  local h=$output
  # The container (kept: no --rm) is stored under its full ID, which starts with the hostname.
  local found
  found=$(find "$TUG_TEST_ROOT" "$TUG_TEST_RUNROOT" -name "${h}*" -printf '%f\n' | sort -u)
  grep -Eq "^${h}[0-9a-f]{52}([^0-9a-f].*)?$" <<<"$found" ||
    fail "no container ID starting with $h in the store (found: ${found:-nothing})"
}

@test "each container gets its own hostname, /etc/hostname agrees" {
  run_tug run --rm busybox:test sh -c 'hostname; cat /etc/hostname'
  [ "${lines[0]}" = "${lines[1]}" ] || fail "hostname '${lines[0]}' but /etc/hostname '${lines[1]}'"
  local first=${lines[0]}
  run_tug run --rm busybox:test hostname
  [ "$output" != "$first" ] || fail "two containers both got hostname $first"
  [ "$output" != "$(hostname)" ] || fail "the container has the host's hostname"
}

@test "--hostname sets hostname and /etc/hostname" {
  # (With loopback only, like docker's --network none, /etc/hosts has no line for the hostname.)
  run_tug run --rm --hostname myhost.example busybox:test sh -c 'hostname; cat /etc/hostname'
  assert_equal "${lines[0]}" myhost.example hostname
  assert_equal "${lines[1]}" myhost.example /etc/hostname
  run_tug run --rm -h short busybox:test hostname
  assert_output short
}

@test "/etc/hosts, /etc/hostname, /etc/resolv.conf are provided" {
  run_tug run --rm busybox:test sh -c 'test -f /etc/resolv.conf && echo resolv-ok; cat /etc/hosts'
  assert_line resolv-ok
  printf '%s\n' "${lines[@]}" | grep -Eq '^127\.0\.0\.1\s+localhost' || fail "no localhost line: $output"
  # The image's own /etc is untouched by this.
  run_tug run --rm busybox:test cat /etc/os-release
  assert_output_contains 'tug test busybox'
}

@test "uid_map: full subordinate range, single id, or root's identity map" {
  local uid gid uidmap gidmap
  uid=$(id -u)
  gid=$(id -g)
  # awk normalises the columns' padding.
  run_tug run --rm busybox:test cat /proc/self/uid_map
  uidmap=$(awk '{print $1, $2, $3}' <<<"$output")
  run_tug run --rm busybox:test cat /proc/self/gid_map
  gidmap=$(awk '{print $1, $2, $3}' <<<"$output")
  if is_root; then
    assert_equal "$uidmap" "0 0 4294967295" "uid_map as root"
    assert_equal "$gidmap" "0 0 4294967295" "gid_map as root"
    return
  fi
  case "$(mapping_mode)" in
    single)
      assert_equal "$uidmap" "0 $uid 1" "uid_map with a single mapping"
      assert_equal "$gidmap" "0 $gid 1" "gid_map with a single mapping"
      ;;
    subuid)
      check_subid_map "$uidmap" "$uid" /etc/subuid
      check_subid_map "$gidmap" "$gid" /etc/subgid
      ;;
    *) fail "unexpected mapping mode '$(mapping_mode)'" ;;
  esac
}

# check_subid_map MAP OWN_ID FILE: line 1 maps 0 to our own id; the rest cover 1.. contiguously
# with host ids inside our ranges in FILE, at least 65536 of them.
check_subid_map() {
  local map=$1 own=$2 file=$3 me
  me=$(id -un)
  local first
  first=$(head -n1 <<<"$map")
  assert_equal "$first" "0 $own 1" "first line of the map for $file"
  local ranges
  ranges=$(grep -E "^($me|$(id -u)):" "$file" | cut -d: -f2,3)
  local next=1 total=1 inner outer count
  while read -r inner outer count; do
    assert_equal "$inner" "$next" "container ids must continue at $next"
    local ok=0 r start len
    for r in $ranges; do
      start=${r%:*} len=${r#*:}
      if ((outer >= start && outer + count <= start + len)); then ok=1; fi
    done
    ((ok)) || fail "host ids $outer+$count are not within this user's ranges in $file ($ranges)"
    next=$((inner + count))
    total=$((total + count))
  done < <(tail -n +2 <<<"$map")
  ((total >= 65537)) || fail "only $total ids mapped from $file: $map"
}

@test "layer files keep their owners when the full range is mapped, squashed to root otherwise" {
  run_tug run --rm busybox:test stat -c '%u:%g' /home/app /home/app/.profile /bin/busybox
  if has_full_mapping; then
    assert_output $'1000:1000\n1000:1000\n0:0'
  else
    assert_output $'0:0\n0:0\n0:0'
  fi
}

@test "a file written in one container is invisible in another from the same image" {
  run_tug run --rm busybox:test sh -c 'echo secret >/root/marker && rm /etc/os-release && cat /root/marker'
  assert_output secret
  run_tug -1 run --rm busybox:test cat /root/marker
  run_tug run --rm busybox:test cat /etc/os-release
  assert_output_contains 'tug test busybox'
  # Also while the first container is kept (no --rm).
  run_tug run --name writer busybox:test sh -c 'echo kept >/kept-marker'
  run_tug run --rm busybox:test sh -c 'test -e /kept-marker && echo visible || echo invisible'
  assert_output invisible
}

@test "minimal /dev" {
  run_tug run --rm busybox:test sh -c '
    for d in null zero full random urandom tty; do test -c /dev/$d && echo "$d ok"; done
    test -e /dev/ptmx && echo "ptmx ok"
    test -d /dev/pts && echo "pts ok"
    test -d /dev/shm && echo "shm ok"
    test -d /dev/mqueue && echo "mqueue ok"'
  local d
  for d in null zero full random urandom tty ptmx pts shm mqueue; do assert_line "$d ok"; done
  run_tug run --rm busybox:test sh -c '
    echo x >/dev/null && echo null-writable
    head -c 5 /dev/zero | wc -c
    echo x >/dev/full 2>/dev/null || echo full-refuses
    echo x >/dev/shm/f && cat /dev/shm/f
    grep " /dev/pts " /proc/mounts | cut -d" " -f3'
  assert_output $'null-writable\n5\nfull-refuses\nx\ndevpts'
  # Host devices are not there.
  run_tug run --rm busybox:test sh -c 'ls /dev | grep -E "^(sd|vd|nvme|loop|mem|kmsg)" || echo none'
  assert_output none
}

@test "/sys is read-only" {
  run_tug run --rm busybox:test sh -c 'grep " /sys " /proc/mounts'
  assert_output_matches '^[^ ]+ /sys [^ ]+ ro[, ]'
  run_tug run --rm busybox:test sh -c 'mkdir /sys/x 2>/dev/null && echo wrote || echo refused'
  assert_output refused
}

@test "network: loopback only, and it is up" {
  run_tug run --rm busybox:test sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
  assert_output lo
  run_tug run --rm busybox:test ip addr show lo
  assert_output_contains 'inet 127.0.0.1/8'
  assert_output_matches '<[^>]*UP[^>]*>'
}

@test "stdin is connected with -i and not without" {
  capture tug run --rm -i busybox:test cat <<<"hello stdin"
  check_status 0
  assert_output "hello stdin"
  capture tug run --rm busybox:test cat <<<"hello stdin"
  check_status 0
  assert_output ""
}

@test "-t gives a pty with the caller's window size" {
  command -v script >/dev/null || fail "script(1) from util-linux is needed for this test"
  local cmd
  cmd="stty rows 31 cols 97; $(printf '%q ' "$TUG" --root "$TUG_TEST_ROOT" --runroot "$TUG_TEST_RUNROOT") run --rm -t busybox:test sh -c 'tty; stty size'"
  capture script -qec "$cmd" /dev/null </dev/null
  check_status 0
  output=${output//$'\r'/}
  assert_output_matches '/dev/pts/[0-9]+'
  assert_output_contains '31 97'
}
