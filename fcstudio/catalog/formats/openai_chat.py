"""OpenAI chat-format conversations: JSONL (or a JSON array) of ``{"messages": [...], "tools": [...]}``.

The layout of OpenAI's fine-tuning files with tools, and fcstudio's own SFT export: what it writes,
it reads back. Optional ``id`` and ``meta`` are kept. Also read: ``content`` as a list of parts (OpenAI's
``{"type": "text", "text"}``, and LLaMA-Factory's ``{"type", "value"}`` with ``reasoning`` and ``tool_call``
parts), ``tools`` as a JSON string, and tool messages without ``tool_call_id`` (they answer the oldest call
still waiting). Parts that are not text (images, audio) are left out, with a warning counting them.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats.common import make_messages, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.openai_tools import tool_from_entry
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.turns import Turns, loads_loose, parse_call
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import ImportBatch


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    batch = ImportBatch()
    dropped: Counter[str] = Counter()
    mapper = TypeMapper("python")
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "conversation")
        ref = obj.get("id", index)
        if "messages" not in obj and "conversations" in obj:
            raise FormatError(
                path,
                "missing field 'messages'; this record has 'conversations', so it looks like ShareGPT data: "
                "import it as format 'sharegpt' (or 'hermes' when calls are <tool_call> tags)",
                line=rec.line,
                record=str(ref),
            )
        raw_messages = require(path, rec, obj, "messages", list, ref)
        messages = make_messages(path, rec.line, ref, _plain_messages(path, rec, ref, raw_messages, dropped))
        tools_raw = obj.get("tools") or []
        if isinstance(tools_raw, str):
            tools_raw = loads_loose(tools_raw)
        if not isinstance(tools_raw, list):
            raise FormatError(path, "'tools' must be a list (or a JSON string of one)", line=rec.line, record=str(ref))
        tools = [tool_from_entry(path, rec, entry, i, mapper, batch.warnings) for i, entry in enumerate(tools_raw)]
        meta = obj.get("meta", {})
        if not isinstance(meta, dict):
            raise FormatError(path, "'meta' must be an object", line=rec.line, record=str(ref))
        batch.trajectories.append(
            make_trajectory(
                path,
                rec.line,
                ref,
                source_ref=f"{Path(path).name}:{ref}",
                messages=messages,
                tools=tools,
                meta=meta,
            )
        )
    if not data.records:
        raise FormatError(path, "holds no conversations")
    batch.warnings.extend(mapper.warnings)
    for kind, n in sorted(dropped.items()):
        batch.warnings.append(f"{path}: {n} content part(s) of type {kind!r} left out (only text is stored)")
    return batch, data.content_hash


TEXT_PARTS = ("text", "input_text", "output_text")
REASONING_PARTS = ("reasoning", "thinking")


def _plain_messages(path: str, rec: Record, ref: Any, raw: list[Any], dropped: Counter[str]) -> list[Any]:
    """Messages with content-part lists flattened and tool results given the id of the call they answer."""
    turns = Turns(path, rec.line, ref)
    out: list[Any] = []
    pending: list[str] = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict):
            out.append(m)  # make_messages names it
            continue
        m = dict(m)
        content = m.get("content")
        if isinstance(content, list):
            texts, thoughts, calls = [], [], []
            for k, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise turns.fail(f"messages[{i}].content[{k}] must be an object with a string 'type'")
                value = part.get("text", part.get("value"))
                if part["type"] in TEXT_PARTS and isinstance(value, str):
                    texts.append(value)
                elif part["type"] in REASONING_PARTS and isinstance(value, str):
                    thoughts.append(value)
                elif part["type"] == "tool_call":
                    calls.append(parse_call(turns, value, f"messages[{i}].content[{k}]"))
                else:
                    dropped[part["type"]] += 1
            m["content"] = "\n".join(texts) if texts else None
            if thoughts:
                m.setdefault("reasoning_content", "\n".join(thoughts))
            if calls:
                m["tool_calls"] = [*(m.get("tool_calls") or []), *turns.tool_calls(calls)]
        if m.get("role") == "assistant" and m.get("tool_calls"):
            pending = [str(c["id"]) for c in m["tool_calls"] if isinstance(c, dict) and c.get("id")]
        elif m.get("role") == "tool":
            if m.get("tool_call_id") is None and pending:
                parts = loads_loose(m["content"]) if len(pending) > 1 and isinstance(m.get("content"), str) else None
                if isinstance(parts, list) and len(parts) == len(pending):  # one message answering parallel calls
                    for part in parts:
                        text = part if isinstance(part, str) else json.dumps(part, ensure_ascii=False)
                        out.append({**m, "tool_call_id": pending.pop(0), "content": text})
                    continue
                m["tool_call_id"] = pending.pop(0)
            elif m.get("tool_call_id") in pending:
                pending.remove(m["tool_call_id"])
        out.append(m)
    return out
