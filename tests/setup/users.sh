#!/usr/bin/env bash
# Prepares this machine for the integration tests (idempotent, needs root): the users they run
# as, and device permissions that distributions ship but this machine's image does not.
#
#   tugtest   unprivileged, with a 65536-wide range in /etc/subuid and /etc/subgid
#   tugnosub  unprivileged, with no subordinate ranges at all (tug must fall back to one mapping)
#   /dev/net/tun and /dev/fuse mode 0666, as on Debian/Fedora desktops, for slirp and fuse-overlayfs.
set -euo pipefail

if ((EUID != 0)); then
  echo "users.sh: must run as root" >&2
  exit 1
fi

readonly kWidth=65536
readonly kFirst=100000 # SUB_UID_MIN in Debian's login.defs

ensure_user() {
  local name=$1 home
  if ! id -u "$name" >/dev/null 2>&1; then
    # No automatic subordinate ranges: useradd would otherwise add them from login.defs;
    # tugtest gets its range below, where we make sure it overlaps nothing.
    useradd --create-home --shell /bin/bash --comment "tug integration tests" \
      -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$name"
  fi
  home=$(getent passwd "$name" | cut -d: -f6)
  if [[ ! -d $home ]]; then
    mkdir -p "$home"
    chown "$name:$(id -gn "$name")" "$home"
    chmod 750 "$home"
  fi
}

# Removes every entry of the user (by name or by uid) from a subordinate-id file.
drop_ranges() {
  local file=$1 name=$2 uid
  uid=$(id -u "$name")
  [[ -f $file ]] || return 0
  awk -F: -v n="$name" -v u="$uid" '$1 != n && $1 != u' "$file" >"$file.tmp"
  if cmp -s "$file" "$file.tmp"; then
    rm -f "$file.tmp"
    return 0
  fi
  chmod 644 "$file.tmp"
  mv "$file.tmp" "$file"
}

# True if the user already owns one range at least kWidth wide that overlaps no other entry.
has_clean_range() {
  local file=$1 name=$2 uid
  uid=$(id -u "$name")
  awk -F: -v n="$name" -v u="$uid" -v w="$kWidth" '
    NF >= 3 { start[NR] = $2; end[NR] = $2 + $3; mine[NR] = ($1 == n || $1 == u) }
    END {
      found = 0
      for (i in start) {
        if (!mine[i]) continue
        if (end[i] - start[i] < w) exit 1
        for (j in start)
          if (j != i && start[j] < end[i] && start[i] < end[j]) exit 1
        found = 1
      }
      exit !found
    }' "$file"
}

# Gives the user one kWidth range starting past every range in both files, so the same
# numbers serve as uids and gids and nothing overlaps.
ensure_range() {
  local name=$1 start
  touch /etc/subuid /etc/subgid
  chmod 644 /etc/subuid /etc/subgid
  if has_clean_range /etc/subuid "$name" && has_clean_range /etc/subgid "$name"; then
    return 0
  fi
  drop_ranges /etc/subuid "$name"
  drop_ranges /etc/subgid "$name"
  start=$(awk -F: -v s="$kFirst" 'NF >= 3 && $2 + $3 > s { s = $2 + $3 } END { print s }' \
    /etc/subuid /etc/subgid)
  echo "$name:$start:$kWidth" >>/etc/subuid
  echo "$name:$start:$kWidth" >>/etc/subgid
  echo "users.sh: $name gets subordinate ids $start-$((start + kWidth - 1))" >&2
}

ensure_device() {
  local path=$1 major=$2 minor=$3
  if [[ ! -e $path ]]; then
    mkdir -p "$(dirname "$path")"
    mknod "$path" c "$major" "$minor"
  fi
  chmod 0666 "$path"
}

ensure_user tugtest
ensure_user tugnosub
drop_ranges /etc/subuid tugnosub
drop_ranges /etc/subgid tugnosub
ensure_range tugtest
ensure_device /dev/net/tun 10 200
ensure_device /dev/fuse 10 229
