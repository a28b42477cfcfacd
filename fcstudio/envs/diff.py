"""What differs between two states: per table, records added, removed and changed (field by field)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from itertools import compress
from operator import is_, is_not
from typing import Any

from fcstudio.envs.base import State

_MISSING = object()


def field_changes(before: Any, after: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    """``{"a.b[2].c": (old, new)}`` for every leaf that differs; a missing side is None."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            out.update(field_changes(before.get(key, _MISSING), after.get(key, _MISSING), sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = {}
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else _MISSING
            a = after[i] if i < len(after) else _MISSING
            out.update(field_changes(b, a, f"{path}[{i}]"))
        return out
    if before is _MISSING and after is _MISSING:
        return {}
    if before != after or type(before) is not type(after):
        return {path: (None if before is _MISSING else before, None if after is _MISSING else after)}
    return {}


def diff(before: State, after: State) -> dict[str, dict[str, Any]]:
    """Per table: ``added`` {id: record}, ``removed`` {id: record}, ``changed`` {id: {before, after, fields}}.

    Tables with no difference are left out, so ``diff(a, a) == {}``; a table present on one side only
    carries ``"table": "added" | "removed"``.
    """
    out: dict[str, dict[str, Any]] = {}
    for table in list(before) + [t for t in after if t not in before]:
        b, a = before.get(table, {}), after.get(table, {})
        if len(a) == len(b) and all(map(is_, a, b)):  # a copy-on-write copy: same keys, compare records in C
            added, removed = {}, {}
            candidates: Iterable[Any] = compress(a, map(is_not, a.values(), b.values()))
        else:
            added = {k: a[k] for k in a if k not in b}
            removed = {k: b[k] for k in b if k not in a}
            candidates = (k for k in a if k in b and a[k] is not b[k])
        changed = {}
        for k in candidates:
            if a[k] != b[k]:
                changed[k] = {"before": b[k], "after": a[k], "fields": field_changes(b[k], a[k])}
        presence = "added" if table not in before else "removed" if table not in after else None
        if added or removed or changed or presence:
            out[table] = {"added": added, "removed": removed, "changed": changed}
            if presence:
                out[table]["table"] = presence
    return out


def apply_diff(state: State, d: dict[str, dict[str, Any]]) -> State:
    """``apply_diff(a, diff(a, b)) == b`` (a new state; ``state`` is not changed)."""
    out = {t: dict(records) for t, records in state.items()}
    for table, parts in d.items():
        if parts.get("table") == "removed":
            out.pop(table, None)
            continue
        records = out.setdefault(table, {})
        for k in parts.get("removed", {}):
            records.pop(k, None)
        for k, rec in parts.get("added", {}).items():
            records[k] = copy.deepcopy(rec)
        for k, change in parts.get("changed", {}).items():
            records[k] = copy.deepcopy(change["after"])
    return out


def db_diff(before: State, after: State) -> dict[str, dict[str, Any]]:
    """The replay format: ``{table: {record_id: new_record_or_null}}`` for records that differ.

    The same records as ``diff`` finds, without its field-by-field breakdown (replay writes one line per task)."""
    out: dict[str, dict[str, Any]] = {}
    for table in list(before) + [t for t in after if t not in before]:
        b, a = before.get(table, {}), after.get(table, {})
        if len(a) == len(b) and all(map(is_, a, b)):  # a copy-on-write copy: same keys, compare records in C
            rows: dict[str, Any] = {k: a[k] for k in compress(a, map(is_not, a.values(), b.values())) if a[k] != b[k]}
        else:
            rows = {k: None for k in b if k not in a}
            rows.update((k, v) for k, v in a.items() if k not in b or (v is not b[k] and v != b[k]))
        if rows or table not in before or table not in after:
            out[table] = dict(sorted(rows.items()))
    return out


def flatten(record: Any, path: str = "") -> dict[str, Any]:
    """``{"a.b[0].c": leaf}`` for every leaf of a record (what a per-field table shows)."""
    if isinstance(record, dict) and record:
        out: dict[str, Any] = {}
        for key, value in record.items():
            out.update(flatten(value, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(record, list) and record:
        out = {}
        for i, value in enumerate(record):
            out.update(flatten(value, f"{path}[{i}]"))
        return out
    return {path: record}


def record_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field | before | after | changed rows for one record (either side may be None: added/removed)."""
    b = flatten(before) if before is not None else {}
    a = flatten(after) if after is not None else {}
    keys = list(b) + [k for k in a if k not in b]
    return [
        {"field": k, "before": b.get(k), "after": a.get(k), "changed": b.get(k, _MISSING) != a.get(k, _MISSING)}
        for k in keys
    ]
