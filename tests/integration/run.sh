#!/bin/bash
# Runs the integration suite (bats) against the real binary as every kind of user tug serves:
# tugtest (subuid ranges), tugnosub (no ranges: single mapping), root, and tugtest again with
# TUG_OVERLAY=copy. Prints a summary; exits non-zero if any test or any configuration fails.
#
# Usage: tests/integration/run.sh [BATS FILES OR OPTIONS...]
# Env:   TUG              binary under test (default: <repo>/build/tug)
#        TUG_IT_CONFIGS   configurations to run (default: "tugtest tugnosub root tugtest-copy");
#                         as a non-root caller only "self" (the caller) is possible
#        TUG_IT_KEEP=1    keep the temp dirs (stores, logs) for inspection
#        TUG_IT_TIMEOUT   seconds per configuration (default 1200)
# Users come from tests/setup/users.sh.
#
# A test file may name the configurations it runs in with a header line "# configs: NAME...":
# the registry suites (registry_*.bats) and robustness.bats say "# configs: tugtest root", since
# what they test is the same for every kind of user and each costs minutes; ports.bats and
# archive.bats leave out the copy fallback (nothing they test touches the rootfs); files without
# the line run everywhere. This keeps `make test` within CI's 30 minutes.
# "self" (a non-root caller) runs every file.
#
# Fixtures built once, before the configurations, shared read-only in $TUG_TEST_FIXTURES:
#   busybox.tar   tests/fixtures/busybox-rootfs.sh
#   images/       tests/fixtures/debian-image.sh (Debian+nginx and busybox OCI images for the
#                 registry suites; only when a selected file loads registry_helpers). Its first
#                 build needs root and Debian's mirror (debootstrap, 1-3 min), then it is cached in
#                 /var/cache/tug-debootstrap.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
TUG=${TUG:-$repo/build/tug}
[[ $TUG == /* ]] || TUG=$PWD/$TUG
std_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
  echo "run.sh: $*" >&2
  exit 2
}

[ -x "$TUG" ] || die "no tug binary at $TUG (run 'make build' or set TUG)"
command -v bats >/dev/null || die "bats is not installed (apt-get install bats)"
command -v python3 >/dev/null || die "python3 is not installed"

if [ "$(id -u)" -eq 0 ]; then
  configs=${TUG_IT_CONFIGS:-tugtest tugnosub root tugtest-copy}
else
  configs=${TUG_IT_CONFIGS:-self}
fi

if [ $# -gt 0 ]; then
  # bats runs from each user's temp dir: make paths absolute (also accepts bare "info.bats").
  bats_args=()
  for a in "$@"; do
    if [ -e "$a" ]; then
      a=$(realpath "$a")
    elif [[ $a != -* ]] && [ -e "$here/$a" ]; then
      a=$here/$a
    fi
    bats_args+=("$a")
  done
else
  bats_args=("$here"/*.bats)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tug-it.XXXXXX") || die "cannot create a temp dir"
chmod 755 "$work"
cleanup() {
  if [ -n "${TUG_IT_KEEP:-}" ]; then
    echo "run.sh: kept $work"
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

# The test users may not be able to read the checkout (CI clones under /root): run a copy of
# the binary and of tests/ from the world-readable work dir.
mkdir -p "$work/repo"
cp -r "$repo/tests" "$work/repo/" || die "cannot copy tests/ to $work"
cp "$TUG" "$work/tug" || die "cannot copy $TUG to $work"
chmod -R a+rX "$work/repo" "$work/tug"
for i in "${!bats_args[@]}"; do
  case "${bats_args[$i]}" in
    "$here"/*) bats_args[$i]=$work/repo/tests/integration/${bats_args[$i]#"$here"/} ;;
  esac
done
tug_under_test=$TUG
TUG=$work/tug

# The busybox rootfs is built once and shared read-only by every configuration.
mkdir -p "$work/fixtures"
"$repo/tests/fixtures/busybox-rootfs.sh" "$work/fixtures/busybox.tar" || die "building the busybox rootfs failed"
# The registry images, when a selected file needs them. A failure is not fatal: those files then
# fail in their setup_file, saying why, and every other file still runs.
needs_images=0
for a in "${bats_args[@]}"; do
  if [ -d "$a" ]; then
    grep -lq 'load registry_helpers' "$a"/*.bats 2>/dev/null && needs_images=1
  elif [[ $a == *.bats ]] && grep -q 'load registry_helpers' "$a" 2>/dev/null; then
    needs_images=1
  fi
done
if [ "$needs_images" -eq 1 ]; then
  images_start=$SECONDS
  if BUSYBOX_TAR=$work/fixtures/busybox.tar "$repo/tests/fixtures/debian-image.sh" "$work/fixtures/images"; then
    echo "run.sh: registry test images ready in $((SECONDS - images_start)) s"
  else
    echo "run.sh: WARNING: building the registry test images failed: the registry suites will fail" >&2
  fi
fi
chmod -R a+rX "$work/fixtures"

declare -A result
failed_any=0

# files_for CONFIG: sets run_args to bats_args less the files whose "# configs:" line leaves
# CONFIG out; returns 1 when that leaves no test file at all.
files_for() {
  local config=$1 a want files=0
  run_args=()
  for a in "${bats_args[@]}"; do
    if [[ $a == *.bats ]] && [ "$config" != self ] && want=$(grep -m1 '^# configs:' "$a" 2>/dev/null); then
      [[ " ${want#\# configs:} " == *" $config "* ]] || continue
    fi
    [[ $a == *.bats || -d $a ]] && files=$((files + 1))
    run_args+=("$a")
  done
  [ "$files" -gt 0 ]
}

run_config() {
  local name=$1 user overlay=""
  case "$name" in
    self) user=$(id -un) ;;
    *-copy)
      user=${name%-copy}
      overlay=copy
      ;;
    *) user=$name ;;
  esac
  local log=$work/$name.tap
  echo
  echo "=== $name: as $user${overlay:+, TUG_OVERLAY=$overlay} ==="
  if ! files_for "$name"; then
    echo "run.sh: no selected test file runs in $name (see their '# configs:' lines)" | tee "$log"
    result[$name]="skipped: no selected test file runs in this configuration"
    return
  fi

  if ! id -u "$user" >/dev/null 2>&1; then
    echo "run.sh: user $user does not exist (tests/setup/users.sh creates it)" | tee "$log"
    result[$name]="NOT RUN: user $user missing"
    failed_any=1
    return
  fi
  local dir=$work/$name home
  mkdir -p "$dir/tmp"
  chown -R "$user:$(id -gn "$user")" "$dir"
  chmod 700 "$dir"
  home=$(getent passwd "$user" | cut -d: -f6)
  [ -d "$home" ] || home=$dir

  local cmd=(env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$std_path" LANG=C.UTF-8
    TMPDIR="$dir/tmp" TUG="$TUG" TUG_TEST_TMPDIR="$dir" TUG_TEST_FIXTURES="$work/fixtures")
  [ -z "$overlay" ] || cmd+=(TUG_OVERLAY="$overlay")
  cmd+=(bats --tap --timing "${run_args[@]}")
  if [ "$name" != self ] && [ "$user" != "$(id -un)" ]; then
    if ! runuser -u "$user" -- test -x "$TUG"; then
      echo "run.sh: $user cannot execute $TUG (check the permissions of its directories)" | tee "$log"
      result[$name]="NOT RUN: $TUG not executable by $user"
      failed_any=1
      return
    fi
    cmd=(runuser -u "$user" -- "${cmd[@]}")
  fi

  local started=$SECONDS
  (cd "$dir" && timeout -k 10 "${TUG_IT_TIMEOUT:-1200}" "${cmd[@]}" </dev/null 2>&1) | tee "$log"
  local rc=${PIPESTATUS[0]}
  local total pass fail
  total=$(grep -Eo '^1\.\.[0-9]+' "$log" | head -n1 | cut -d. -f3)
  pass=$(grep -c '^ok ' "$log")
  fail=$(grep -c '^not ok ' "$log")
  # A failed setup_file is one "not ok" for a whole file: count what did not pass.
  result[$name]="${total:-?} tests, $pass passed, $((${total:-0} - pass)) not passed, $((SECONDS - started)) s"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result[$name]+=" (TIMED OUT after ${TUG_IT_TIMEOUT:-1200}s)"
  fi
  if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ] || [ "$pass" != "${total:-x}" ]; then
    failed_any=1
    result[$name]+=" (bats exit $rc)"
  fi
}

for c in $configs; do
  run_config "$c"
done

echo
echo "=== integration summary (tug: $tug_under_test) ==="
for c in $configs; do
  printf '%-14s %s\n' "$c" "${result[$c]}"
  grep '^not ok ' "$work/$c.tap" 2>/dev/null | sed 's/^/                 /'
done
exit $failed_any
