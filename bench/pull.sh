#!/bin/bash
# Pull: `tug pull` of the multi-layer Debian+nginx test image from a loopback registry into an empty
# store, against rootless podman, skopeo (transfer only), docker (when a daemon answers) and the
# naive `curl | gunzip | tar -x` per layer; prints medians, ratios, sizes and tug's CPU per 100 MB.
#
# Usage: bench/pull.sh      (as root: the pulls run as BENCH_USER; as a user: that user)
#   TUG=PATH        tug binary (default <repo>/build/tug, else it builds <repo>/build-bench with make)
#   RUNS=5          timed pulls per engine        WARMUP=1   untimed pulls before them
#   BENCH_USER      unprivileged user with /etc/subuid ranges (default tugtest; only used as root)
#   BENCH_OUT=DIR   keep the raw times and the report there (default: nothing kept)
#   SETTLE=360      seconds to wait after the previous run's deletion (0: do not wait); see README
#   TMPDIR          where the scratch dir goes (default /tmp)
#
# Rounds go engine by engine (tug, podman, skopeo, docker, naive, then again), each pull into its own
# directory made before any timing; nothing is deleted before the report is printed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-5}
warmup=${WARMUP:-1}
settle=${SETTLE:-360}
tmp=${TMPDIR:-/tmp}
stamp=$tmp/tug-bench-pull.deleted # when the last run finished deleting its trees

say() { printf '%s\n' "$*"; }
die() { printf 'pull: %s\n' "$*" >&2 && exit 1; }

for tool in python3 curl skopeo docker-registry gunzip tar; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install python3 curl skopeo docker-registry)"
done
/usr/bin/time --version 2>&1 | grep -q GNU || die "GNU time is required at /usr/bin/time (apt-get install time)"

# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_find_tug
# As root, runuser switches to the user outside /usr/bin/time: the switch is never timed.
bench_select_user

# ext4 without a journal skips inodes freed in the last 1-6 minutes when it allocates new ones, one
# by one: creating files right after a large delete costs several times more system time.
wait_s=$([[ -f $stamp ]] && echo $((settle - $(date +%s) + $(stat -c %Y "$stamp"))) || echo 0)
if ((wait_s > 0)); then
  say "waiting ${wait_s}s: the previous run deleted its trees less than ${settle}s ago (SETTLE=0 skips)"
  sleep "$wait_s"
fi

work=$(mktemp -d "$tmp/tug-bench-pull.XXXXXX")
chmod 755 "$work"
[[ $(id -u) -eq 0 ]] && chown "$user:" "$work"
pdir="" podman_env=() pulled=""
cleanup() {
  set +e
  [[ -f $work/registry/env ]] && "$repo/tests/fixtures/registry.sh" stop "$work/registry"
  # Stores unpacked rootless hold files of subordinate ids: root removes them, a user needs podman unshare.
  [[ $(id -u) -eq 0 || -z $pdir ]] || "${podman_env[@]}" podman unshare rm -rf "$work/r" 2>/dev/null
  # podman's pause process outlives it (and podman unshare above starts it again if needed).
  [[ -s $work/xdg/libpod/tmp/pause.pid ]] && kill "$(cat "$work/xdg/libpod/tmp/pause.pid")" 2>/dev/null
  [[ -n $pdir ]] && rm -rf "$pdir"
  rm -rf "$work" 2>/dev/null || say "pull: could not remove all of $work (files of subordinate ids)" >&2
  # World-writable, so that runs as root and as a user see each other's deletions.
  [[ -z $pulled ]] || { touch "$stamp" && chmod a+w "$stamp"; } 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_user mkdir -p "$work/bin" "$work/r" "$work/log"
cp "$tug" "$work/bin/tug" # a snapshot: a rebuild during the bench must not change what is timed
chmod 755 "$work/bin/tug"

# --- the image in a loopback registry (the integration tests' fixtures) ---------------------------
say "preparing the Debian+nginx image and a registry in $work"
mkdir -p "$work/images" "$work/registry"
"$repo/tests/fixtures/debian-image.sh" "$work/images" >/dev/null
"$repo/tests/fixtures/registry.sh" start http "$work/registry" >/dev/null
addr=$(sed -n 's/^REGISTRY_ADDR=//p' "$work/registry/env")
ref=$addr/bench/nginx:latest
skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false \
  "oci:$work/images/oci:nginx" "docker://$ref"
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$addr/v2/bench/nginx/manifests/latest" >"$work/manifest.json"

# The naive pipeline: one `curl | decompress | tar -x` per layer, in order, URLs from the manifest.
python3 - "$work/manifest.json" "http://$addr/v2/bench/nginx/blobs" >"$work/naive.sh" <<'PY'
import json, sys
man, base = json.load(open(sys.argv[1])), sys.argv[2]
print("set -eo pipefail")
for l in man["layers"]:
    mt = l["mediaType"]
    dec = "gunzip" if mt.endswith("gzip") else "zstd -dc" if mt.endswith("zstd") else "cat"
    print(f'curl -sfL {base}/{l["digest"]} | {dec} | tar -x -C "$1"')
PY
chmod 644 "$work/naive.sh"

# --- the engines ------------------------------------------------------------------------------------
engines=(tug)
skipped=()
if command -v podman >/dev/null; then
  # Its own HOME and config files under the user's home, so nothing of the user's podman setup counts.
  pdir=$(as_user mktemp -d "$home/.tug-bench-podman.XXXXXX")
  podman_env=("${as_user_cmd[@]}" env "HOME=$pdir" "XDG_CONFIG_HOME=$pdir/.config"
    "XDG_DATA_HOME=$pdir/.local/share" "XDG_RUNTIME_DIR=$work/xdg")
  as_user mkdir -p "$pdir/.config/containers" "$work/xdg"
  chmod 700 "$work/xdg"
  printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' |
    as_user tee "$pdir/.config/containers/containers.conf" >/dev/null
  printf '[storage]\ndriver = "overlay"\n' | as_user tee "$pdir/.config/containers/storage.conf" >/dev/null
  engines+=(podman)
else
  skipped+=("podman: skipped (not installed)")
fi
engines+=(skopeo)
if ! command -v docker >/dev/null; then
  skipped+=("docker: skipped (not installed)")
elif docker info >/dev/null 2>&1; then
  engines+=(docker)
else
  skipped+=("docker: skipped (docker info: no daemon answers)")
fi
engines+=(naive)

# pull_cmd ENGINE DIR: sets pre (who runs it: the user, with podman's env) and cmd (what is timed).
pull_cmd() {
  local d=$2
  pre=("${as_user_cmd[@]}")
  case $1 in
    tug) cmd=("$work/bin/tug" --root "$d/root" --runroot "$d/run" pull -q "$ref") ;;
    podman)
      pre=("${podman_env[@]}")
      cmd=(podman --root "$d/root" --runroot "$d/run" pull -q --tls-verify=false "$ref")
      ;;
    skopeo) cmd=(skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$ref" "oci:$d/oci:nginx") ;;
    docker) pre=() cmd=(docker pull -q "$ref") ;; # the daemon's own store: the image is removed after each
    naive) cmd=(bash "$work/naive.sh" "$d") ;;
  esac
}

# verify ENGINE DIR: the pull left the image where it should (a failed pull is never timed as one).
verify() {
  local d=$2
  case $1 in
    tug) as_user "$work/bin/tug" --root "$d/root" --runroot "$d/run" images | grep -q "^$addr/bench/nginx " ;;
    podman) [[ -n $("${podman_env[@]}" podman --root "$d/root" --runroot "$d/run" images -q "$ref") ]] ;;
    skopeo) grep -q '"org.opencontainers.image.ref.name":"nginx"' "$d/oci/index.json" ;;
    docker) docker image inspect "$ref" >/dev/null 2>&1 && docker rmi -f "$ref" >/dev/null ;;
    naive) [[ -x $d/usr/sbin/nginx ]] ;;
  esac
}

# Every directory exists before the first timed pull: only the pulls create files while timing.
total=$((warmup + runs))
dirs=()
for e in "${engines[@]}"; do
  for ((i = 1; i <= total; i++)); do dirs+=("$work/r/$e.$i"); done
done
as_user mkdir "${dirs[@]}"

read -r l1 l5 _ </proc/loadavg
load_before="$l1 $l5"
: >"$work/times.tsv"
declare -A failed=()
pulled=1
for ((i = 1; i <= total; i++)); do
  say "round $i of $total$( ((i <= warmup)) && echo ' (warm-up, not counted)')"
  for e in "${engines[@]}"; do
    [[ -z ${failed[$e]:-} ]] || continue
    d=$work/r/$e.$i
    pull_cmd "$e" "$d"
    sync # the previous pull's dirty pages are written out now, not during this one
    tf=$work/log/$e.$i.time
    # GNU time sees the whole process tree (every child is waited for): wall, user, system.
    if "${pre[@]}" /usr/bin/time -f '%e %U %S' -o "$tf" "${cmd[@]}" >"$work/log/$e.$i.log" 2>&1 </dev/null &&
      verify "$e" "$d"; then
      ((i <= warmup)) || printf '%s %d %s\n' "$e" "$i" "$(tail -n 1 "$tf")" >>"$work/times.tsv"
    else
      why=$(grep -v '^\s*$' "$work/log/$e.$i.log" | tail -n 2 | paste -sd ' ')
      skipped+=("$e: failed in round $i (${why:-the pull left no image}); not reported")
      say "${skipped[-1]}"
      sed -i "/^$e /d" "$work/times.tsv"
      failed[$e]=1
    fi
  done
done
read -r l1 l5 _ </proc/loadavg

# --- report ---------------------------------------------------------------------------------------
disk=() # du of the last run's directory, per engine
for e in tug podman skopeo naive; do
  [[ -d $work/r/$e.$total ]] && disk+=("$e=$(du -sk "$work/r/$e.$total" 2>/dev/null | cut -f1)")
done
report=$work/report.txt
{
  say ""
  say "pull, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores, as $user, $ref"
  say "runs: $runs (+$warmup warm-up), round-robin, sync before each pull; tug: $tug"
  say "load average before/after: $load_before / $l1 $l5"
  say ""
  python3 - "$work/times.tsv" "$work/manifest.json" "$work/images/oci/blobs/sha256" \
    "$work/r/naive.$total" "${disk[@]}" <<'PY'
import gzip, json, os, statistics as st, sys

times, man, blobs, tree = sys.argv[1:5]
disk = dict(a.split("=", 1) for a in sys.argv[5:])
res = {}
for line in open(times):
    e, _, wall, usr, sys_ = line.split()
    res.setdefault(e, []).append((float(wall), float(usr) + float(sys_)))
order = [e for e in ("tug", "podman", "skopeo", "docker", "naive") if e in res]
med = {e: st.median(w for w, _ in res[e]) for e in order}
cpu = {e: st.median(c for _, c in res[e]) for e in order}
tug, naive, pod = med.get("tug"), med.get("naive"), med.get("podman")
ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
rows = [("engine", "median s", "min s", "max s", "CPU s", "÷ tug", "÷ naive", "disk MB")]
for e in order:
    ws = [w for w, _ in res[e]]
    rows.append((e, f"{med[e]:.2f}", f"{min(ws):.2f}", f"{max(ws):.2f}", f"{cpu[e]:.2f}", ratio(med[e], tug),
                 ratio(med[e], naive), f"{int(disk[e]) / 1024:.0f}" if disk.get(e) else "-"))
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
line = lambda r: "| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) + " |"
print(line(rows[0]))
print("| " + " | ".join("-" * (w[i] - 1) + (":" if i else "-") for i in range(len(w))) + " |")
for r in rows[1:]:
    print(line(r))

layers = json.load(open(man))["layers"]
comp, raw = sum(l["size"] for l in layers), 0
for l in layers:
    p = os.path.join(blobs, l["digest"].split(":")[1])
    with (gzip.open(p) if l["mediaType"].endswith("gzip") else open(p, "rb")) as f:
        while b := f.read(1 << 20):
            raw += len(b)
files = sum(len(fs) + len(ds) for _, ds, fs in os.walk(tree))
kinds = ", ".join(sorted({l["mediaType"].rsplit(".", 1)[-1] for l in layers}))
print(f"\nimage: {len(layers)} layers ({kinds}), {comp / 1e6:.1f} MB compressed, {raw / 1e6:.1f} MB of tar, "
      f"{files} files and directories")
if tug:
    print(f"tug CPU (user+sys, median): {cpu['tug']:.2f} s = {cpu['tug'] / (comp / 1e8):.2f} s per 100 MB compressed")

verdict = lambda ok: "PASS" if ok else "FAIL"
print("\ntargets (issue 3):")
label = "  tug pull <= naive pipeline:".ljust(47)
print(label + (f"{tug:.2f} s vs {naive:.2f} s (tug ÷ naive = {tug / naive:.2f})  {verdict(tug <= naive)}"
               if tug and naive else "n/a (not measured)"))
for e in ("tug", "naive"):
    label = f"  {e} >= 1.5x faster than rootless podman:".ljust(47)
    print(label + (f"podman ÷ {e} = {pod:.2f} / {med[e]:.2f} = {pod / med[e]:.2f}x  {verdict(pod >= 1.5 * med[e])}"
                   if e in med and pod else "n/a (not measured)"))
PY
  if ((${#skipped[@]})); then
    say ""
    printf '%s\n' "${skipped[@]}"
  fi
} | tee "$report"

if [[ -n ${BENCH_OUT:-} ]]; then
  mkdir -p "$BENCH_OUT"
  cp "$work/times.tsv" "$work/manifest.json" "$report" "$BENCH_OUT"/
  say "results kept in $BENCH_OUT"
fi
say "deleting the pulled trees (ext4 then creates files slowly for a few minutes; the next run waits)"
