"""JSON Schema checks shared by importers and models.

Checking a schema against the meta-schema is slow relative to an import row, and catalogues repeat
the same schemas thousands of times (xLAM has ~3.6k distinct tools over 60k rows), so results are
memoised on the canonical JSON text.
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
def _schema_error(text: str) -> str | None:
    try:
        Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return f"not a valid JSON Schema at {where}: {exc.message}"
    return None


def check_json_schema(schema: Any) -> None:
    """Raise ValueError naming the offending place when ``schema`` is not valid JSON Schema (2020-12)."""
    if not isinstance(schema, (dict, bool)):
        raise ValueError(f"a JSON Schema must be an object, not {type(schema).__name__}")
    try:
        text = canonical_json(schema)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"schema is not JSON-serialisable: {exc}") from None
    error = _schema_error(text)
    if error:
        raise ValueError(error)
