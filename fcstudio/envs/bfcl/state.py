"""API-class state as plain JSON: for storing an episode's state per turn, diffing it and digesting it.

BFCL's state check compares instances with ``!=`` attribute by attribute; ``plain`` turns the same public
attributes into JSON-ready values (objects as ``{"__class__": name, <public attributes>}``, a back-reference
such as a directory's ``parent`` as ``{"__ref__": name}``, anything else json cannot hold as its ``repr``),
so a page can show the expected and actual value of every field and a test can compare digests.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def plain(value: Any, _path: tuple[int, ...] = ()) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v, _path) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, _path) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v, _path) for v in value), key=repr)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        if id(value) in _path:
            return {"__ref__": getattr(value, "name", type(value).__name__)}
        inner = (*_path, id(value))
        fields = {k: plain(v, inner) for k, v in vars(value).items() if not k.startswith("_")}
        return {"__class__": type(value).__name__, **fields}
    return repr(value)


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(plain(value), sort_keys=True, default=repr).encode()).hexdigest()[:16]


def compare_fields(expected: dict[str, Any], actual: dict[str, Any]) -> list[dict[str, Any]]:
    """Every top-level field of one class, both sides plain: ``{"field", "equal", "expected", "actual"}``.

    Values are kept only where the sides differ (an equal field carries its digest instead), so an episode
    stores the state of long-context classes per turn without storing their thousands of equal records."""
    rows = []
    for key in sorted(set(expected) | set(actual)):
        e, a = expected.get(key), actual.get(key)
        if e == a:
            rows.append({"field": key, "equal": True, "digest": digest(e)})
        else:
            rows.append({"field": key, "equal": False, "expected": e, "actual": a})
    return rows
