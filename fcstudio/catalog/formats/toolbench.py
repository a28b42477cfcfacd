"""ToolBench (ToolLLM) tool definitions, instruction files and the trajectories ToolBench is known for.

Record kinds, told apart by their fields:
- a tool (``data/toolenv/tools/<Category>/<tool>.json``): ``tool_name``, ``tool_description``,
  ``api_list: [{name, description, method, required_parameters, optional_parameters}]``; its category is the
  folder it sits in (``category_name`` in the file otherwise);
- a query (``data/instruction/G*_query.json``, StableToolBench's ``solvable_queries``): ``query_id``,
  ``query``, ``api_list: [{category_name, tool_name, api_name, ...}]`` and ``relevant APIs: [[tool, api]]``;
- an answer (``data/answer/G*_answer/<id>_<method>.json``, DFS or CoT) or a ToolLLaMA training conversation:
  see ``toolbench_runs``.
Each API becomes a function named by ToolBench's own rule (``function_name``), so the gold calls of a query
file and the calls of the answer files for the same queries carry the same names. Queries become tasks whose
gold names the relevant APIs (ToolBench gives no gold arguments).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats import toolbench_runs as runs
from fcstudio.catalog.formats.common import make_task, make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import GoldCall, ImportBatch, Message, ToolSpec

_NON_NAME = re.compile("[^\u4e00-\u9fa5^a-zA-Z0-9_]")  # ToolBench keeps CJK, ASCII letters, digits, _ and ^
RESERVED = frozenset({"from", "class", "return", "false", "true", "id", "and"})


def standardize(name: str) -> str:
    """ToolBench's ``standardize``: other characters become ``_``, runs of ``_`` one, lower case, no ``_`` at
    either end, and ``get_`` before a leading digit."""
    s = re.sub(r"_+", "_", _NON_NAME.sub("_", name)).lower().strip("_")
    if s and s[0].isdigit():
        s = "get_" + s
    return s


def change_name(name: str) -> str:
    """ToolBench's ``change_name``: Python keywords and ``id`` get an ``is_`` prefix."""
    return "is_" + name if name in RESERVED else name


def function_name(api: str, tool: str, *, tool_is_standard: bool = False) -> str:
    """``change_name(standardize(api)) + "_for_" + standardize(tool)``, its LAST 64 characters, as ToolBench
    names functions for the model. ``tool_is_standard``: ``tool`` is already the standard name (a tool file's
    stem, which ToolBench uses as is)."""
    tool_part = tool if tool_is_standard else standardize(tool)
    return f"{change_name(standardize(api))}_for_{tool_part}"[-64:]


def parameter_name(name: str) -> str:
    return change_name(standardize(name))


def toolenv_place(path: str) -> tuple[str, str] | None:
    """(category, standard tool name) of a file in ToolBench's ``toolenv/tools/<Category>/<tool>.json`` layout,
    where the folder is the category and the file's stem the name ToolBench uses as is; None elsewhere."""
    p = Path(path)
    if len(p.parts) >= 3 and p.parent.parent.name == "tools":
        return p.parent.name, p.stem
    return None


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
            properties[parameter_name(p["name"])] = schema  # the name ToolBench shows the model
            if is_required:
                required.append(parameter_name(p["name"]))
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _api_tool(
    path: str,
    rec: Record,
    ref: str,
    tool_name: str,
    tool_desc: str,
    api: Any,
    mapper: TypeMapper,
    category: str,
    standard_tool: str | None = None,
) -> ToolSpec:
    api_name = api.get("name", api.get("api_name")) if isinstance(api, dict) else None
    if not isinstance(api_name, str):
        raise FormatError(path, "each api_list entry needs a string 'name'", line=rec.line, record=ref)
    fname = function_name(api_name, standard_tool or tool_name, tool_is_standard=standard_tool is not None)
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
    conversations = []
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "record")
        if "answer_generation" in obj:
            batch.trajectories.append(runs.answer_trajectory(path, rec, obj, mapper))
        elif "conversations" in obj:
            conversations.append(runs.toolllama_trajectory(path, rec, obj, index, mapper))
        elif "query" in obj:
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
            place = toolenv_place(path)
            category, stem = place if place else (str(obj.get("category_name", obj.get("category", "")) or ""), None)
            desc = str(obj.get("tool_description", "") or "")
            batch.tools.extend(
                _api_tool(path, rec, tool_name, tool_name, desc, api, mapper, category, stem) for api in apis
            )
        else:
            raise FormatError(
                path,
                "neither a ToolBench tool (tool_name, api_list), a query (query, api_list), an answer "
                "(answer_generation) nor a ToolLLaMA conversation (conversations)",
                line=rec.line,
                record=str(obj.get("id", index)),
            )
    if conversations:
        kept, folded = runs.fold_prefixes(conversations)
        batch.trajectories.extend(kept)
        if folded:
            batch.warnings.append(
                f"{folded} of {len(conversations)} ToolLLaMA step records are prefixes of a longer conversation "
                f"of the same query and were folded into it ({len(kept)} trajectories)"
            )
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
