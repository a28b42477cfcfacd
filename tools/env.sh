# Sourced by tools/demo.sh and tools/test.sh: a virtualenv in .venv with the given requirements, and
# nothing else: no system site packages, so every import the code makes must be declared in
# requirements*.txt. Debian needs python3-venv for `python3 -m venv`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PYTHON="${PYTHON:-python3}"
if [ -x .venv/bin/python ] && grep -q "include-system-site-packages = true" .venv/pyvenv.cfg 2>/dev/null; then
  rm -rf .venv  # made by an older env.sh that reused system packages
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$1"
