#!/bin/bash
# Lifecycle (issue 4): `tug run -d` start-to-ID latency against tug's own `run --rm IMG true`,
# `tug ps -a` with 500 created containers, and the memory of each detached container's monitor,
# all beside rootless podman (--network none, conmon) when it is installed; prints a table.
#
# Usage: bench/lifecycle.sh      (as root: everything runs as BENCH_USER; as a user: that user)
#   TUG=PATH        tug binary (default <repo>/build/tug, else it builds <repo>/build-bench with make)
#   RUNS=20         timed runs per command        WARMUP=3   untimed runs before them
#   COUNT=500       created containers listed by `ps -a`
#   LIVE=20         running containers whose monitor (tug) or conmon (podman) memory is read
#   BUDGET=120      seconds podman may take to create COUNT containers; beyond, its `ps -a` is skipped
#   BENCH_USER      unprivileged user with /etc/subuid ranges (default tugtest; only used as root)
#   BENCH_OUT=DIR   keep hyperfine's JSON exports, the memory figures and the report there
#
# Every store (tug's --root/--runroot, podman's --root/--runroot, XDG_RUNTIME_DIR) lies in one
# fresh mktemp dir, deleted on exit with every container in it. The timed commands are strings
# that hyperfine -N splits on spaces; the shell loops and checks split them the same way
# (unquoted) on purpose: every path in them lies under that mktemp dir in /tmp.
# shellcheck disable=SC2086,SC2016
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-20}
warmup=${WARMUP:-3}
count=${COUNT:-500}
live=${LIVE:-20}
budget=${BUDGET:-120}

say() { printf '%s\n' "$*"; }
die() {
  printf 'lifecycle: %s\n' "$*" >&2
  exit 1
}

for tool in hyperfine python3 ps; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install hyperfine python3 procps)"
done

# --- tug binary ---------------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_find_tug

# --- who runs the containers ----------------------------------------------------------------------
bench_select_user

# --- cgroups (see bench/lib.sh); tug needs no such help -------------------------------------------
bench_cgroup_fix "podman"

# --- scratch space and cleanup ------------------------------------------------------------------------
# Short names: podman's runroot path must stay under ~50 characters.
work=$(mktemp -d /tmp/tug-bench-lc.XXXXXX)
chmod 755 "$work"
[[ $(id -u) -eq 0 ]] && chown "$user:" "$work"
tug_bin=$work/bin/tug
tug_a="$tug_bin --root $work/ta --runroot $work/ta-run" # run -d, run --rm, monitors
tug_b="$tug_bin --root $work/tb --runroot $work/tb-run" # COUNT created containers for ps -a
pod_a="podman --root $work/pa --runroot $work/pa-run"
pod_b="podman --root $work/pb --runroot $work/pb-run"
tug_env=("${as_user_cmd[@]}" env "XDG_RUNTIME_DIR=$work/xdg")
pdir="" podman_env=() have_podman=""

# tug_sh SCRIPT ARGS...: a bash script as the user, with tug's environment ($1.. = ARGS).
tug_sh() { "${tug_env[@]}" bash -c "$1" lifecycle "${@:2}"; }
# pod_sh SCRIPT ARGS...: the same with podman's environment, inside the cgroup fix.
pod_sh() { "${cgroup_fix[@]}" "${podman_env[@]}" bash -c "$1" lifecycle "${@:2}"; }

# Removes every container of a tug store (ARG 1: the tug command with its store options).
rm_all_tug='ids=$($1 ps -aq) || exit 1; [[ -z $ids ]] || $1 rm -f $ids >/dev/null'

cleanup() {
  set +e
  [[ -d $work/ta ]] && tug_sh "$rm_all_tug" "$tug_a" 2>/dev/null
  [[ -d $work/tb ]] && tug_sh "$rm_all_tug" "$tug_b" 2>/dev/null
  # A monitor that `tug rm -f` missed: killed by the pid its state.json names, if that is our tug.
  for f in "$work"/t[ab]/containers/*/state.json; do
    [[ -f $f ]] || continue
    pid=$(grep -o '"MonitorPid":[0-9]*' "$f" | cut -d: -f2)
    [[ -n $pid && $pid -gt 0 && $(readlink "/proc/$pid/exe" 2>/dev/null) == "$tug_bin" ]] && kill -9 "$pid"
  done
  if [[ -n $have_podman ]]; then
    [[ -d $work/pa ]] && pod_sh '$1 rm -af -t 0 >/dev/null 2>&1' "$pod_a"
    [[ -d $work/pb ]] && pod_sh '$1 rm -af -t 0 >/dev/null 2>&1' "$pod_b"
    # Files of subordinate ids: as a normal user only a process mapping them can delete them.
    [[ $(id -u) -eq 0 ]] || pod_sh 'podman unshare rm -rf "$@"' "$work/ta" "$work/tb" "$work/pa" "$work/pb"
    [[ -s $work/pxdg/libpod/tmp/pause.pid ]] && kill "$(cat "$work/pxdg/libpod/tmp/pause.pid")" 2>/dev/null
  fi
  [[ -n $pdir ]] && rm -rf "$pdir"
  rm -rf "$work" 2>/dev/null || say "lifecycle: could not remove all of $work (files of subordinate ids)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_user mkdir -p "$work/json" "$work/bin" "$work/xdg"
chmod 700 "$work/xdg"
cp "$tug" "$tug_bin" # a snapshot: a rebuild during the bench must not change what is timed
chmod 755 "$tug_bin"
: >"$work/facts"
fact() { printf '%s=%s\n' "$1" "$2" >>"$work/facts"; }
skipped=()

# --- the image ------------------------------------------------------------------------------------
say "preparing the busybox image in $work"
as_user "$repo/tests/fixtures/busybox-rootfs.sh" "$work/rootfs.tar"
tug_sh '$1 import $3 busybox:bench >/dev/null && $2 import $3 busybox:bench >/dev/null' \
  "$tug_a" "$tug_b" "$work/rootfs.tar"

if command -v podman >/dev/null; then
  # Its own HOME and config files (rootless podman reads them from there), so nothing of the user's
  # own podman setup counts; cgroupfs and file events: there is no systemd session here.
  pdir=$(as_user mktemp -d "$home/.tug-bench-podman.XXXXXX")
  podman_env=("${as_user_cmd[@]}" env "HOME=$pdir" "XDG_CONFIG_HOME=$pdir/.config"
    "XDG_DATA_HOME=$pdir/.local/share" "XDG_RUNTIME_DIR=$work/pxdg")
  as_user mkdir -p "$pdir/.config/containers" "$work/pxdg"
  chmod 700 "$work/pxdg"
  printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' |
    as_user tee "$pdir/.config/containers/containers.conf" >/dev/null
  printf '[storage]\ndriver = "overlay"\n' | as_user tee "$pdir/.config/containers/storage.conf" >/dev/null
  have_podman=1
  if ! out=$(pod_sh '$1 import -q $3 localhost/busybox:bench && $2 import -q $3 localhost/busybox:bench' \
    "$pod_a" "$pod_b" "$work/rootfs.tar" 2>&1); then
    skipped+=("podman: skipped (import failed: $(printf '%s' "$out" | tail -n 1))")
    have_podman=""
  fi
  fact podman_version "$(podman --version | awk '{print $NF}')"
else
  skipped+=("podman: skipped (not installed)")
fi

read -r l1 l5 _ </proc/loadavg
load_before="$l1 $l5"

# measure NAME PREFIX... :: CMD: hyperfine -N (no shell) as the user; its JSON goes to json/NAME.json.
measure() {
  local name=$1
  shift
  local prefix=()
  while [[ $1 != :: ]]; do
    prefix+=("$1")
    shift
  done
  shift
  say "timing $name: $*"
  if ! "${prefix[@]}" hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
    --command-name "$name" --export-json "$work/json/$name.json" "$*" </dev/null >/dev/null; then
    rm -f "$work/json/$name.json"
    skipped+=("$name: failed during timing (see hyperfine's message above)")
  fi
}

# check_id NAME OUTPUT: `run -d` printed a full ID and nothing else.
check_id() {
  if [[ $2 =~ ^[0-9a-f]{64}$ ]]; then
    return 0
  fi
  skipped+=("$1: skipped (run -d printed '$(printf '%s' "$2" | tail -n 2 | paste -sd ' ')', not a 64-hex ID)")
  say "${skipped[-1]}"
  return 1
}

# --- 1. run -d start-to-ID, against run --rm true --------------------------------------------------------
# run -d first, while the store's disk has freed nothing yet (ext4 without a journal allocates
# slowly next to recently freed inodes); the WARMUP+RUNS containers stay up until the timing
# ends, then are all removed outside it.
run_d="$tug_a run -d busybox:bench sleep 1000"
if out=$(tug_sh '$1' "$run_d" 2>&1) && check_id tug-run-d "$out"; then
  measure tug-run-d "${tug_env[@]}" :: "$run_d"
fi
tug_sh "$rm_all_tug" "$tug_a"

if [[ -n $have_podman ]]; then
  pod_run_d="$pod_a run -d --network none localhost/busybox:bench sleep 1000"
  if out=$(pod_sh '$1' "$pod_run_d" 2>&1) && check_id podman-run-d "$out"; then
    measure podman-run-d "${cgroup_fix[@]}" "${podman_env[@]}" :: "$pod_run_d"
  fi
  pod_sh '$1 rm -af -t 0 >/dev/null' "$pod_a"
fi

run_rm="$tug_a run --rm busybox:bench true"
if out=$(tug_sh '$1' "$run_rm" 2>&1); then
  measure tug-run-rm "${tug_env[@]}" :: "$run_rm"
else
  skipped+=("tug-run-rm: skipped ($(printf '%s' "$out" | tail -n 1))")
fi

# --- 3. memory of the process that stays behind each running container ------------------------------
# One line per process: engine role pid VmRSS RssAnon RssFile Pss (KiB).
mem_line() {
  local engine=$1 role=$2 pid=$3
  [[ -r /proc/$pid/status ]] || return 0
  printf '%s %s %s %s %s %s %s\n' "$engine" "$role" "$pid" \
    "$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")" \
    "$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")" \
    "$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status")" \
    "$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")" >>"$work/mem.tsv"
}
: >"$work/mem.tsv"

say "starting $live tug containers (run -d ... sleep 1000)"
ids=$(tug_sh 'for ((i = 0; i < $2; i++)); do $1 run -d busybox:bench sleep 1000 || exit 1; done' "$tug_a" "$live")
sleep 1 # the monitors have reported "running"; let them reach their poll loop
for id in $ids; do
  state=$work/ta/containers/$id/state.json
  mon=$(grep -o '"MonitorPid":[0-9]*' "$state" 2>/dev/null | cut -d: -f2 || true)
  if [[ -z $mon || $mon -le 0 ]]; then
    # No MonitorPid in the state: the tug process under init whose command line names the store.
    mon=$(ps -eo pid=,ppid=,args= | awk -v s="--root $work/ta " '$2 == 1 && index($0, s) { print $1 }' |
      while read -r p; do grep -q "$id" "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -n 1)
    note_pid="monitor pids found in the process table (no MonitorPid in state.json)"
  fi
  if [[ -z $mon || $(readlink "/proc/$mon/exe" 2>/dev/null) != "$tug_bin" ]]; then
    skipped+=("tug monitor of ${id:0:12}: not found (MonitorPid '${mon:-}')")
    continue
  fi
  mem_line tug monitor "$mon"
  # Other tug processes the monitor keeps (the background janitor): a per-container cost too.
  for child in $(ps -o pid= --ppid "$mon"); do
    if [[ $(readlink "/proc/$child/exe" 2>/dev/null) == "$tug_bin" ]]; then mem_line tug helper "$child"; fi
  done
done
[[ -z ${note_pid:-} ]] || skipped+=("$note_pid")
tug_sh "$rm_all_tug" "$tug_a"

if [[ -n $have_podman ]]; then
  say "starting $live podman containers (run -d --network none ... sleep 1000)"
  pids=$(pod_sh 'for ((i = 0; i < $2; i++)); do $1 run -d --network none localhost/busybox:bench sleep 1000 \
    >/dev/null || exit 1; done; $1 inspect --format "{{.State.ConmonPid}}" $($1 ps -q)' "$pod_a" "$live")
  sleep 1
  for pid in $pids; do
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */conmon ]]; then mem_line podman monitor "$pid"; fi
  done
  pod_sh '$1 rm -af -t 0 >/dev/null' "$pod_a"
fi

# --- 2. ps -a with COUNT created containers, each engine in a store of its own ---------------------------
# create_loop CMD COUNT BUDGET IMAGE OPTIONS...: creates COUNT containers, or stops once the
# first 25 predict more than BUDGET seconds (or BUDGET has passed); prints "created seconds".
create_loop='
  start=$EPOCHREALTIME
  for ((i = 1; i <= $2; i++)); do
    $1 create "${@:5}" $4 true >/dev/null || exit 1
    el=$(awk -v a="$start" -v b="$EPOCHREALTIME" "BEGIN { print b - a }")
    if awk -v e="$el" -v i="$i" -v n="$2" -v b="$3" "BEGIN { exit !((i == 25 && e / i * n > b) || e > b) }"; then
      break
    fi
  done
  echo "$((i > $2 ? $2 : i)) $el"'
say "creating $count tug containers"
if out=$(tug_sh "$create_loop" "$tug_b" "$count" 100000 busybox:bench 2>&1); then
  read -r made secs <<<"$out"
  fact tug_create "$made $secs"
  n=$(tug_sh '$1 ps -a | wc -l' "$tug_b")
  if ((n != count + 1)); then
    skipped+=("tug ps -a: printed $n lines for $count created containers (expected $((count + 1)))")
    say "${skipped[-1]}"
  fi
  measure tug-ps-a "${tug_env[@]}" :: "$tug_b ps -a"
else
  skipped+=("tug ps -a: skipped (create failed: $(printf '%s' "$out" | tail -n 1))")
fi

if [[ -n $have_podman ]]; then
  say "creating $count podman containers (at most ${budget}s)"
  if out=$(pod_sh "$create_loop" "$pod_b" "$count" "$budget" localhost/busybox:bench --network none 2>&1); then
    read -r made secs <<<"$out"
    fact podman_create "$made $secs"
    if ((made == count)); then
      measure podman-ps-a "${cgroup_fix[@]}" "${podman_env[@]}" :: "$pod_b ps -a"
    else
      skipped+=("podman ps -a: skipped (creating $made containers took ${secs%.*} s: $count would take more than ${budget} s)")
      say "${skipped[-1]}"
    fi
  else
    skipped+=("podman ps -a: skipped (create failed: $(printf '%s' "$out" | tail -n 1))")
  fi
fi

read -r l1 l5 _ </proc/loadavg

# --- report ---------------------------------------------------------------------------------------
report=$work/report.txt
{
  say ""
  say "lifecycle, $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores, as $user"
  say "hyperfine -N --warmup $warmup --runs $runs; tug: $tug; podman: $(grep -s '^podman_version=' "$work/facts" | cut -d= -f2 || echo -)"
  say "podman: rootless, --network none, overlay, cgroupfs, its own --root/--runroot"
  [[ -n $cgroup_note ]] && say "note: $cgroup_note"
  say "load average before/after: $load_before / $l1 $l5"
  if awk -v l="$l1" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
    say "warning: load above the core count: other processes competed for the CPUs"
  fi
  say ""
  python3 - "$work/json" "$work/mem.tsv" "$work/facts" "$count" "$live" <<'PY'
import json, os, statistics as st, sys

jdir, memf, factf, count, live = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
facts = dict(l.rstrip("\n").split("=", 1) for l in open(factf) if "=" in l)
t = {}
for f in os.listdir(jdir):
    r = json.load(open(os.path.join(jdir, f)))["results"][0]
    t[f[:-5]] = {k: r[k] * 1000 for k in ("median", "mean", "min", "max")} | {"sd": (r.get("stddev") or 0) * 1000}
mem = {}  # (engine, role) -> list of (vmrss, anon, file, pss)
for line in open(memf):
    e, role, _pid, *v = line.split()
    mem.setdefault((e, role), []).append(tuple(int(x) for x in v))

verdict = lambda ok: "PASS" if ok else "FAIL"
ms = lambda name: t[name]["median"] if name in t else None
f1 = lambda x: "-" if x is None else f"{x:.1f}"
ratio = lambda p, q: f"{p / q:.2f}" if p is not None and q else ""
rows = [("metric", "tug", "podman", "podman ÷ tug", "target", "verdict")]

d, rm, pd = ms("tug-run-d"), ms("tug-run-rm"), ms("podman-run-d")
rows.append(("run -d IMG sleep 1000, start to ID, median ms", f1(d), f1(pd), ratio(pd, d),
             f"≤ 2 × run --rm = {2 * rm:.1f}" if rm else "≤ 2 × run --rm",
             verdict(d <= 2 * rm) if d and rm else "n/a"))
rows.append(("run --rm IMG true, median ms (reference)", f1(rm), "", "", "", ""))
rows.append(("run -d ÷ run --rm true", ratio(d, rm) or "-", "", "", "≤ 2", verdict(d <= 2 * rm) if d and rm else "n/a"))
p, pp = ms("tug-ps-a"), ms("podman-ps-a")
rows.append((f"ps -a, {count} created, median ms", f1(p), f1(pp), ratio(pp, p), "≤ 50 ms",
             verdict(p <= 50) if p is not None else "n/a"))

def stat(engine, role, i, fn):
    v = [x[i] for x in mem.get((engine, role), [])]
    return fn(v) if v else None

kib = lambda x: "-" if x is None else f"{x:.0f}"
for i, field in enumerate(("VmRSS", "RssAnon", "RssFile", "Pss")):
    for label, fn in (("median", st.median), ("max", max)):
        a, b = stat("tug", "monitor", i, fn), stat("podman", "monitor", i, fn)
        judged = field == "VmRSS"
        rows.append((f"monitor {field} {label}, KiB", kib(a), kib(b), ratio(b, a),
                     "≤ 1024 KiB" if judged else "", verdict(a <= 1024) if judged and a is not None else ""))
for i, field in ((0, "VmRSS"), (3, "Pss")):
    a = stat("tug", "helper", i, st.median)
    if a is not None:
        rows.append((f"tug helper (janitor) {field} median, KiB", kib(a), "", "", "", ""))
# All of tug's own processes per container against conmon alone.
if mem.get(("tug", "helper")):
    tot = stat("tug", "monitor", 3, sum) + stat("tug", "helper", 3, sum)
    n = len(mem[("tug", "monitor")])
    b = stat("podman", "monitor", 3, sum)
    nb = len(mem.get(("podman", "monitor"), [])) or 1
    rows.append(("Pss of tug's processes per container, KiB", kib(tot / n), kib(b / nb if b else None),
                 ratio(b / nb if b else None, tot / n), "", ""))

w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
line = lambda r: "| " + " | ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) + " |"
print(line(rows[0]))
print("| " + " | ".join("-" * (w[i] - 1) + (":" if i else "-") for i in range(len(w))) + " |")
for r in rows[1:]:
    print(line(r))

print()
print("timings (ms):   median    mean   ± sd     min     max")
for n in ("tug-run-d", "podman-run-d", "tug-run-rm", "tug-ps-a", "podman-ps-a"):
    if n in t:
        r = t[n]
        print(f"  {n:13} {r['median']:7.1f} {r['mean']:7.1f} {r['sd']:6.1f} {r['min']:7.1f} {r['max']:7.1f}")
print()
for e in ("tug", "podman"):
    n = len(mem.get((e, "monitor"), []))
    if n:
        what = "monitors" if e == "tug" else "conmon processes"
        print(f"{e}: {n} {what} read of {live} containers started"
              + (f", plus {len(mem.get((e, 'helper'), []))} helper tug processes (children of the monitors)"
                 if e == "tug" else ""))
for e in ("tug", "podman"):
    if f"{e}_create" in facts:
        made, secs = facts[f"{e}_create"].split()
        print(f"{e} create (not timed by hyperfine): {made} containers in {float(secs):.1f} s, "
              f"{float(secs) / int(made) * 1000:.1f} ms each")
PY
  if ((${#skipped[@]})); then
    say ""
    printf '%s\n' "${skipped[@]}"
  fi
} | tee "$report"

if [[ -n ${BENCH_OUT:-} ]]; then
  mkdir -p "$BENCH_OUT"
  cp "$work"/json/*.json "$work/mem.tsv" "$report" "$BENCH_OUT"/ 2>/dev/null || true
  say "results kept in $BENCH_OUT"
fi
say "removing the containers and stores"
