#!/usr/bin/env bash
# Runs govulncheck over the module's call paths.
#
#   scripts/vuln.sh GOVULNCHECK_MODULE [DB]
#
# DB is govulncheck's -db (default https://vuln.go.dev; a file:// mirror
# works offline). A vulnerability found fails. When the database cannot be
# reached at all, the check cannot run: it says so loudly and exits 0, or 1
# when VULN_REQUIRED=1 (set it wherever the database is known to be
# reachable, so that an outage cannot pass unnoticed).
set -euo pipefail

tool=${1:?usage: scripts/vuln.sh GOVULNCHECK_MODULE [DB]}
db=${2:-https://vuln.go.dev}
go=${GO:-go}

reachable() {
  case "$db" in
    file://*) [ -f "${db#file://}/index/db.json" ] ;;
    *) curl -fsS -m 15 -o /dev/null "$db/index/db.json" 2>/dev/null ;;
  esac
}

if ! reachable; then
  echo "vuln: NOT CHECKED: the vulnerability database $db cannot be reached." >&2
  echo "vuln: point VULNDB at a reachable mirror (https:// or file://) to run govulncheck." >&2
  [ "${VULN_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
fi

exec "$go" run "$tool" -db "$db" ./...
