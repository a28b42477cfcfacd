"""The data BFCL's long-context variants add to a state, read once from ``data/long_context.json``.

The JSON is extracted from bfcl-eval's ``long_context.py`` by ``tools/make_bfcl_long_context.py``; BFCL's
watch-list extension ends with a literal ``...`` (Ellipsis), which JSON cannot hold, so it is stored as a
marker and restored here: it shows in results exactly as BFCL shows it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "long_context.json"
_ELLIPSIS = {"__python__": "Ellipsis"}


def _restore(value: Any) -> Any:
    if value == _ELLIPSIS:
        return Ellipsis
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return value


@cache
def _all() -> dict[str, Any]:
    return {k: _restore(v) for k, v in json.loads(DATA.read_text()).items()}


def get(name: str) -> Any:
    """One of the extension constants (``FILE_CONTENT_EXTENSION``, ``WATCH_LIST_EXTENSION``, ...).

    The same object on every call, as BFCL's module constants are: callers copy before changing it."""
    return _all()[name]
