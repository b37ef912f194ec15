#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian or Ubuntu machine:
# Debian's redis-server (the tests and the demo start private instances of it;
# nothing is configured or started system-wide by this script).
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: missing ${need[*]}; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "setup: installing ${need[*]} from Debian's packages"
# policy-rc.d exit 101 keeps the package from starting a system-wide server.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || { echo "setup: redis-server still missing after install" >&2; exit 1; }
echo "setup: done"
