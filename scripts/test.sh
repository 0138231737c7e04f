#!/usr/bin/env bash
# The whole test suite: starts a throwaway PostgreSQL for the store tests, makes sure Debian's
# Chromium is there for the studio's browser tests, then pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
pg_dir=$(mktemp -d /tmp/basin-pg.XXXXXX)
chmod 755 "$pg_dir"
if url=$(bash scripts/postgres.sh start "$pg_dir"); then
  export BASIN_TEST_POSTGRES_URL="$url"
  echo "PostgreSQL for the store tests: $url"
else
  echo "PostgreSQL could not start; the postgres-marked tests will be skipped (see above)."
fi
trap 'bash scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1' EXIT
if browser=$(bash scripts/chromium.sh); then
  export BASIN_TEST_CHROMIUM="$browser"
  echo "Chromium for the studio's browser tests: $browser"
else
  echo "Chromium could not be installed; the studio's browser tests will be skipped (see above)."
fi
# The project's own bytecode, for the same reason as `make install` compiles the venv's.
.venv/bin/python -m compileall -q src tests >/dev/null
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
