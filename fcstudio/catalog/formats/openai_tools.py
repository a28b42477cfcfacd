"""OpenAI ``tools`` entries or bare function specs, as a JSON array, a ``{"tools": [...]}`` object or JSONL.

This is the strict format: ``parameters`` must already be JSON Schema (no loose type names).
Optional extensions fcstudio reads: ``labels`` (or ``category``) and ``returns`` (a JSON Schema).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, read_file, tracked
from fcstudio.models import ImportBatch, ToolSpec


def records(path: str) -> tuple[list[Record], str]:
    data = read_file(path)
    recs = data.records
    if data.kind == "json-object" and isinstance(recs[0].value, dict) and "tools" in recs[0].value:
        tools = recs[0].value["tools"]
        if not isinstance(tools, list):
            raise FormatError(path, "'tools' must be a list", line=recs[0].line)
        recs = [Record(recs[0].line, t) for t in tools]
    return recs, data.content_hash


def tool_from_entry(path: str, rec: Record, entry: Any, index: int) -> ToolSpec:
    if not isinstance(entry, dict):
        raise FormatError(
            path, f"tool entry must be an object, got {type(entry).__name__}", line=rec.line, record=str(index)
        )
    fn = entry.get("function") if entry.get("type") == "function" or "function" in entry else entry
    if not isinstance(fn, dict):
        raise FormatError(path, "'function' must be an object", line=rec.line, record=str(index))
    if "name" not in fn:
        raise FormatError(
            path, "missing field 'name' (not an OpenAI tool or function spec)", line=rec.line, record=str(index)
        )
    labels = entry.get("labels", fn.get("labels", entry.get("category", fn.get("category", []))))
    if isinstance(labels, str):
        labels = [labels]
    return make_tool(
        path,
        rec.line,
        fn.get("name"),
        name=fn.get("name"),
        description=fn.get("description") or "",
        parameters=fn.get("parameters", {"type": "object", "properties": {}}),
        returns=fn.get("returns", entry.get("returns")),
        labels=labels,
        source_ref=f"{Path(path).name}:{rec.line}",
    )


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    recs, digest = records(path)
    if not recs:
        raise FormatError(path, "holds no tools")
    tools = [tool_from_entry(path, rec, rec.value, i) for i, rec in tracked(recs, progress)]
    return ImportBatch(tools=tools), digest
