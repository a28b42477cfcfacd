"""OpenAI chat-format conversations: JSONL (or a JSON array) of ``{"messages": [...], "tools": [...]}``.

The layout of OpenAI's fine-tuning files with tools, and fcstudio's own SFT export: what it writes,
it reads back. Optional ``id`` and ``meta`` are kept.
"""

from __future__ import annotations

from pathlib import Path

from fcstudio.catalog.formats.common import make_messages, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.openai_tools import tool_from_entry
from fcstudio.catalog.formats.reader import RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.models import ImportBatch


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    batch = ImportBatch()
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "conversation")
        ref = obj.get("id", index)
        raw_messages = require(path, rec, obj, "messages", list, ref)
        messages = make_messages(path, rec.line, ref, raw_messages)
        tools_raw = obj.get("tools") or []
        if not isinstance(tools_raw, list):
            raise FormatError(path, "'tools' must be a list", line=rec.line, record=str(ref))
        tools = [tool_from_entry(path, rec, entry, i) for i, entry in enumerate(tools_raw)]
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
    return batch, data.content_hash
