#!/bin/bash
# Build (issue 6): a 5-step Dockerfile (FROM busybox, two RUN, COPY, ENV, CMD) built cold
# (--no-cache, base image present) and fully cached, and a 3-stage build, by tug and by rootless
# `podman build` (buildah inside) in the same run; docker with BuildKit only where a daemon
# answers. Prints medians and the ratios the issue's targets speak of.
#
# Usage: bench/build.sh      (as root: everything runs as BENCH_USER; as a user: that user)
#   TUG=PATH      tug binary (default <repo>/build/tug, else it builds <repo>/build-bench)
#   RUNS=10       timed runs per case      WARMUP=2   untimed runs before them
#   BENCH_USER    unprivileged user with /etc/subuid ranges (default tugtest; only used as root)
# shellcheck disable=SC2016
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-10}
warmup=${WARMUP:-2}

say() { printf '%s\n' "$*"; }
die() {
  printf 'build bench: %s\n' "$*" >&2
  exit 1
}
command -v hyperfine >/dev/null || die "hyperfine is required (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 is required"

# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
bench_find_tug
bench_select_user
bench_cgroup_fix "podman"

work=$(mktemp -d /tmp/tug-bench-build.XXXXXX)
chmod 755 "$work"
[[ $(id -u) -eq 0 ]] && chown "$user:" "$work"
cleanup() {
  set +e
  as_user rm -rf "$work/tug" 2>/dev/null
  [[ -d $work/pod ]] && "${cgroup_fix[@]}" "${as_user_cmd[@]}" env XDG_RUNTIME_DIR="$work/xdg" \
    podman --root "$work/pod" --runroot "$work/pod-run" system reset -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

as_user mkdir -p "$work/bin" "$work/xdg" "$work/five" "$work/three"
as_user chmod 700 "$work/xdg"
as_user cp "$tug" "$work/bin/tug"
busybox_tar=$work/busybox.tar
as_user bash "$repo/tests/fixtures/busybox-rootfs.sh" "$busybox_tar" >/dev/null 2>&1 || true
[[ -f $busybox_tar ]] || die "could not build the busybox rootfs (tests/fixtures/busybox-rootfs.sh)"

as_user bash -c "cd '$work/five' && echo payload > data.txt && cat > Dockerfile" <<'EOF'
FROM busybox:bench
RUN echo one > /one
RUN echo two > /two
COPY data.txt /data.txt
ENV MODE=bench
CMD ["cat", "/data.txt"]
EOF
as_user bash -c "cd '$work/three' && cat > Dockerfile" <<'EOF'
FROM busybox:bench AS a
RUN echo a > /a
FROM busybox:bench AS b
RUN echo b > /b
FROM busybox:bench
COPY --from=a /a /a
COPY --from=b /b /b
CMD ["cat", "/a", "/b"]
EOF

tug_cmd="env XDG_RUNTIME_DIR=$work/xdg $work/bin/tug --root $work/tug --runroot $work/tug-run"
as_user $tug_cmd import "$busybox_tar" busybox:bench >/dev/null

cases=()
results=()
measure() { # NAME COMMAND (run as the user, through bash)
  local name=$1 cmd=$2 out=$work/$1.json
  "${cgroup_fix[@]}" "${as_user_cmd[@]}" hyperfine -N --style none --runs "$runs" --warmup "$warmup" \
    --export-json "$out" "bash -c '$cmd'" >/dev/null 2>&1 || {
    say "  $name: failed ($cmd)"
    return 0
  }
  cases+=("$name")
  results+=("$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$out")")
}

say "tug: $tug"
measure tug-cold "$tug_cmd build -q --no-cache -t five $work/five"
$tug_cmd build -q -t five "$work/five" >/dev/null 2>&1 || as_user $tug_cmd build -q -t five "$work/five" >/dev/null
measure tug-cached "$tug_cmd build -q -t five $work/five"
measure tug-3stage-cold "$tug_cmd build -q --no-cache -t three $work/three"

have_podman=""
if command -v podman >/dev/null; then
  pod_cmd="env XDG_RUNTIME_DIR=$work/xdg podman --root $work/pod --runroot $work/pod-run"
  if "${cgroup_fix[@]}" "${as_user_cmd[@]}" $pod_cmd import "$busybox_tar" busybox:bench >/dev/null 2>&1; then
    have_podman=1
    measure podman-cold "$pod_cmd build -q --no-cache --network none -t five $work/five"
    "${cgroup_fix[@]}" "${as_user_cmd[@]}" $pod_cmd build -q --network none -t five "$work/five" >/dev/null 2>&1 || true
    measure podman-cached "$pod_cmd build -q --network none -t five $work/five"
    measure podman-3stage-cold "$pod_cmd build -q --no-cache --network none -t three $work/three"
  else
    say "podman: cannot import the base image here; skipped"
  fi
else
  say "podman: not installed; skipped"
fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  say "docker: a daemon answers, but this script does not drive it yet"
else
  say "docker: no daemon running; BuildKit figures from the issue (537 ms cold, 81 ms cached) are the reference"
fi

say ""
printf '%-22s %10s\n' case "median ms"
for i in "${!cases[@]}"; do printf '%-22s %10s\n' "${cases[$i]}" "${results[$i]}"; done
python3 - "${cases[@]}" -- "${results[@]}" <<'EOF'
import sys
args = sys.argv[1:]
sep = args.index("--")
r = dict(zip(args[:sep], map(float, args[sep + 1:])))
print()
if "tug-cold" in r:
    print("tug cold / BuildKit cold (537 ms, issue): %.2f  (target <= 0.5)" % (r["tug-cold"] / 537))
if "tug-cached" in r:
    print("tug fully cached: %.1f ms  (target <= 30 ms)" % r["tug-cached"])
for case in ("cold", "cached", "3stage-cold"):
    if "tug-" + case in r and "podman-" + case in r:
        print("podman / tug, %s: %.1f" % (case, r["podman-" + case] / r["tug-" + case]))
EOF
