"""Hermes function-calling v1 (NousResearch): ShareGPT turns whose calls and results are tags in the text.

The system turn lists the tools inside ``<tools> ... </tools>`` (a JSON list, or Python-literal text, of OpenAI
tool entries or bare functions; or a ``tools`` column). The prompt also names the tags in prose ("signatures
within <tools> </tools> XML tags"): blank blocks are such mentions and are passed over. An assistant (``gpt``)
turn calls them with one ``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` block per call (several
make parallel calls; the text outside the blocks stays the message's content); a ``tool`` turn (or a ``human``
turn made only of them) answers with ``<tool_response> ... </tool_response>`` blocks, one per call, in call order.

Two slips of the published data are read, not refused: a block padded with a written ``\\n`` (backslash, n)
instead of a newline, and a call whose function name sits inside its ``arguments`` (the structured-extraction
records) when that name is a listed tool without a ``name`` parameter; the latter is counted in a warning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_messages, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import RecordProgress, expect_dict, read_file, tracked
from fcstudio.catalog.formats.sharegpt import ASSISTANT, RESULT, USER, conversation_of
from fcstudio.catalog.formats.sharegpt import CALL as CALL_TURNS
from fcstudio.catalog.formats.turns import Turns, loads_loose, parse_call, tools_from
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import ImportBatch, ToolSpec

TOOLS = re.compile(r"<tools>(.*?)</tools>", re.S)
CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.S)
RESPONSE = re.compile(r"<tool_response>(.*?)</tool_response>", re.S)
PADDING = re.compile(r"^(?:\s|\\[rn])+|(?:\s|\\[rn])+$")  # whitespace, or a written "\n", around a tag's inside
SHOWN = 5  # records named in a warning


def _inside(block: str) -> str:
    """A tag's inside without the padding around it (an object cannot begin or end with a backslash)."""
    return PADDING.sub("", block)


def _tool_list(text: str) -> Any:
    """``<tools>`` holds a list (JSON or Python literal) or JSON objects one after another."""
    value = loads_loose(text)
    if value is not None:
        return value
    decoder, out, pos = json.JSONDecoder(), [], 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return text  # tools_from names it as not a list of tools
        out.append(item)
    return out


def _system_tools(text: str) -> Any:
    """The tools of the ``<tools>`` blocks that hold something, joined; None when every block is blank."""
    blocks = [b for b in (_inside(b) for b in TOOLS.findall(text)) if b]
    if not blocks:
        return None
    tools: list[Any] = []
    for block in blocks:
        value = _tool_list(block)
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            return value  # tools_from names it as not a list of tools
        tools.extend(value)
    return tools


def _call_value(block: str, tools: dict[str, ToolSpec], misplaced: list[str], ref: Any) -> Any:
    """A ``<tool_call>`` block's value; a function name written inside ``arguments`` is moved out when it names
    a listed tool that has no ``name`` parameter (``misplaced`` collects the record)."""
    text = _inside(block)
    value = loads_loose(text)
    if value is None:
        return text  # parse_call names it as not a call
    if not isinstance(value, dict) or isinstance(value.get("name"), str):
        return value
    args = value.get("arguments")
    if not isinstance(args, dict) or not isinstance(args.get("name"), str):
        return value
    tool = tools.get(args["name"])
    if tool is None or "name" in (tool.parameters.get("properties") or {}):
        return value
    misplaced.append(str(ref))
    return {"name": args["name"], "arguments": {k: v for k, v in args.items() if k != "name"}}


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path, parquet=True)
    if not data.records:
        raise FormatError(path, "holds no conversations")
    mapper = TypeMapper("python")
    fname = Path(path).name
    batch = ImportBatch()
    misplaced: list[str] = []
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "conversation")
        ref = obj.get("id", index)
        turns = conversation_of(path, rec, obj, ref)
        built = Turns(path, rec.line, ref)
        tools_raw: Any = obj.get("tools")
        where_tools = "tools"
        if tools_raw is None:
            for role, value in turns:
                if role == "system" and isinstance(value, str) and (found := _system_tools(value)) is not None:
                    tools_raw, where_tools = found, "<tools> of the system turn"
                    break
        elif isinstance(tools_raw, str):
            tools_raw = _tool_list(tools_raw)
        tools = tools_from(path, rec, ref, tools_raw, mapper, fname, where_tools) if tools_raw is not None else []
        by_name = {t.name: t for t in tools}
        tagged = False
        for i, (role, value) in enumerate(turns):
            where = f"conversations[{i}] ({role})"
            if not isinstance(value, str | None):
                raise built.fail(f"{where}: the value must be text")
            text = value or ""
            if role == "system":
                built.text("system", value)
            elif role in ASSISTANT:
                blocks = CALL.findall(text)
                if blocks:
                    tagged = True
                    calls = [
                        parse_call(built, _call_value(b, by_name, misplaced, ref), f"{where} <tool_call> {k}")
                        for k, b in enumerate(blocks)
                    ]
                    built.calls(calls, CALL.sub("", text).strip() or None)
                else:
                    built.text("assistant", value)
            elif role in RESULT or (role in USER and RESPONSE.search(text) and not RESPONSE.sub("", text).strip()):
                blocks = RESPONSE.findall(text) or [text]
                for k, block in enumerate(blocks):
                    built.result(block.strip(), f"{where} <tool_response> {k}")
            elif role in USER:
                built.text("user", value)
            elif role in CALL_TURNS:
                raise built.fail(
                    f"{where}: Hermes data has no call turns; this looks like ShareGPT tool data, format 'sharegpt'"
                )
            else:
                raise built.fail(f"{where}: unknown role for Hermes turns (system, human, gpt, tool)")
        if not tagged and tools_raw is None:
            raise FormatError(
                path,
                "no <tools> in the system turn and no <tool_call> in any assistant turn: not Hermes function-calling "
                "data (plain ShareGPT tool data is format 'sharegpt')",
                line=rec.line,
                record=str(ref),
            )
        meta = {k: obj[k] for k in ("id", "category", "subcategory", "task", "source") if k in obj}
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
    if misplaced:
        shown = ", ".join(misplaced[:SHOWN]) + (", ..." if len(misplaced) > SHOWN else "")
        batch.warnings.append(
            f"{path}: {len(misplaced)} <tool_call>(s) wrote the function's name inside 'arguments' (record(s) "
            f"{shown}); read as the call's name"
        )
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
