"""Small helpers every importer shares: turning validation failures into FormatErrors, building tools and calls."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.types import known_valid
from fcstudio.models import Message, Task, ToolSpec, Trajectory
from fcstudio.validation import first_error


def reason_of(exc: Exception) -> str:
    """A one-line reason from a pydantic ValidationError or ValueError."""
    if isinstance(exc, ValidationError):
        loc, msg = first_error(exc)
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"
    return str(exc)


def make_tool(path: str, line: int | None, record: Any, *, generated: bool = False, **fields: Any) -> ToolSpec:
    """A ToolSpec, or a FormatError naming the place.

    ``generated``: the schemas came out of ``TypeMapper``; when they are valid by construction
    (``types.known_valid``) and the other fields have their declared types, the tool is built without
    re-running the meta-schema check, which is most of an xLAM import's tool cost.
    """
    if generated:
        spec = _trusted_tool(fields)
        if spec is not None:
            return spec
    try:
        return ToolSpec(**fields)
    except (ValidationError, ValueError) as exc:
        name = fields.get("name")
        what = f"tool {name!r}" if isinstance(name, str) else "tool"
        raise FormatError(path, f"{what}: {reason_of(exc)}", line=line, record=_ref(record)) from None


_TOOL_FIELDS = frozenset(ToolSpec.model_fields)


def _trusted_tool(fields: dict[str, Any]) -> ToolSpec | None:
    """``ToolSpec(**fields)`` without validation, when every check it would make certainly passes; else None."""
    name = fields.get("name")
    params = fields.get("parameters", {"type": "object", "properties": {}})
    returns = fields.get("returns")
    labels = fields.get("labels", [])
    source_ref = fields.get("source_ref")
    if (
        not set(fields) <= _TOOL_FIELDS
        or not isinstance(name, str)
        or not 1 <= len(name) <= 256
        or not isinstance(fields.get("description", ""), str)
        or not isinstance(params, dict)
        or params.get("type", "object") != "object"
        or not known_valid(params)
        or not (returns is None or (isinstance(returns, dict) and known_valid(returns)))
        or not (isinstance(labels, list) and all(isinstance(x, str) for x in labels))
        or not (source_ref is None or isinstance(source_ref, str))
    ):
        return None
    # every field given: model_construct would otherwise call each default factory through inspect (slow)
    return ToolSpec.model_construct(
        name=name,
        description=fields.get("description", ""),
        parameters=params,
        returns=returns,
        labels=labels,
        source_ref=source_ref,
    )


def make_trajectory(path: str, line: int | None, record: Any, **fields: Any) -> Trajectory:
    try:
        return Trajectory(**fields)
    except (ValidationError, ValueError) as exc:
        raise FormatError(path, f"trajectory: {reason_of(exc)}", line=line, record=_ref(record)) from None


def make_task(path: str, line: int | None, record: Any, **fields: Any) -> Task:
    try:
        return Task(**fields)
    except (ValidationError, ValueError) as exc:
        raise FormatError(path, f"task: {reason_of(exc)}", line=line, record=_ref(record)) from None


def make_messages(path: str, line: int | None, record: Any, raw: Any, what: str = "messages") -> list[Message]:
    if not isinstance(raw, list):
        raise FormatError(path, f"{what} must be a list, got {type(raw).__name__}", line=line, record=_ref(record))
    out = []
    for i, m in enumerate(raw):
        try:
            out.append(Message.model_validate(m))
        except (ValidationError, ValueError) as exc:
            raise FormatError(path, f"{what}[{i}]: {reason_of(exc)}", line=line, record=_ref(record)) from None
    return out


def assistant_calls(calls: list[tuple[str, dict[str, Any]]], id_prefix: str) -> dict[str, Any]:
    """An assistant message with parallel tool calls, ids ``{id_prefix}_{i}``."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"{id_prefix}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False, default=repr)},
            }
            for i, (name, args) in enumerate(calls)
        ],
    }


def called_names(messages: list[Message]) -> list[str]:
    names: list[str] = []
    for m in messages:
        for call in m.tool_calls or []:
            if call.function.name not in names:
                names.append(call.function.name)
    return names


def _ref(record: Any) -> str | None:
    return None if record is None else str(record)
