"""The xLAM-function-calling-60k layout: rows ``{id, query, tools, answers}``.

``tools`` and ``answers`` may be JSON strings (as on the hub) or JSON values; files may be JSON,
JSONL or Parquet. Tool parameters use Python type names (``List[int]``, ``str, optional``); a
parameter is required unless its type says optional or it has a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import assistant_calls, make_tool, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import RecordProgress, expect_dict, json_field, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.catalog.schemas import canonical_json
from fcstudio.models import ImportBatch, Message, ToolSpec


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path, parquet=True)
    if not data.records:
        raise FormatError(path, "holds no rows")
    mapper = TypeMapper("python")
    cache: dict[str, ToolSpec] = {}
    batch = ImportBatch()
    fname = Path(path).name
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "row")
        ref = obj.get("id", index)
        query = require(path, rec, obj, "query", str, ref)
        tools_raw = json_field(path, rec, obj, "tools", ref)
        answers = json_field(path, rec, obj, "answers", ref)
        if not isinstance(tools_raw, list):
            raise FormatError(path, "'tools' must be a list of functions", line=rec.line, record=str(ref))
        if not isinstance(answers, list):
            raise FormatError(path, "'answers' must be a list of calls", line=rec.line, record=str(ref))
        tools = [_tool(path, rec.line, ref, t, mapper, cache, fname) for t in tools_raw]
        calls: list[tuple[str, dict[str, Any]]] = []
        for j, ans in enumerate(answers):
            if not isinstance(ans, dict) or not isinstance(ans.get("name"), str) or not ans["name"]:
                raise FormatError(
                    path,
                    f"answers[{j}] must be an object with a non-empty string 'name'",
                    line=rec.line,
                    record=str(ref),
                )
            args = ans.get("arguments", {})
            if not isinstance(args, dict):
                raise FormatError(path, f"answers[{j}].arguments must be an object", line=rec.line, record=str(ref))
            calls.append((ans["name"], args))
        messages = [Message(role="user", content=query)]
        if calls:
            messages.append(Message.model_validate(assistant_calls(calls, f"call_{ref}")))
        batch.trajectories.append(
            make_trajectory(
                path, rec.line, ref, source_ref=f"{fname}:{ref}", messages=messages, tools=tools, meta={"id": ref}
            )
        )
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash


def _tool(
    path: str, line: int, ref: Any, raw: Any, mapper: TypeMapper, cache: dict[str, ToolSpec], fname: str
) -> ToolSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise FormatError(path, "each tool must be an object with a string 'name'", line=line, record=str(ref))
    key = canonical_json(raw)
    if key not in cache:
        cache[key] = convert_tool(path, line, ref, raw, mapper, fname)
    return cache[key]


def convert_tool(
    path: str, line: int | None, ref: Any, raw: dict[str, Any], mapper: TypeMapper, fname: str
) -> ToolSpec:
    """One xLAM tool ``{name, description, parameters}`` as a ToolSpec (JSON Schema parameters)."""
    if not isinstance(raw.get("name"), str):
        raise FormatError(path, "each tool must be an object with a string 'name'", line=line, record=str(ref))
    params = raw.get("parameters", {})
    if not isinstance(params, dict):
        raise FormatError(path, f"tool {raw['name']!r}: 'parameters' must be an object", line=line, record=str(ref))
    try:
        if params.get("type") in ("object", "dict") and isinstance(params.get("properties"), dict):
            schema = mapper.schema(params, raw["name"], top=True)
        else:
            schema = mapper.object_from_properties(params, raw["name"])
    except ValueError as exc:
        raise FormatError(path, f"tool {raw['name']!r}: {exc}", line=line, record=str(ref)) from None
    return make_tool(
        path,
        line,
        ref,
        generated=True,
        name=raw["name"],
        description=str(raw.get("description", "")),
        parameters=schema,
        source_ref=f"{fname}:{ref}",
    )
