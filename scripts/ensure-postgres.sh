#!/usr/bin/env bash
# The demo and the tests start a throwaway PostgreSQL from the local server
# binaries. A fresh machine may have only the client: install the server
# package (as root, from Debian's archive) when no initdb can be found.
set -euo pipefail
if [ -n "${LUNA_DB_TEST_PG_BIN:-}" ] && [ -x "$LUNA_DB_TEST_PG_BIN/initdb" ]; then exit 0; fi
if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then exit 0; fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ -n "${LUNA_DB_TEST_PG_DSN:-}" ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "no PostgreSQL server binaries found: install the 'postgresql' package or set PG_BIN" >&2
  exit 1
fi
echo "installing the PostgreSQL server package (Debian) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package's own cluster is not needed: the project starts its own.
if command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h 2>/dev/null | while read -r version name _; do
    pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
  done
fi
