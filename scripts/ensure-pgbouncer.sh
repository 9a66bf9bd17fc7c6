#!/usr/bin/env bash
# The pooler tests start a real PgBouncer in front of the throwaway cluster
# (luna-db must refuse transaction and statement pooling). Install Debian's
# pgbouncer package when it is missing and we are root; its own service is
# stopped, the tests start their own. Otherwise say so: those tests skip, saying why.
set -euo pipefail
if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "pgbouncer not found: the pooler tests need the 'pgbouncer' package" >&2
  exit 0
fi
echo "installing PgBouncer (Debian) ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null; }; then
  echo "could not install PgBouncer: the pooler tests will skip" >&2
  exit 0
fi
if command -v service >/dev/null; then service pgbouncer stop >/dev/null 2>&1 || true; fi
