"""Loading a domain database (tau2's ``db.json`` layout) into a normalised, validated state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fcstudio.envs.base import State
from fcstudio.validation import first_error


class StateError(ValueError):
    """A database file that does not match the domain's schema; names the table and record."""


def read_json(path: str | Path, error: type[ValueError]) -> Any:
    """A JSON file's content, or ``error`` saying why it cannot be read (missing, not text, not JSON, or text
    that cannot be stored: a lone surrogate or NUL, refused as ``PATH:LINE (record ID): reason``)."""
    from fcstudio.catalog.formats import text as bad_text

    try:
        text = Path(path).read_text(encoding="utf-8")
        value = json.loads(text)
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not JSON: {exc}") from None
    except RecursionError:
        raise error(f"{path}: nesting is too deep to read") from None
    bad_text.check_document(str(path), text, value, error=error)
    return value


def load_state(path: str | Path, models: Mapping[str, type[BaseModel]]) -> State:
    """``{table: {id: record}}`` with every record validated by its model and dumped in field order."""
    return normalise_state(read_json(path, StateError), models, str(path))


def normalise_state(raw: Any, models: Mapping[str, type[BaseModel]], where: str = "state") -> State:
    if not isinstance(raw, dict):
        raise StateError(f"{where}: the database must be a JSON object of tables")
    unknown = sorted(set(raw) - set(models))
    if unknown:
        raise StateError(f"{where}: unknown table(s) {', '.join(unknown)}; expected {', '.join(models)}")
    state: State = {}
    for table, model in models.items():
        records = raw.get(table)
        if not isinstance(records, dict):
            raise StateError(f"{where}: table {table!r} is missing or not an object of records")
        out = {}
        for key, record in records.items():
            try:
                out[key] = model.model_validate(record).model_dump()
            except ValidationError as exc:
                loc, msg = first_error(exc)
                raise StateError(f"{where}: {table}[{key!r}].{loc}: {msg}") from None
        state[table] = out
    return state
