"""Importers, one module per outside format; each ``read(path) -> (ImportBatch, content_hash)``.

Importers only read and convert (raising ``FormatError`` naming ``PATH:LINE``); writing is the
ingest module's job, in one transaction per file (or per import, when asked for all or nothing).

``FORMATS`` names each format, its module and what it reads. A module is imported when its reader is first
asked for, so listing the formats (``fcstudio formats``, the CLI's start-up) loads none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fcstudio.catalog.formats.errors import FormatError

if TYPE_CHECKING:
    from fcstudio.models import ImportBatch

Reader = Callable[..., "tuple[ImportBatch, str]"]  # read(path, progress=None)


@dataclass(frozen=True)
class Format:
    name: str
    module: str  # fcstudio.formats.<module>
    summary: str

    def reader(self) -> Reader:
        return importlib.import_module(f"fcstudio.catalog.formats.{self.module}").read


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("openai-tools", "openai_tools", "OpenAI tools entries or bare function specs (JSON, JSONL)"),
        Format(
            "openai-chat", "openai_chat", "OpenAI chat conversations with tools, one per line (JSONL or JSON array)"
        ),
        Format(
            "bfcl",
            "bfcl",
            "BFCL v3/v4 question files (+ possible_answer/ and multi_turn_func_doc/ beside them), or a multi_turn_func_doc file",
        ),
        Format(
            "sharegpt",
            "sharegpt",
            "ShareGPT tool conversations: Glaive v2 / LLaMA-Factory, APIGen-MT, ToolACE (function_call, observation)",
        ),
        Format(
            "hermes", "hermes", "Hermes function-calling v1: <tools>, <tool_call>, <tool_response> tags in the text"
        ),
        Format("xlam", "xlam", "xLAM function-calling rows {id, query, tools, answers} (JSON, JSONL, Parquet)"),
        Format(
            "toolalpaca",
            "toolalpaca",
            "ToolAlpaca eval sets: APIs with Function_Description, Instructions, Golden_Answers (JSON)",
        ),
        Format("toolbench", "toolbench", "ToolBench tool JSON files and G1/G2/G3 query files"),
        Format("apibench", "apibench", "Gorilla APIBench rows {code, api_call, provider, api_data} (JSONL)"),
        Format(
            "tau2-tasks",
            "tau_tasks",
            "tau2-bench tasks.json, or tau-bench v1 tasks / trajectory files (user scenario + gold actions)",
        ),
    )
}


def get_reader(fmt: str) -> Reader:
    if fmt not in FORMATS:
        raise KeyError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt].reader()


__all__ = ["FORMATS", "Format", "FormatError", "get_reader"]
