#!/bin/bash
# Start latency: `tug run --rm IMG true` against podman, crun, bwrap and unshare+chroot (and docker
# when a daemon answers), all on one busybox rootfs, timed with hyperfine; prints medians and ratios.
#
# Usage: bench/start_latency.sh      (as root: the rootless runs use BENCH_USER; as a user: that user)
#   TUG=PATH        tug binary (default <repo>/build/tug, else it
#                   builds <repo>/build-bench with make)
#   RUNS=50         timed runs per command        WARMUP=5   untimed runs before them
#   BENCH_USER      unprivileged user with /etc/subuid ranges (default tugtest; only used as root)
#   BENCH_OUT=DIR   keep hyperfine's JSON exports and the table there (default: nothing kept)
#
# Everything is written into fresh temp dirs (the tug store, the rootfs, the crun bundle, podman's
# storage under the user's home) and deleted on exit, so each run starts from the same state.
# The timed commands are strings that hyperfine -N splits on spaces; the one check run before each
# splits them the same way (unquoted) on purpose. Every path in them lies under a mktemp dir in /tmp.
# shellcheck disable=SC2086
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-50}
warmup=${WARMUP:-5}

say() { printf '%s\n' "$*"; }
die() {
  printf 'start_latency: %s\n' "$*" >&2
  exit 1
}

for tool in hyperfine python3 strip; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install hyperfine python3 binutils)"
done

# --- tug binary ---------------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_find_tug

# --- who runs the containers ----------------------------------------------------------------------
bench_select_user
grep -q "^$user:" /etc/subuid 2>/dev/null || say "note: $user has no /etc/subuid range; podman will fail"

# --- cgroups ---------------------------------------------------------------------------------------
bench_cgroup_fix "crun and podman"

# --- scratch space --------------------------------------------------------------------------------
work=$(mktemp -d /tmp/tug-bench.XXXXXX)
chmod 755 "$work"
[[ $(id -u) -eq 0 ]] && chown "$user:" "$work"
pdir=""          # podman's HOME, under the user's real home
pause_pid_file="" # podman's rootless pause process, which outlives podman

cleanup() {
  set +e
  # Layers unpacked by tug and podman belong to subordinate ids: as a normal user only a process in
  # a namespace mapping them (podman unshare) can remove them; root just removes them.
  if [[ $(id -u) -ne 0 && -n $pdir && -d $pdir ]]; then
    "${podman_env[@]}" podman unshare rm -rf "$work/tug-root" "$work/tug-run" "$pdir" 2>/dev/null
  fi
  if [[ -n $pause_pid_file && -s $pause_pid_file ]]; then
    kill "$(cat "$pause_pid_file")" 2>/dev/null
  fi
  [[ -n $pdir ]] && rm -rf "$pdir"
  rm -rf "$work" 2>/dev/null || say "start_latency: could not remove all of $work (files of subordinate ids)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_user mkdir -p "$work/json" "$work/bin"
cp "$tug" "$work/bin/tug" # a snapshot: a rebuild during the bench must not change what is timed
chmod 755 "$work/bin/tug"
tug_bin=$work/bin/tug

# --- the rootfs ---------------------------------------------------------------------------------
say "preparing the busybox rootfs in $work"
as_user "$repo/tests/fixtures/busybox-rootfs.sh" "$work/rootfs.tar"
as_user mkdir "$work/rootfs"
as_user tar -C "$work/rootfs" -xf "$work/rootfs.tar"
rootfs=$work/rootfs

# --- benchmark plumbing -----------------------------------------------------------------------------
names=() # measured, in table order
skipped=()

# check NAME CMD...: runs CMD once (CMD starts with its as_user or env prefix); on failure says why.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1 </dev/null); then
    return 0
  fi
  out=$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -n 2 | paste -sd ' ')
  skipped+=("$name: skipped (${out:-exit status non-zero})")
  say "$name: skipped (${out:-exit status non-zero})"
  return 1
}

# measure NAME SHELL PREFIX... :: CMD: hyperfine as the user. SHELL is "none" (exec directly) or
# "sh" for commands that need one; hyperfine subtracts the shell's own start-up time then.
measure() {
  local name=$1 shell=$2
  shift 2
  local prefix=()
  while [[ $1 != :: ]]; do
    prefix+=("$1")
    shift
  done
  shift
  local cmd=$*
  local shell_opt=(-N)
  [[ $shell == sh ]] && shell_opt=(--shell=sh)
  say "timing $name: $cmd"
  if "${prefix[@]}" hyperfine "${shell_opt[@]}" --style none --warmup "$warmup" --runs "$runs" \
    --command-name "$name" --export-json "$work/json/$name.json.tmp" "$cmd" </dev/null; then
    mv "$work/json/$name.json.tmp" "$work/json/$name.json"
    names+=("$name")
  else
    skipped+=("$name: failed during timing (see hyperfine's message above)")
  fi
}

read -r l1 l5 _ </proc/loadavg
load_before="$l1 $l5"

# --- tug ----------------------------------------------------------------------------------------
tug_env=(env "TUG_ROOT=$work/tug-root")
tug_cmd="$tug_bin --runroot $work/tug-run run --rm bench-busybox true"
if check tug as_user "${tug_env[@]}" "$tug_bin" --runroot "$work/tug-run" import "$work/rootfs.tar" bench-busybox &&
  check tug as_user "${tug_env[@]}" $tug_cmd; then
  measure tug none as_user "${tug_env[@]}" :: "$tug_cmd"
fi

# --- podman (rootless) ----------------------------------------------------------------------------
# Its own HOME under the user's home (rootless storage must live there), config files included, so
# nothing of the user's own podman setup is read or changed. cgroupfs and file events: there is no
# systemd session here.
podman_env=()
if command -v podman >/dev/null; then
  pdir=$(as_user mktemp -d "$home/.tug-bench-podman.XXXXXX")
  podman_env=("${as_user_cmd[@]}" env "HOME=$pdir" "XDG_CONFIG_HOME=$pdir/.config"
    "XDG_DATA_HOME=$pdir/.local/share" "XDG_RUNTIME_DIR=$work/podman-xdg")
  as_user mkdir -p "$pdir/.config/containers" "$work/podman-xdg"
  chmod 700 "$work/podman-xdg"
  pause_pid_file=$work/podman-xdg/libpod/tmp/pause.pid
  as_user tee "$pdir/.config/containers/containers.conf" >/dev/null <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  as_user tee "$pdir/.config/containers/storage.conf" >/dev/null <<EOF
[storage]
driver = "overlay"
EOF
  # The pause process keeps podman's user and mount namespaces: create it inside cgroup_fix too.
  if check podman "${cgroup_fix[@]}" "${podman_env[@]}" podman import -q "$rootfs.tar" localhost/bench-busybox; then
    for net in default none; do
      name=podman
      opt=""
      if [[ $net == none ]]; then
        name=podman-net-none
        opt="--network=none "
      fi
      cmd="podman run --rm ${opt}localhost/bench-busybox true"
      if check "$name" "${cgroup_fix[@]}" "${podman_env[@]}" $cmd; then
        measure "$name" none "${cgroup_fix[@]}" "${podman_env[@]}" :: "$cmd"
      fi
    done
  fi
else
  skipped+=("podman: skipped (not installed)")
fi

# --- crun on an OCI bundle ----------------------------------------------------------------------
if command -v crun >/dev/null; then
  as_user mkdir "$work/bundle" "$work/crun-state"
  (cd "$work/bundle" && as_user crun spec --rootless)
  as_user python3 - "$work/bundle/config.json" "$rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
spec["process"]["args"] = ["true"]
spec["process"]["terminal"] = False
spec["root"]["path"] = rootfs
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY
  # A fresh container id per run ($$ of the shell hyperfine starts), as a real user of crun would.
  crun_cmd="crun --root $work/crun-state run --bundle $work/bundle tug-bench-\$\$"
  if check crun "${cgroup_fix[@]}" "${as_user_cmd[@]}" sh -c "$crun_cmd"; then
    measure crun sh "${cgroup_fix[@]}" "${as_user_cmd[@]}" :: "$crun_cmd"
  fi
else
  skipped+=("crun: skipped (not installed)")
fi

# --- bwrap and the unshare+chroot floor --------------------------------------------------------------
if command -v bwrap >/dev/null; then
  bwrap_cmd="bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev true"
  if check bwrap as_user $bwrap_cmd; then
    measure bwrap none as_user :: "$bwrap_cmd"
  fi
else
  skipped+=("bwrap: skipped (not installed)")
fi

floor_cmd="unshare -Urpfm --mount-proc=$rootfs/proc chroot $rootfs true"
if check unshare+chroot as_user $floor_cmd; then
  measure unshare+chroot none as_user :: "$floor_cmd"
fi

# --- docker (rootful daemon, only when one answers) ------------------------------------------------
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  docker_img=tug-bench-busybox:$$
  if check docker docker import -q "$rootfs.tar" "$docker_img"; then
    measure docker none :: "docker run --rm $docker_img true"
    docker rmi -f "$docker_img" >/dev/null 2>&1 || true
  fi
else
  skipped+=("docker: skipped (no daemon)")
fi

# --- binary size --------------------------------------------------------------------------------
size=$(stat -c %s "$tug_bin")
strip -o "$work/tug.stripped" "$tug_bin"
stripped=$(stat -c %s "$work/tug.stripped")

# --- report -------------------------------------------------------------------------------------
report=$work/report.txt
{
  say ""
  say "start latency, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores, as $user (uid $uid)"
  say "hyperfine: --warmup $warmup --runs $runs; tug: $tug"
  [[ -n $cgroup_note ]] && say "note: $cgroup_note"
  # Other work on the machine inflates every figure (and the ratios less so): say how busy it was.
  read -r load1 load5 _ </proc/loadavg
  say "load average before/after timing: $load_before / $load1 $load5"
  if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
    say "warning: load above the core count: other processes competed for the CPUs"
  fi
  say ""
  python3 - "$work/json" "$size" "$stripped" "${names[@]}" <<'PY'
import json, os, sys

jdir, size, stripped, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
res = {}
for n in names:
    with open(os.path.join(jdir, n + ".json")) as f:
        r = json.load(f)["results"][0]
    res[n] = (r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000 if r.get("stddev") else 0.0)

bwrap = res.get("bwrap", (None,))[0]
tug = res.get("tug", (None,))[0]
rows = [("command", "median ms", "mean ms", "± ms", "× bwrap", "podman ÷ tug")]
for n in names:
    med, mean, sd = res[n]
    xb = f"{med / bwrap:.2f}" if bwrap else "-"
    pt = f"{med / tug:.1f}" if tug and n.startswith("podman") else ""
    rows.append((n, f"{med:.1f}", f"{mean:.1f}", f"{sd:.1f}", xb, pt))
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
line = lambda r: "| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) + " |"
print(line(rows[0]))
print("| " + " | ".join("-" * (w[i] - 1) + (":" if i else "-") for i in range(len(w))) + " |")
for r in rows[1:]:
    print(line(r))

def verdict(ok):
    return "PASS" if ok else "FAIL"

print()
print("targets (issue 2):")
if tug and bwrap:
    print(f"  tug <= 1.5x bwrap:".ljust(46) + f"{tug:.1f} ms vs {1.5 * bwrap:.1f} ms "
          f"({tug / bwrap:.2f}x)  {verdict(tug <= 1.5 * bwrap)}")
else:
    print("  tug <= 1.5x bwrap:".ljust(46) + "n/a (tug or bwrap not measured)")
for n, label in (("podman-net-none", "--network=none"), ("podman", "default network")):
    if tug and n in res:
        p = res[n][0]
        print(f"  >= 10x faster than podman, {label}:".ljust(46) +
              f"{p:.1f} / {tug:.1f} = {p / tug:.1f}x  {verdict(p >= 10 * tug)}")
    else:
        print(f"  >= 10x faster than podman, {label}:".ljust(46) + "n/a (not measured)")
mb = lambda b: f"{b / 1e6:.2f} MB"
print("  tug binary <= 12 MB stripped:".ljust(46) + f"{mb(stripped)} stripped, {mb(size)} as built  "
      f"{verdict(stripped <= 12_000_000)}")
PY
  if ((${#skipped[@]})); then
    say ""
    printf '%s\n' "${skipped[@]}"
  fi
} | tee "$report"

if [[ -n ${BENCH_OUT:-} ]]; then
  mkdir -p "$BENCH_OUT"
  cp "$work"/json/*.json "$report" "$BENCH_OUT"/ 2>/dev/null || true
  say "results kept in $BENCH_OUT"
fi
