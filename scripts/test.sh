#!/usr/bin/env bash
# The whole test suite: lint, types, Python tests (SQLite and real PostgreSQL, real Redis,
# a real RTSP camera), web tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null || python3 -m pip install -q uv
bash scripts/ensure-postgres.sh
bash scripts/ensure-gstreamer.sh
bash scripts/ensure-redis.sh
bash scripts/ensure-mosquitto.sh
bash scripts/ensure-promtool.sh
uv sync --all-extras --locked -q
echo "== ruff"; uv run ruff check . && uv run ruff format --check .
echo "== mypy"; uv run mypy
echo "== import layers"; uv run lint-imports --no-cache 2>&1 | sed -n '/^Contracts/,$p'
# Two pytest processes (pytest-xdist): most tests wait on servers, brokers and browsers of
# their own, so two share the 2 cores well; every test uses its own ports and databases.
# The 15 slowest tests are listed at the end, to see where the suite's time goes.
echo "== pytest"; uv run pytest -q -n "${METRICA_TEST_PROCESSES:-2}" --durations=15 "$@"
if [ -f web/package.json ]; then
  echo "== web"; bash scripts/test-web.sh
fi
