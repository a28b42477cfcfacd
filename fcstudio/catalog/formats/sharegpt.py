"""ShareGPT-style tool conversations: Glaive function-calling v2 as LLaMA-Factory ships it, APIGen-MT-5k, ToolACE.

A record is ``{"conversations": [turn, ...], "tools"?, "system"?}`` (``messages`` is read as well), a turn
``{"from", "value"}`` or ``{"role", "content"}``. Roles: ``human``/``user``, ``gpt``/``assistant``,
``system``, ``function_call`` (the value is the call ``{"name", "arguments"}``, or a list of calls made in
parallel), ``observation``/``tool`` (the result; a JSON list of exactly as many results as calls waiting is
split among them). An assistant turn that is exactly a list of Python-style calls, ``[f(a=1), g(b="x")]``
(ToolACE), is read as those calls; ToolACE names the tools as listed, spaces and all (``[Market Trends
API(country="us")]``), and such a list is read as calls when a tool result follows it. ``tools`` is a list or a JSON string of one; without it (or when it is empty), a JSON list of
functions in the system prompt (ToolACE) is used. Loose type names in tool parameters are mapped as for xLAM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_messages, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, tracked
from fcstudio.catalog.formats.turns import Turns, parse_call, python_calls, tools_from
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import ImportBatch

USER = ("human", "user")
ASSISTANT = ("gpt", "assistant", "chatgpt", "bing", "bard")
CALL = ("function_call", "tool_call", "function_calls")
RESULT = ("observation", "tool", "function", "function_response", "tool_response", "ipython")
ROLES = (*USER, *ASSISTANT, *CALL, *RESULT, "system")


def conversation_of(path: str, rec: Record, obj: dict[str, Any], ref: Any) -> list[tuple[str, Any]]:
    """The record's turns as (role, value), checked; the role names are the file's own, lower-cased."""
    turns = obj.get("conversations", obj.get("conversation", obj.get("messages")))
    if turns is None:
        raise FormatError(path, "missing field 'conversations' (a list of turns)", line=rec.line, record=str(ref))
    if not isinstance(turns, list):
        raise FormatError(path, "'conversations' must be a list of turns", line=rec.line, record=str(ref))
    out = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise FormatError(path, f"conversations[{i}] must be an object", line=rec.line, record=str(ref))
        role = turn.get("from", turn.get("role"))
        if not isinstance(role, str):
            raise FormatError(
                path, f"conversations[{i}] has no 'from' (or 'role') naming who speaks", line=rec.line, record=str(ref)
            )
        value = turn.get("value", turn.get("content"))
        out.append((role.lower(), value))
    return out


def _result_next(turns: list[tuple[str, Any]], i: int) -> bool:
    return i + 1 < len(turns) and turns[i + 1][0] in RESULT


def _looks_like_calls(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("[") and value.strip().endswith(")]")


def system_tools(text: str) -> Any:
    """The first JSON list of functions in a system prompt (ToolACE writes its tools there), else None."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    tries = 0
    while start != -1 and tries < 50:
        tries += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
            return value
        start = text.find("[", start + 1)
    return None


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path, parquet=True)
    if not data.records:
        raise FormatError(path, "holds no conversations")
    mapper = TypeMapper("python")
    fname = Path(path).name
    batch = ImportBatch()
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "conversation")
        ref = obj.get("id", index)
        turns = conversation_of(path, rec, obj, ref)
        built = Turns(path, rec.line, ref)
        system = obj.get("system")
        if isinstance(system, str) and system.strip() and not any(r == "system" for r, _ in turns):
            built.text("system", system)
        for i, (role, value) in enumerate(turns):
            where = f"conversations[{i}] ({role})"
            if role not in ROLES:
                raise built.fail(f"{where}: unknown role; known: {', '.join(ROLES)}")
            if role in CALL:
                raw = value
                if isinstance(value, str):
                    try:
                        raw = json.loads(value)
                    except json.JSONDecodeError:
                        raise built.fail(f"{where}: the call is not JSON") from None
                items = raw if isinstance(raw, list) else [raw]
                if not items:
                    raise built.fail(f"{where}: an empty list of calls (the turn calls nothing)")
                built.calls([parse_call(built, item, f"{where}[{k}]") for k, item in enumerate(items)])
            elif role in RESULT:
                if not built.waiting and i and turns[i - 1][0] in ASSISTANT and _looks_like_calls(turns[i - 1][1]):
                    raise built.fail(
                        f"{where}: a tool result, but no function call is waiting for one: conversations[{i - 1}] "
                        "looks like a list of calls [f(a=1)] that could not be read"
                    )
                built.results(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), where)
            elif not isinstance(value, str | None):
                raise built.fail(f"{where}: the value must be text")
            elif role in ASSISTANT and value and (calls := python_calls(value, _result_next(turns, i))) is not None:
                built.calls(calls)
            else:
                built.text("system" if role == "system" else "user" if role in USER else "assistant", value)
        tools_raw = obj.get("tools")
        if tools_raw in ([], "[]", ""):  # an empty column (LLaMA-Factory's conversions) leaves the system prompt's
            tools_raw = None
        if tools_raw is None and isinstance(system, str):
            tools_raw = system_tools(system)
        if tools_raw is None:
            first = next((v for r, v in turns if r == "system" and isinstance(v, str)), None)
            tools_raw = system_tools(first) if first else None
        tools = tools_from(path, rec, ref, tools_raw, mapper, fname) if tools_raw is not None else []
        meta = {k: obj[k] for k in ("id", "category", "source") if k in obj}
        batch.trajectories.append(
            make_trajectory(
                path,
                rec.line,
                ref,
                source_ref=f"{fname}:{ref}",
                messages=make_messages(path, rec.line, ref, built.messages),
                tools=tools,
                meta=meta,
            )
        )
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
