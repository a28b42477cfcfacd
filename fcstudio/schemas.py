"""JSON Schema checks shared by importers and models.

Checking a schema against the 2020-12 meta-schema costs about a millisecond, and catalogues repeat
themselves: xLAM has ~3.6k distinct tools over 60k rows, and far fewer distinct parameter specs.
So a schema is checked in parts: its own keywords (with each property and ``items`` subschema
replaced by ``true``) and then each subschema, every part memoised on its canonical JSON text.
The meta-schema applies itself to those subschemas, so the parts are valid exactly when the whole is.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def canonical_json(value: Any) -> str:
    """Key-sorted, compact JSON: equal values give equal text (used for hashing and caching)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=65536)
def _meta_error(text: str) -> tuple[str, str] | None:
    """(where, message) of the first meta-schema violation of one schema part, or None."""
    try:
        Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as exc:
        return "/".join(str(p) for p in exc.absolute_path), exc.message
    return None


@lru_cache(maxsize=65536)
def _error(text: str) -> tuple[str, str] | None:
    schema = json.loads(text)
    if not isinstance(schema, dict):
        return _meta_error(text)
    shell = dict(schema)
    parts: list[tuple[str, Any]] = []
    props = schema.get("properties")
    if isinstance(props, dict) and all(isinstance(v, (dict, bool)) for v in props.values()):
        shell["properties"] = dict.fromkeys(props, True)
        parts += [(f"properties/{k}", v) for k, v in props.items()]
    if isinstance(schema.get("items"), dict):
        shell["items"] = True
        parts.append(("items", schema["items"]))
    found = _meta_error(canonical_json(shell))
    if found:
        return found
    for prefix, part in parts:
        found = _error(canonical_json(part))
        if found:
            where, message = found
            return f"{prefix}/{where}".rstrip("/"), message
    return None


def check_json_schema(schema: Any) -> None:
    """Raise ValueError naming the offending place when ``schema`` is not valid JSON Schema (2020-12)."""
    if not isinstance(schema, (dict, bool)):
        raise ValueError(f"a JSON Schema must be an object, not {type(schema).__name__}")
    try:
        text = canonical_json(schema)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"schema is not JSON-serialisable: {exc}") from None
    found = _error(text)
    if found:
        where, message = found
        raise ValueError(f"not a valid JSON Schema at {where or '(root)'}: {message}")
