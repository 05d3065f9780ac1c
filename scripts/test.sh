#!/usr/bin/env bash
# The test command (README): installs what it needs into .venv, then runs lint, types and the whole suite on
# the embedded SQLite and on PostgreSQL. Without a reachable PostgreSQL the PostgreSQL run is skipped, and says
# so, except under CI (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${NETCOP_TEST_PG_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/netcop_test}"

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
echo "== installing netcop and its test tools into .venv"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

# The dashboard's browser tests drive Debian's chromium (never a browser Playwright would download). Without it
# they are skipped, and say so, except under CI, where that is a failure.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing chromium (Debian's package) for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || echo "== could not install chromium with apt-get" >&2
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: chromium is required under CI for the browser tests and could not be installed" >&2
    exit 1
  fi
  echo "== SKIPPED: the browser tests (no /usr/bin/chromium; as root: apt-get install chromium)"
fi

# GDAL's ogr2ogr checks that the GeoJSON out survives conversion to a GeoPackage (tests/formats); without it that
# test is skipped.
if ! command -v ogr2ogr >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "== installing gdal-bin (Debian's package) for the GIS conversion test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin) >/dev/null \
    || echo "== could not install gdal-bin with apt-get" >&2
fi

echo "== ruff and mypy"
.venv/bin/ruff check app tests bench
.venv/bin/mypy app

export PYTHONASYNCIODEBUG=1
echo "== tests on SQLite"
.venv/bin/pytest -q -p no:cacheprovider tests

if .venv/bin/python - "$PG_URL" <<'PY'
import asyncio, sys
import asyncpg
url = sys.argv[1].replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/postgres"
async def main() -> None:
    conn = await asyncpg.connect(url, timeout=5)
    await conn.close()
try:
    asyncio.run(main())
except Exception as error:
    print(f"PostgreSQL is not reachable: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== tests on PostgreSQL"
  NETCOP_TEST_DATABASE_URL="$PG_URL" .venv/bin/pytest -q -p no:cacheprovider tests
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: PostgreSQL is required under CI and is not reachable" >&2
  exit 1
else
  echo "== SKIPPED: the PostgreSQL run (no PostgreSQL at $PG_URL); only SQLite was tested"
fi
