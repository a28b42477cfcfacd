"""Writes ``fcstudio/envs/bfcl/data/long_context.json``: the data BFCL's long-context variants add to a state.

bfcl-eval keeps this data as Python literals in ``func_source_code/long_context.py`` (extra files and file
content for GorillaFileSystem, extra watch-list symbols, transactions and order details for TradingBot,
extra credit cards and bookings for TravelAPI, ...). This script reads that module from the pinned wheel
(``tools/bfcl_reference.py`` downloads it) and converts each top-level literal with ``ast.literal_eval``:
the module is parsed, never imported or run. Run it again when the pinned bfcl-eval release changes:

    .venv/bin/python tools/make_bfcl_long_context.py [--bfcl-dir DIR]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools")]

import bfcl_reference  # noqa: E402

OUT = ROOT / "fcstudio" / "envs" / "bfcl" / "data" / "long_context.json"
MODULE = "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/long_context.py"


ELLIPSIS = {"__python__": "Ellipsis"}  # WATCH_LIST_EXTENSION ends with a literal ``...``; kept, as BFCL keeps it


def _jsonable(value: object) -> object:
    if value is Ellipsis:
        return ELLIPSIS
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def extract(source: str) -> dict[str, object]:
    """Every ``NAME = <literal>`` at the module's top level, in file order."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = _jsonable(ast.literal_eval(node.value))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bfcl-dir", type=Path, default=None, help="an unpacked bfcl-eval (else downloaded)")
    args = parser.parse_args()
    folder = bfcl_reference.fetch(args.bfcl_dir)
    src = folder if (folder / "bfcl_eval").is_dir() else folder / "src"
    data = extract((src / MODULE).read_text())
    OUT.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {', '.join(f'{k} ({len(v)})' for k, v in data.items())}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
