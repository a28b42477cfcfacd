"""OpenAI ``tools`` entries or bare function specs, as a JSON array, a ``{"tools": [...]}`` object or JSONL.

``parameters`` are JSON Schema; loose type names as BFCL, APIGen-MT and ToolACE write them (``dict``, ``float``,
``list``, ``bool``...) are mapped by the table the BFCL importer uses, with a warning naming each mapped name.
A file may also group its tools by category, ``{category: [tools]}`` (APIGen-MT's layout): the category
becomes each tool's label. Optional extensions fcstudio reads: ``labels`` (or ``category``) and ``returns``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, read_file, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import ImportBatch, ToolSpec

JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def records(path: str) -> tuple[list[Record], str]:
    data = read_file(path)
    recs = data.records
    if data.kind == "json-object" and isinstance(recs[0].value, dict) and "tools" in recs[0].value:
        tools = recs[0].value["tools"]
        if not isinstance(tools, list):
            raise FormatError(path, "'tools' must be a list", line=recs[0].line)
        recs = [Record(recs[0].line, t) for t in tools]
    elif (
        data.kind == "json-object"
        and isinstance(recs[0].value, dict)
        and recs[0].value
        and "name" not in recs[0].value
        and "function" not in recs[0].value
        and all(isinstance(v, list) for v in recs[0].value.values())
    ):  # {category: [tools]}
        grouped = []
        for category, tools in recs[0].value.items():
            for t in tools:
                grouped.append(
                    Record(recs[0].line, {**t, "category": t.get("category", category)} if isinstance(t, dict) else t)
                )
        recs = grouped
    return recs, data.content_hash


def loose_types(node: Any, found: set[str] | None = None) -> set[str]:
    """The type names in a schema that are not JSON Schema's own (``dict``, ``float``, ``List[int]``...)."""
    found = set() if found is None else found
    if isinstance(node, dict):
        kind = node.get("type")
        for k in kind if isinstance(kind, list) else [kind]:
            if isinstance(k, str) and k not in JSON_TYPES:
                found.add(k)
        for key in ("properties", "$defs", "definitions", "patternProperties"):
            if isinstance(node.get(key), dict):
                for sub in node[key].values():
                    loose_types(sub, found)
        for key in ("items", "additionalProperties", "not"):
            loose_types(node.get(key), found)
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            if isinstance(node.get(key), list):
                for sub in node[key]:
                    loose_types(sub, found)
    return found


def coerce_defaults(node: Any) -> Any:
    """String defaults of integer, number and boolean parameters as those types (``"0"`` -> 0), where the text
    is exactly such a value; anything else is left as written. Returns a new schema."""
    if isinstance(node, list):
        return [coerce_defaults(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: (v if k in ("default", "enum", "const", "examples") else coerce_defaults(v)) for k, v in node.items()}
    default, kind = out.get("default"), out.get("type")
    if isinstance(default, str):
        text = default.strip()
        if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
            out["default"] = int(text)
        elif kind == "number" and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            out["default"] = float(text) if any(c in text for c in ".eE") else int(text)
        elif kind == "boolean" and text.lower() in ("true", "false"):
            out["default"] = text.lower() == "true"
    return out


def tool_from_entry(
    path: str, rec: Record, entry: Any, index: int, mapper: TypeMapper | None = None, warnings: list[str] | None = None
) -> ToolSpec:
    """One tool; with ``mapper``, parameters written with loose type names are mapped (and ``warnings`` told)."""
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
    parameters = fn.get("parameters", {"type": "object", "properties": {}})
    loose = loose_types(parameters) if mapper is not None else set()
    if loose and isinstance(parameters, dict) and isinstance(fn.get("name"), str):
        try:
            parameters = mapper.schema(parameters, fn["name"], top=True)  # type: ignore[union-attr]
        except ValueError as exc:
            raise FormatError(path, f"tool {fn['name']!r}: {exc}", line=rec.line, record=str(index)) from None
        if warnings is not None:
            names = ", ".join(sorted(loose))
            warnings.append(
                f"{path}:{rec.line}: tool {fn['name']!r}: loose type name(s) mapped to JSON Schema: {names}"
            )
    return make_tool(
        path,
        rec.line,
        fn.get("name"),
        name=fn.get("name"),
        description=fn.get("description") or "",
        parameters=coerce_defaults(parameters),
        returns=fn.get("returns", entry.get("returns")),
        labels=labels,
        source_ref=f"{Path(path).name}:{rec.line}",
    )


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    recs, digest = records(path)
    if not recs:
        raise FormatError(path, "holds no tools")
    mapper = TypeMapper("python")
    warnings: list[str] = []
    tools = [tool_from_entry(path, rec, rec.value, i, mapper, warnings) for i, rec in tracked(recs, progress)]
    return ImportBatch(tools=tools, warnings=[*warnings, *mapper.warnings]), digest
