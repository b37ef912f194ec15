#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian or Ubuntu machine,
# from Debian's packages: the servers the tests start private instances of,
# and the tools they check against. Nothing is configured or started
# system-wide by this script.
set -euo pipefail

# command:package pairs.
required=(
  redis-server:redis-server
  openssl:openssl
  nats-server:nats-server
  rabbitmq-server:rabbitmq-server
)

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/bin/$1" ] || [ -x "/usr/sbin/$1" ]; }

need=()
for pair in "${required[@]}"; do
  have "${pair%%:*}" || need+=("${pair##*:}")
done

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
# The tests and the demo start private servers; keep the packages from
# starting system-wide ones: invoke-rc.d and deb-systemd-invoke skip a service
# when /usr/sbin/policy-rc.d exits 101. Only a policy file this script wrote
# is removed again.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for pair in "${required[@]}"; do
  have "${pair%%:*}" || { echo "setup: ${pair%%:*} still missing after installing ${pair##*:}" >&2; exit 1; }
done
echo "setup: done"
