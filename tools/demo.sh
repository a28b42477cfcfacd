#!/usr/bin/env bash
# Installs the app's requirements and opens it on the built-in demo workspace (~/.fcstudio/demo.duckdb,
# built from data/demo on first run). Pass a path to use another workspace: tools/demo.sh my.duckdb
set -euo pipefail
source "$(dirname "$0")/env.sh" requirements.txt
if [ $# -gt 0 ]; then set -- -- --workspace "$1"; fi
exec .venv/bin/python -m streamlit run app.py --browser.gatherUsageStats false "$@"
