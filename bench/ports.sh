#!/bin/bash
# Published ports (issue 5): TCP throughput (iperf3) and HTTP request rate and p99 latency (wrk
# against nginx) through tug's `-p` forwarder, rootless podman's port handlers and, as the limit,
# the same servers on the host's loopback; then the memory of tug's forwarder. Prints one table.
#
# Usage: bench/ports.sh      (as root: everything runs as BENCH_USER; as a user: that user)
#   TUG=PATH        tug binary (default <repo>/build/tug, else it builds <repo>/build-bench with make)
#   DURATION=5      seconds of each iperf3 and wrk run
#   BENCH_USER      unprivileged user with /etc/subuid ranges (default tugtest; only used as root)
#   BENCH_OUT=DIR   keep the raw results, the memory figures, the clients' logs and the report there
#
# Servers, one pair per engine, all started before the first measurement and idle in between:
#   iperf3 -s   the host's /usr/bin/iperf3 and the libraries ldd lists, imported as an image
#   nginx       Debian bookworm's nginx-light (tests/fixtures/debian-image.sh), one nginx.conf for
#               all (access log off, worker_processes auto), a 128 B and a 1 MiB file bind-mounted
#               into /var/www/html
# Engines: loopback (the same two servers straight on the host: iperf3 itself, nginx from the
# image's rootfs under bwrap sharing the host's network), tug (-p), podman with its default port
# handler (rootlessport), podman --network slirp4netns:port_handler=slirp4netns, podman --network
# pasta. Measurements go metric by metric, each engine in turn, so a change of load hits them alike.
# Every store, image and file lies in one fresh mktemp dir, deleted on exit with every server.
# Only 127.0.0.1 is ever contacted (a local registry), except by debian-image.sh's first build
# (debootstrap from the mirror apt uses; cached in /var/cache/tug-debootstrap after).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dur=${DURATION:-5}

say() { printf '%s\n' "$*"; }
die() {
  printf 'ports: %s\n' "$*" >&2
  exit 1
}

for tool in iperf3 wrk bwrap skopeo docker-registry python3 curl ldd tar; do
  command -v "$tool" >/dev/null ||
    die "$tool is required (apt-get install iperf3 wrk bubblewrap skopeo docker-registry python3 curl)"
done

# --- tug binary, user, cgroups (see bench/lib.sh) -------------------------------------------------
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_find_tug
bench_select_user
bench_cgroup_fix "podman"

# --- scratch space and cleanup --------------------------------------------------------------------
# Short names: slirp4netns's API socket, $XDG_RUNTIME_DIR/libpod/tmp/<64 hex>.net, must stay under
# 108 bytes (sun_path), so podman's XDG_RUNTIME_DIR ($work/x) under 28.
work=$(mktemp -d /tmp/tug-ports.XXXXXX)
chmod 755 "$work"
[[ $(id -u) -eq 0 ]] && chown "$user:" "$work"
tug_bin=$work/bin/tug
tug_cmd=("${as_user_cmd[@]}" env "XDG_RUNTIME_DIR=$work/txdg" "$tug_bin" --root "$work/tr" --runroot "$work/trr")
pdir="" have_podman="" host_bg=()
pod_cmd=()

cleanup() {
  set +e
  [[ -d $work/tr ]] && "${tug_cmd[@]}" rm -f bench-web bench-iperf3 >/dev/null 2>&1
  # A forwarder or monitor that `tug rm -f` missed: our snapshot of tug, so nobody else's.
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == "$tug_bin" ]] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  if [[ -n $have_podman ]]; then
    "${pod_cmd[@]}" rm -af -t 0 >/dev/null 2>&1
    # Files of subordinate ids: as a normal user only a process mapping them can delete them.
    [[ $(id -u) -eq 0 ]] || "${pod_cmd[@]}" unshare rm -rf "$work/tr" "$work/pr" 2>/dev/null
  fi
  [[ -s $work/x/libpod/tmp/pause.pid ]] && kill "$(cat "$work/x/libpod/tmp/pause.pid")" 2>/dev/null
  # The host's servers: by the pid each wrote, checked to be that program.
  for f in "$work/hostrun/nginx.pid:nginx" "$work/hostrun/iperf3.pid:iperf3"; do
    pid=$(cat "${f%:*}" 2>/dev/null)
    [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "${f#*:}" ]] && kill "$pid"
  done
  # runuser (as root) passes TERM on to bwrap, which takes nginx down with it (--die-with-parent).
  ((${#host_bg[@]})) && kill "${host_bg[@]}" 2>/dev/null && wait "${host_bg[@]}" 2>/dev/null
  [[ -f $work/registry/env ]] && "$repo/tests/fixtures/registry.sh" stop "$work/registry"
  [[ -n $pdir ]] && rm -rf "$pdir"
  rm -rf "$work" 2>/dev/null || say "ports: could not remove all of $work (files of subordinate ids)" >&2
  say "[${SECONDS}s] done"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_user mkdir -p "$work/bin" "$work/txdg" "$work/srv" "$work/hostroot" "$work/hostrun" "$work/log"
chmod 700 "$work/txdg"
cp "$tug" "$tug_bin" # a snapshot: a rebuild during the bench must not change what is measured
chmod 755 "$tug_bin"
: >"$work/facts"
: >"$work/mem-idle.tsv"
fact() { printf '%s=%s\n' "$1" "$2" >>"$work/facts"; }
skipped=()

# One loopback port per server and engine, all distinct: bound together by one process, then released.
read -r -a ports <<<"$(python3 -c '
import socket
ss = [socket.socket() for _ in range(10)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
declare -A iperf_port=() http_port=()
i=0
for e in loopback tug podman-rootlesskit podman-slirp4netns pasta; do
  iperf_port[$e]=${ports[i]}
  http_port[$e]=${ports[i + 1]}
  i=$((i + 2))
done

# --- the servers' files ---------------------------------------------------------------------------
say "preparing the images in $work"
head -c 96 /dev/urandom | base64 -w0 | as_user tee "$work/srv/small.txt" >/dev/null # 128 bytes
head -c 1048576 /dev/urandom | as_user tee "$work/srv/big.bin" >/dev/null
# Debian's nginx.conf without what needs root or a disk: no `user` (workers run as the master's
# user), no access log, pid and temp files in /tmp. LISTEN is replaced per engine.
nginx_conf='worker_processes auto;
pid /tmp/nginx.pid;
error_log stderr;
events {
	worker_connections 768;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path /tmp/body;
	proxy_temp_path /tmp/proxy;
	fastcgi_temp_path /tmp/fastcgi;
	uwsgi_temp_path /tmp/uwsgi;
	scgi_temp_path /tmp/scgi;
	server {
		listen LISTEN default_server;
		root /var/www/html;
	}
}'
printf '%s\n' "${nginx_conf/LISTEN/80}" | as_user tee "$work/srv/nginx.conf" >/dev/null
printf '%s\n' "${nginx_conf/LISTEN/127.0.0.1:${http_port[loopback]}}" |
  as_user tee "$work/srv/nginx-host.conf" >/dev/null
web_mounts=(-v "$work/srv/nginx.conf:/etc/nginx/nginx.conf:ro" -v "$work/srv/small.txt:/var/www/html/small.txt:ro"
  -v "$work/srv/big.bin:/var/www/html/big.bin:ro")

# The Debian+nginx image as an OCI layout, served by a loopback registry both engines pull from.
mkdir -p "$work/images" "$work/registry"
"$repo/tests/fixtures/debian-image.sh" "$work/images" >/dev/null 2>"$work/log/debian-image.log" ||
  die "tests/fixtures/debian-image.sh failed: $(tail -n 3 "$work/log/debian-image.log")"
chmod -R a+rX "$work/images"
"$repo/tests/fixtures/registry.sh" start http "$work/registry" >/dev/null
addr=$(sed -n 's/^REGISTRY_ADDR=//p' "$work/registry/env")
nginx_ref=$addr/bench/nginx:latest
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/images/oci:nginx" "docker://$nginx_ref"

# iperf3's image: the host's binary, the libraries ldd lists (the loader among them), a /tmp.
stage=$work/iperf3-root
mkdir -p "$stage/usr/bin" "$stage/tmp"
chmod 1777 "$stage/tmp"
cp -L /usr/bin/iperf3 "$stage/usr/bin/iperf3"
for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do
  mkdir -p "$stage$(dirname "$lib")"
  cp -L "$lib" "$stage$lib"
done
tar --owner=0 --group=0 --numeric-owner -C "$stage" -cf "$work/iperf3.tar" .
chmod 644 "$work/iperf3.tar"
fact iperf3_image "$(du -k "$work/iperf3.tar" | cut -f1) KiB, $(find "$stage" -type f | wc -l) files"

# The loopback engine's nginx: the image's own rootfs (the same binary and libraries), unpacked
# from the layout's layers in order (fresh layers, no whiteouts), with empty files to bind over.
while read -r blob; do
  as_user tar -xzf "$blob" -C "$work/hostroot"
done < <(python3 - "$work/images/oci" <<'PY'
import json, sys
d = sys.argv[1]
blob = lambda digest: f"{d}/blobs/sha256/{digest.split(':')[1]}"
idx = json.load(open(f"{d}/index.json"))
m = next(m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "nginx")
for layer in json.load(open(blob(m["digest"])))["layers"]:
    print(blob(layer["digest"]))
PY
)
as_user touch "$work/hostroot/var/www/html/small.txt" "$work/hostroot/var/www/html/big.bin"

read -r l1 l5 _ </proc/loadavg
load_before="$l1 $l5"

# --- start the servers ----------------------------------------------------------------------------
engines=() # the ones whose servers answered, in table order
skip() {
  local why=${2//\\n/ | } # podman quotes its helpers' output with literal \n
  ((${#why} <= 300)) || why="${why:0:300}..."
  skipped+=("$1: skipped ($why)")
  say "${skipped[-1]}"
}
last_line() { grep -v '^\s*$' "$1" | tail -n "${2:-1}" | paste -sd ' '; }

# ready ENGINE: both servers of ENGINE answer through its ports (nginx serves both files whole,
# iperf3 completes a one-second test: the warm-up). Up to ~10 s for each.
ready() {
  local e=$1 f size want n
  for f in small.txt:128 big.bin:1048576; do
    want=${f#*:}
    for ((n = 0; n < 50; n++)); do
      size=$(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:${http_port[$e]}/${f%:*}" || true)
      [[ $size == "$want" ]] && break
      sleep 0.2
    done
    if [[ $size != "$want" ]]; then
      skip "$e" "nginx did not serve /${f%:*} on 127.0.0.1:${http_port[$e]} (got '${size:-nothing}')"
      return 1
    fi
  done
  for ((n = 0; n < 10; n++)); do
    as_user iperf3 -c 127.0.0.1 -p "${iperf_port[$e]}" -t 1 >"$work/log/$e.ready.log" 2>&1 && return 0
    sleep 1
  done
  skip "$e" "iperf3 -c 127.0.0.1 -p ${iperf_port[$e]}: $(last_line "$work/log/$e.ready.log")"
  return 1
}

# mem_line FILE ENGINE CONTAINER ROLE PID: appends "engine container role pid VmRSS RssAnon RssFile
# Pss" (KiB) to FILE.
mem_line() {
  [[ -r /proc/$5/status ]] || return 0
  printf '%s %s %s %s %s %s %s %s\n' "$2" "$3" "$4" "$5" \
    "$(awk '/^VmRSS:/ {print $2}' "/proc/$5/status")" "$(awk '/^RssAnon:/ {print $2}' "/proc/$5/status")" \
    "$(awk '/^RssFile:/ {print $2}' "/proc/$5/status")" "$(awk '/^Pss:/ {print $2}' "/proc/$5/smaps_rollup")" \
    >>"$1"
}
# tug_forwarders FILE: tug has one forwarder (`tug-ports`, a fork of our snapshot) per container with
# published ports; its command line is the `run` that started it, which names the container.
tug_forwarders() {
  local p c
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == tug-ports && $(readlink "$p/exe" 2>/dev/null) == "$tug_bin" ]] || continue
    c=$(tr '\0' ' ' <"$p/cmdline" | grep -o -- '--name [^ ]*' | cut -d' ' -f2)
    mem_line "$1" tug "${c:-?}" tug-ports "${p#/proc/}"
  done
}

say "[${SECONDS}s] starting the servers"
# loopback: the host's iperf3, and nginx from the image's rootfs under bwrap (own user and mount
# namespaces, the host's network namespace: its listening socket is the host's loopback).
as_user iperf3 -s -B 127.0.0.1 -p "${iperf_port[loopback]}" -D -I "$work/hostrun/iperf3.pid" \
  --logfile "$work/log/loopback.iperf3.log"
as_user bwrap --unshare-user --unshare-ipc --unshare-uts --die-with-parent --ro-bind "$work/hostroot" / \
  --dev /dev --proc /proc --bind "$work/hostrun" /tmp --ro-bind "$work/srv/nginx-host.conf" /etc/nginx/nginx.conf \
  --ro-bind "$work/srv/small.txt" /var/www/html/small.txt --ro-bind "$work/srv/big.bin" /var/www/html/big.bin \
  nginx -g 'daemon off;' </dev/null >"$work/log/loopback.nginx.log" 2>&1 &
host_bg+=($!)
ready loopback && engines+=(loopback)

# tug: both images in a fresh store, each server published on one loopback port.
if out=$({ "${tug_cmd[@]}" pull -q "$nginx_ref" && "${tug_cmd[@]}" import "$work/iperf3.tar" bench/iperf3:latest &&
  "${tug_cmd[@]}" run -d --name bench-web -p "127.0.0.1:${http_port[tug]}:80" "${web_mounts[@]}" "$nginx_ref" &&
  "${tug_cmd[@]}" run -d --name bench-iperf3 -p "127.0.0.1:${iperf_port[tug]}:5201" bench/iperf3:latest \
    /usr/bin/iperf3 -s; } 2>&1 </dev/null); then
  # The forwarders before their first connection (they trim themselves once their loop first waits).
  sleep 1
  tug_forwarders "$work/mem-idle.tsv"
  ready tug && engines+=(tug)
else
  skip tug "$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -n 2 | paste -sd ' ')"
fi

# podman: its own HOME and config files under the user's home (nothing of the user's own podman
# setup counts), cgroupfs and file events (no systemd session), overlay; its own --root/--runroot.
if command -v podman >/dev/null; then
  pdir=$(as_user mktemp -d "$home/.tug-bench-podman.XXXXXX")
  pod_cmd=("${cgroup_fix[@]}" "${as_user_cmd[@]}" env "HOME=$pdir" "XDG_CONFIG_HOME=$pdir/.config"
    "XDG_DATA_HOME=$pdir/.local/share" "XDG_RUNTIME_DIR=$work/x" podman --root "$work/pr" --runroot "$work/prr")
  as_user mkdir -p "$pdir/.config/containers" "$work/x"
  chmod 700 "$work/x"
  printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' |
    as_user tee "$pdir/.config/containers/containers.conf" >/dev/null
  printf '[storage]\ndriver = "overlay"\n' | as_user tee "$pdir/.config/containers/storage.conf" >/dev/null
  have_podman=1
  fact podman_version "$(podman --version | awk '{print $NF}')"
  if ! out=$({ "${pod_cmd[@]}" pull -q --tls-verify=false "$nginx_ref" &&
    "${pod_cmd[@]}" import -q "$work/iperf3.tar" localhost/bench/iperf3:latest; } 2>&1 </dev/null); then
    have_podman=""
    for e in podman-rootlesskit podman-slirp4netns pasta; do
      skip "$e" "podman could not load the images: $(printf '%s\n' "$out" | tail -n 1)"
    done
  fi
else
  for e in podman-rootlesskit podman-slirp4netns pasta; do skip "$e" "podman is not installed"; done
fi

declare -A pod_net=([podman-rootlesskit]="" [podman-slirp4netns]=slirp4netns:port_handler=slirp4netns [pasta]=pasta)
if [[ -n $have_podman ]]; then
  for e in podman-rootlesskit podman-slirp4netns pasta; do
    net=()
    [[ -z ${pod_net[$e]} ]] || net=(--network "${pod_net[$e]}")
    if out=$({ "${pod_cmd[@]}" run -d --name "$e-web" "${net[@]}" -p "127.0.0.1:${http_port[$e]}:80" \
      "${web_mounts[@]}" "$nginx_ref" && "${pod_cmd[@]}" run -d --name "$e-iperf3" "${net[@]}" \
      -p "127.0.0.1:${iperf_port[$e]}:5201" localhost/bench/iperf3:latest /usr/bin/iperf3 -s; } 2>&1 </dev/null); then
      ready "$e" && engines+=("$e")
    else
      why=$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -n 1)
      if [[ $e == pasta ]]; then
        # pasta as a network mode came with podman 4.4; older ones read it as a network's name.
        why="podman $(grep '^podman_version=' "$work/facts" | cut -d= -f2): $why"
        command -v pasta >/dev/null || why+="; no pasta binary either (Debian package passt)"
      fi
      skip "$e" "$why"
      "${pod_cmd[@]}" rm -f -t 0 "$e-web" "$e-iperf3" >/dev/null 2>&1 || true
    fi
  done
fi
((${#engines[@]})) || die "no engine answered: ${skipped[*]}"

# --- measurements -----------------------------------------------------------------------------------
# results.tsv: engine metric value [errors]; Gbit/s for iperf3, req/s and p99 µs for wrk.
: >"$work/results.tsv"
result() { printf '%s\n' "$*" >>"$work/results.tsv"; }

# Printed by wrk when a run ends (its `done` hook): requests, µs elapsed, socket errors
# (connect read write timeout), non-2xx/3xx answers, p99 and mean latency in µs.
as_user tee "$work/report.lua" >/dev/null <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %.1f\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.timeout, e.status, latency:percentile(99), latency.mean))
end
LUA

# iperf ENGINE METRIC [-R]: one iperf3 run of DURATION s; the receiver's rate (a second try when the
# server is still busy with the previous test).
iperf() {
  local e=$1 m=$2 log=$work/log/$1.$2.json
  shift 2
  for _ in 1 2; do
    if as_user timeout $((dur + 30)) iperf3 -c 127.0.0.1 -p "${iperf_port[$e]}" -t "$dur" -J "$@" \
      >"$log" 2>&1 </dev/null; then
      result "$e" "$m" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9)' "$log")"
      return 0
    fi
    sleep 1
  done
  skipped+=("$e $m: iperf3 failed: $(grep -o '"error":.*' "$log" | head -n 1 || last_line "$log")")
}

# http ENGINE METRIC FILE THREADS CONNECTIONS: one wrk --latency run of DURATION s.
http() {
  local e=$1 m=$2 log=$work/log/$1.$2.log r
  if ! as_user timeout $((dur + 30)) wrk -t "$4" -c "$5" -d "${dur}s" --latency -s "$work/report.lua" \
    "http://127.0.0.1:${http_port[$e]}/$3" >"$log" 2>&1 </dev/null; then
    skipped+=("$e $m: wrk failed: $(last_line "$log")")
    return 0
  fi
  read -r -a r <<<"$(grep '^RESULT ' "$log" || true)"
  if ((${#r[@]} != 10)); then
    skipped+=("$e $m: wrk printed no result: $(last_line "$log")")
    return 0
  fi
  # req/s over wrk's own elapsed time; errors: socket errors + non-2xx/3xx answers.
  result "$e" "$m.rps" "$(awk -v n="${r[1]}" -v us="${r[2]}" 'BEGIN { print n / (us / 1e6) }')" \
    "$((r[3] + r[4] + r[5] + r[6] + r[7]))"
  result "$e" "$m.p99" "${r[8]}"
}

metrics=(up down small.c1 small.c16 big.c1 big.c16)
for m in "${metrics[@]}"; do
  for e in "${engines[@]}"; do
    say "[${SECONDS}s] measuring $m: $e"
    case $m in
      up) iperf "$e" up ;;
      down) iperf "$e" down -R ;;
      small.c1) http "$e" "$m" small.txt 1 1 ;;
      small.c16) http "$e" "$m" small.txt 2 16 ;;
      big.c1) http "$e" "$m" big.bin 1 1 ;;
      big.c16) http "$e" "$m" big.bin 2 16 ;;
    esac
    sleep 0.5 # iperf3's server goes back to listening; TIME_WAIT sockets settle
  done
done
read -r l1 l5 _ </proc/loadavg

# --- networking memory per container, after the runs ------------------------------------------------
say "[${SECONDS}s] reading the memory of the forwarders"
: >"$work/mem.tsv"
tug_forwarders "$work/mem.tsv"
grep -q '^tug ' "$work/mem.tsv" || [[ ! " ${engines[*]} " =~ " tug " ]] ||
  skipped+=("tug forwarder memory: no tug-ports process of $tug_bin found")
# podman: per container, the processes that carry its ports: slirp4netns (its command line names the
# container's netns path) and, with rootlesskit's handler, rootlessport and its child, which live in
# the container's network namespace. One `podman inspect` for all: each call costs a second or more.
pod_ctrs=()
for e in "${engines[@]}"; do
  [[ $e == podman-* || $e == pasta ]] && pod_ctrs+=("$e-web" "$e-iperf3")
done
if ((${#pod_ctrs[@]})); then
  "${pod_cmd[@]}" inspect --format '{{.Name}} {{.State.Pid}} {{.NetworkSettings.SandboxKey}}' "${pod_ctrs[@]}" \
    >"$work/pod-inspect.txt" 2>&1 </dev/null ||
    skipped+=("podman memory: inspect failed: $(last_line "$work/pod-inspect.txt")")
  pod_procs=$(ps -u "$uid" -o pid=)
  while read -r c cpid sandbox; do
    [[ -n $sandbox && -e /proc/$cpid/ns/net ]] || continue
    netns=$(readlink "/proc/$cpid/ns/net")
    seen=" "
    for p in $pod_procs; do
      exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
      case $exe in
        */rootlessport)
          # In the container's netns, or the parent of one that is (both are, on this host).
          [[ $(readlink "/proc/$p/ns/net") == "$netns" ]] || continue
          for q in "$(awk '{print $4}' "/proc/$p/stat")" "$p"; do
            [[ $(readlink "/proc/$q/exe" 2>/dev/null) == "$exe" && $seen != *" $q "* ]] || continue
            seen+="$q "
            mem_line "$work/mem.tsv" "${c%-*}" "$c" "$(cat "/proc/$q/comm")" "$q"
          done
          ;;
        */slirp4netns | */pasta | */passt)
          tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$sandbox" &&
            mem_line "$work/mem.tsv" "${c%-*}" "$c" "${exe##*/}" "$p"
          ;;
      esac
    done
  done <"$work/pod-inspect.txt"
fi

# --- report ---------------------------------------------------------------------------------------
report=$work/report.txt
{
  say ""
  say "published ports, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores, as $user"
  say "tug: $tug; podman: $(grep -s '^podman_version=' "$work/facts" | cut -d= -f2 || echo -);" \
    "$(iperf3 --version | head -n 1 | cut -d' ' -f1-2);" \
    "wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo '?');" \
    "nginx-light $(awk '/^Package: nginx-light$/ { p = 1 } p && /^Version:/ { print $2; exit }' \
      "$work/hostroot/var/lib/dpkg/status")"
  say "each run ${dur} s; iperf3 -c 127.0.0.1 -p PORT -t $dur [-R]; wrk --latency -t1 -c1 / -t2 -c16;" \
    "128 B and 1 MiB files; iperf3 image $(grep '^iperf3_image=' "$work/facts" | cut -d= -f2)"
  [[ -n $cgroup_note ]] && say "note: $cgroup_note"
  say "load average before/after: $load_before / $l1 $l5"
  if awk -v l="$l1" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
    say "warning: load above the core count: other processes competed for the CPUs"
  fi
  say ""
  python3 - "$work/results.tsv" "$work/mem.tsv" "$work/mem-idle.tsv" <<'PY'
import sys

res, errs = {}, {}
for line in open(sys.argv[1]):
    e, m, v, *rest = line.split()
    res[(e, m)] = float(v)
    if rest and int(rest[0]):
        errs[(e, m)] = int(rest[0])
mem = {}  # engine -> container -> [(role, pid, vmrss, anon, file, pss)]
for line in open(sys.argv[2]):
    e, c, role, pid, *v = line.split()
    mem.setdefault(e, {}).setdefault(c, []).append((role, pid, *map(int, v)))

cols = ["loopback", "tug", "podman-rootlesskit", "podman-slirp4netns", "pasta"]
heads = ["host loopback", "tug", "podman-rootlesskit", "podman-slirp4netns", "pasta"]
verdict = lambda ok: "PASS" if ok else "FAIL"
rows = [["metric", *heads, "tug ÷ loopback", "target", "verdict"]]
judged = []  # (what, figures, ok)

def val(e, m):
    return res.get((e, m))

def add(label, m, fmt, scale, target=None, ok=None):
    cells = []
    for e in cols:
        v = val(e, m)
        cells.append("-" if v is None else fmt.format(v * scale) + ("*" if (e, m) in errs else ""))
    t, lo = val("tug", m), val("loopback", m)
    ratio = f"{t / lo:.2f}" if t is not None and lo else ""
    v = ok(t, lo) if ok and t is not None and (lo or target.startswith("≤")) else None
    shown = "" if v is None else verdict(v)
    if v is False and target.startswith("≤") and lo is not None and not ok(lo, lo):
        shown += " (loopback too)"  # an absolute target the host itself misses here
    rows.append([label, *cells, ratio, target or "", shown])
    if target and v is not None:
        unit = label.rsplit(", ", 1)[1]  # "Gbit/s", "req/s" or "p99 ms"
        got = f"p99 {fmt.format(t * scale)} ms" if unit == "p99 ms" else f"{fmt.format(t * scale)} {unit}"
        judged.append((f"{label.rsplit(', ', 1)[0]} {target}",
                       f"{got} vs loopback {fmt.format(lo * scale)} (×{t / lo:.2f})" if lo else got, shown))
    elif target:
        judged.append((f"{label.rsplit(', ', 1)[0]} {target}", "not measured", None))

thr = lambda t, lo: t >= 0.8 * lo
rate = lambda t, lo: t >= 0.7 * lo
p99 = lambda t, lo: t <= 10_000
add("iperf3 host → container, Gbit/s", "up", "{:.2f}", 1, "≥ 0.80 × loopback", thr)
add("iperf3 container → host (-R), Gbit/s", "down", "{:.2f}", 1, "≥ 0.80 × loopback", thr)
for f, fl in (("small", "128 B"), ("big", "1 MiB")):
    for c, cl in (("c1", "1 conn"), ("c16", "16 conn")):
        m = f"{f}.{c}"
        add(f"wrk {fl}, {cl}, req/s", m + ".rps", "{:.0f}", 1, "≥ 0.70 × loopback", rate)
        add(f"wrk {fl}, {cl}, p99 ms", m + ".p99", "{:.2f}", 1e-3, "≤ 10 ms", p99)

# Networking memory per container: the sum over the processes that carry its ports.
def per_container(e, i):
    return [sum(p[i] for p in procs) for procs in mem.get(e, {}).values()]

for i, field in ((2, "VmRSS"), (5, "Pss")):
    cells = []
    for e in cols:
        v = per_container(e, i)
        cells.append(f"{max(v)}" if v else "-")
    t = per_container("tug", i)
    judge = field == "VmRSS"
    ok = max(t) <= 1024 if t else None
    rows.append([f"networking {field} per container (max), KiB", *cells, "", "≤ 1024 KiB" if judge else "",
                 verdict(ok) if judge and ok is not None else ""])
    if judge:
        judged.append(("tug-ports VmRSS per container ≤ 1024 KiB",
                       f"max {max(t)} KiB (Pss max {max(per_container('tug', 5))} KiB)" if t else "not measured", ok))

w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
line = lambda r: "| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) + " |"
print(line(rows[0]))
print("| " + " | ".join("-" * (w[i] - 1) + (":" if i else "-") for i in range(len(w))) + " |")
for r in rows[1:]:
    print(line(r))
if errs:
    print("\n* with errors (socket errors or non-2xx answers): " +
          ", ".join(f"{e} {m.rsplit('.', 1)[0]}: {n}" for (e, m), n in sorted(errs.items())))

print("\nnetworking processes after the runs (KiB: VmRSS RssAnon RssFile Pss):")
for e in cols:
    for c, procs in sorted(mem.get(e, {}).items()):
        print(f"  {e:19} {c:28} " + "; ".join(f"{r} (pid {p}) {a} {b} {f} {s}" for r, p, a, b, f, s in procs))

idle = [l.split() for l in open(sys.argv[3])]
if idle:
    print("  tug before the first connection (1 s after run -d): " +
          "; ".join(f"{c} tug-ports (pid {p}) {a} {b} {f} {s}" for _, c, _, p, a, b, f, s in idle))

print("\ntargets (issue 5), judged on tug:")
for what, got, ok in judged:
    print(f"  {what}:".ljust(50) + f"{got}  " + ("n/a" if ok is None else ok if isinstance(ok, str) else verdict(ok)))
PY
  if ((${#skipped[@]})); then
    say ""
    printf '%s\n' "${skipped[@]}"
  fi
} | tee "$report"

if [[ -n ${BENCH_OUT:-} ]]; then
  mkdir -p "$BENCH_OUT"
  cp -r "$work/results.tsv" "$work/mem.tsv" "$work/mem-idle.tsv" "$work/log" "$report" "$BENCH_OUT"/
  say "results kept in $BENCH_OUT"
fi
say "[${SECONDS}s] stopping the servers and removing the stores"
