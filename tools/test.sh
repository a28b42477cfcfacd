#!/usr/bin/env bash
# Installs everything the tests need (Debian's chromium for the browser tests, the dev requirements in a
# virtualenv of their own) and runs the gates: ruff, mypy, then pytest in random order on parallel workers
# with coverage (the floor is [tool.coverage.report] fail_under in pyproject.toml). Exits non-zero when any fails.
# Extra arguments go to pytest (e.g. `-p no:randomly`, `-k name`, `-n 0`).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ! -x /usr/bin/chromium ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
source tools/env.sh requirements-dev.txt
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest -q -n "${FCSTUDIO_TEST_WORKERS:-2}" --dist loadfile \
  --cov --cov-report=term:skip-covered --cov-report=xml:coverage.xml "$@"
