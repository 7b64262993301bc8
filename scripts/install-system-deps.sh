#!/usr/bin/env bash
# Installs and starts what the test suite needs besides Python packages, from Debian's packages:
# a PostgreSQL server on loopback (the sales source must load from a real one) and headless
# Chromium (the steward report is checked in a real browser). Idempotent: safe to run every time.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Start Debian's default cluster (no systemd here) and make the test role and database.
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^${pg_version} main .* online"; then
  pg_lsclusters -h | grep -q "^${pg_version} main" || pg_createcluster "$pg_version" main >/dev/null
  pg_ctlcluster "$pg_version" main start
fi
port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -p "$port" -qtAc "select 1 from pg_roles where rolname='c360'" | grep -q 1 \
  || as_postgres psql -p "$port" -qc "create role c360 login superuser password 'c360'"
as_postgres psql -p "$port" -qtAc "select 1 from pg_database where datname='c360_test'" | grep -q 1 \
  || as_postgres createdb -p "$port" -O c360 c360_test
echo "system deps ready: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), postgresql $pg_version on 127.0.0.1:$port"
