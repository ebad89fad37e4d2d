#!/usr/bin/env bash
# Installs the Debian packages listed in third_party/apt-packages.txt that are missing.
# A fast no-op (one dpkg-query) when everything is installed; apt-get runs only otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/apt-packages.txt" | grep -v '^$')

# dpkg-query prints nothing (and complains on stderr) for packages it has never seen.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null |
  awk '$2 == "ii" { print $1 }' || true)
missing=()
for p in "${wanted[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ((EUID != 0)); then
  echo "ensure-apt: missing packages and not root: ${missing[*]}" >&2
  exit 1
fi
echo "ensure-apt: installing ${missing[*]}" >&2

# Packages such as docker-registry start a daemon from their postinst; the tests start
# their own, so keep apt from starting services (only when the machine has no policy yet).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap 'if ((own_policy)); then rm -f "$policy"; fi' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
