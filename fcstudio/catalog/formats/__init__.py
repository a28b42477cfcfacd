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
        read = importlib.import_module(f"fcstudio.catalog.formats.{self.module}").read
        name = self.name

        def read_or_hint(path: str, *args: object, **kwargs: object) -> tuple[ImportBatch, str]:
            """The format's reader; its error says which format the file looks like when it is another one."""
            try:
                return read(path, *args, **kwargs)
            except FormatError as exc:
                from fcstudio.catalog.formats.sniff import hint_for

                hint = hint_for(str(path), name, exc.reason)
                if hint:
                    exc.reason = f"{exc.reason} ({hint})"
                    exc.args = (str(exc),)
                raise

        return read_or_hint


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
        Format(
            "toolbench",
            "toolbench",
            "ToolBench tools, G1/G2/G3 queries, DFS/CoT answer files and ToolLLaMA training conversations",
        ),
        Format("apibench", "apibench", "Gorilla APIBench rows {code, api_call, provider, api_data} (JSONL)"),
        Format(
            "tau2-tasks",
            "tau_tasks",
            "tau2-bench tasks.json, or tau-bench v1 tasks / trajectory files (user scenario + gold actions)",
        ),
    )
}


AUTO = "auto"  # not a format: each file's own is sniffed (fcstudio.catalog.formats.sniff)


def get_reader(fmt: str) -> Reader:
    if fmt not in FORMATS:
        raise KeyError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt].reader()


__all__ = ["AUTO", "FORMATS", "Format", "FormatError", "get_reader"]
