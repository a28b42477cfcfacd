# Sourced by tools/demo.sh and tools/test.sh: a virtualenv in .venv with the given requirements.
# --system-site-packages lets a machine that already has the packages reuse them; pip installs
# only what is missing or at another version. Debian needs python3-venv for `python3 -m venv`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv --system-site-packages .venv 2>/dev/null; then
    rm -rf .venv
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv --system-site-packages .venv
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$1"
