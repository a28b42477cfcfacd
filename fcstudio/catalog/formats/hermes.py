"""Hermes function-calling v1 (NousResearch): ShareGPT turns whose calls and results are tags in the text.

The system turn lists the tools inside ``<tools> ... </tools>`` (a JSON list, or Python-literal text, of OpenAI
tool entries or bare functions; or a ``tools`` column); an assistant (``gpt``) turn calls them with one
``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` block per call (several make parallel calls; the
text outside the blocks stays the message's content); a ``tool`` turn (or a ``human`` turn made only of
them) answers with ``<tool_response> ... </tool_response>`` blocks, one per call, in call order.
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
from fcstudio.models import ImportBatch

TOOLS = re.compile(r"<tools>(.*?)</tools>", re.S)
CALL = re.compile(r"<tool_call>(.*?)</tool_call>", re.S)
RESPONSE = re.compile(r"<tool_response>(.*?)</tool_response>", re.S)


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
        tools_raw: Any = obj.get("tools")
        tagged = False
        for i, (role, value) in enumerate(turns):
            where = f"conversations[{i}] ({role})"
            if not isinstance(value, str | None):
                raise built.fail(f"{where}: the value must be text")
            text = value or ""
            if role == "system":
                found = TOOLS.search(text)
                if found and tools_raw is None:
                    tools_raw = found.group(1).strip()
                built.text("system", value)
            elif role in ASSISTANT:
                blocks = CALL.findall(text)
                if blocks:
                    tagged = True
                    calls = [parse_call(built, b.strip(), f"{where} <tool_call> {k}") for k, b in enumerate(blocks)]
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
        if isinstance(tools_raw, str):
            tools_raw = _tool_list(tools_raw)
        tools = tools_from(path, rec, ref, tools_raw, mapper, fname) if tools_raw is not None else []
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
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
