# Sourced by .ci/run (as root, `set -euo pipefail` active): start the services the tests need.
# Idempotent: running it twice leaves one cluster, one role and one database.
# PostgreSQL 15 (Debian package) for the clinic tests; exports SCARWISE_TEST_POSTGRES_URL.
# Chromium (Debian package) for the Playwright browser tests (no browser download).
_missing=""
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  _missing="postgresql"
fi
if [ ! -x /usr/bin/chromium ]; then
  _missing="${_missing} chromium"
fi
if [ -n "${_missing}" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq ${_missing} >/dev/null
fi
_pg_version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | grep -q "^${_pg_version} main"; then
  pg_createcluster "${_pg_version}" main >/dev/null
fi
pg_ctlcluster "${_pg_version}" main start >/dev/null 2>&1 || true
for _i in $(seq 1 30); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p 5432"; then break; fi
  sleep 1
done
su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_roles WHERE rolname='scarwise'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE scarwise LOGIN PASSWORD 'scarwise' CREATEDB\""
su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_database WHERE datname='scarwise_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O scarwise scarwise_test"
export SCARWISE_TEST_POSTGRES_URL="postgresql+psycopg://scarwise:scarwise@127.0.0.1:5432/scarwise_test"
unset _pg_version _i _missing
