"""ToolBench (ToolLLM) tool definitions and instruction files.

Two record kinds, told apart by their fields:
- a tool (``data/toolenv/tools/<Category>/<tool>.json``): ``tool_name``, ``tool_description``,
  ``api_list: [{name, description, method, required_parameters, optional_parameters}]``;
- a query (``data/instruction/G*_query.json``, a JSON list): ``query_id``, ``query``,
  ``api_list: [{category_name, tool_name, api_name, ...}]`` and ``relevant APIs: [[tool, api]]``.
Each API becomes a function named ``<api>_for_<tool>`` (standardised), as ToolBench names them for the
model. Queries become tasks whose gold names the relevant APIs (ToolBench gives no gold arguments).
"""

from __future__ import annotations

import re
from typing import Any

from fcstudio.catalog.formats.common import make_task, make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import GoldCall, ImportBatch, Message, ToolSpec


def standardize(name: str) -> str:
    """Lower-case identifier: runs of other characters become one underscore; never starts with a digit."""
    s = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not s or s[0].isdigit():
        s = "_" + s
    return s


def function_name(api: str, tool: str) -> str:
    return f"{standardize(api)}_for_{standardize(tool)}"[:64]


def _params(path: str, rec: Record, ref: str, api: dict[str, Any], mapper: TypeMapper, where: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, is_required in (("required_parameters", True), ("optional_parameters", False)):
        items = api.get(key) or []
        if not isinstance(items, list):
            raise FormatError(path, f"{where}: {key} must be a list", line=rec.line, record=ref)
        for p in items:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                raise FormatError(path, f"{where}: each of {key} needs a string 'name'", line=rec.line, record=ref)
            schema = mapper.name_to_schema(str(p.get("type", "STRING")), f"{where}.{p['name']}")
            if p.get("description"):
                schema["description"] = str(p["description"])
            if p.get("default") not in (None, ""):
                schema["default"] = p["default"]
            properties[p["name"]] = schema
            if is_required:
                required.append(p["name"])
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _api_tool(
    path: str, rec: Record, ref: str, tool_name: str, tool_desc: str, api: Any, mapper: TypeMapper, category: str
) -> ToolSpec:
    api_name = api.get("name", api.get("api_name")) if isinstance(api, dict) else None
    if not isinstance(api_name, str):
        raise FormatError(path, "each api_list entry needs a string 'name'", line=rec.line, record=ref)
    fname = function_name(api_name, tool_name)
    description = str(api.get("description", api.get("api_description", "")) or "")
    if tool_desc:
        description = f'{description} (API of "{tool_name}": {tool_desc})'.strip()
    return make_tool(
        path,
        rec.line,
        ref,
        generated=True,
        name=fname,
        description=description,
        parameters=_params(path, rec, ref, api, mapper, fname),
        labels=[category] if category else [],
        source_ref=f"{tool_name}/{api_name}",
    )


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    if not data.records:
        raise FormatError(path, "holds no tools or queries")
    mapper = TypeMapper("toolbench")
    batch = ImportBatch()
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "record")
        if "query" in obj:
            ref = str(obj.get("query_id", index))
            query = require(path, rec, obj, "query", str, ref)
            apis = require(path, rec, obj, "api_list", list, ref)
            tools = []
            for api in apis:
                if not isinstance(api, dict) or not isinstance(api.get("tool_name"), str):
                    raise FormatError(
                        path, "each api_list entry of a query needs 'tool_name'", line=rec.line, record=ref
                    )
                tools.append(
                    _api_tool(path, rec, ref, api["tool_name"], "", api, mapper, str(api.get("category_name", "")))
                )
            relevant = obj.get("relevant APIs", obj.get("relevant_apis", []))
            if not isinstance(relevant, list) or not all(isinstance(r, list) and len(r) == 2 for r in relevant):
                raise FormatError(
                    path, "'relevant APIs' must be a list of [tool, api] pairs", line=rec.line, record=ref
                )
            gold = [GoldCall(name=function_name(str(api), str(tool)), arguments={}) for tool, api in relevant]
            batch.tasks.append(
                make_task(
                    path,
                    rec.line,
                    ref,
                    source_ref=ref,
                    benchmark="toolbench",
                    category=str(apis[0].get("category_name", "")) if apis else "",
                    instruction=query,
                    turns=[[Message(role="user", content=query)]],
                    tools=tools,
                    gold=gold,
                    meta={"query_id": obj.get("query_id"), "gold_kind": "relevant_apis"},
                )
            )
        elif "api_list" in obj:
            tool_name = require(path, rec, obj, "tool_name", str)
            apis = require(path, rec, obj, "api_list", list, tool_name)
            category = str(obj.get("category_name", obj.get("category", "")) or "")
            desc = str(obj.get("tool_description", "") or "")
            batch.tools.extend(_api_tool(path, rec, tool_name, tool_name, desc, api, mapper, category) for api in apis)
        else:
            raise FormatError(
                path,
                "neither a ToolBench tool (tool_name, api_list) nor a query (query, api_list)",
                line=rec.line,
                record=str(obj.get("id", index)),
            )
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
