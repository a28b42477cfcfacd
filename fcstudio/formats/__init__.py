"""Importers, one module per outside format; each ``read(path) -> (ImportBatch, content_hash)``.

Importers only read and convert (raising ``FormatError`` naming ``PATH:LINE``); writing is the
ingest module's job, in one transaction per import.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from fcstudio.formats import apibench, bfcl, openai_chat, openai_tools, tau_tasks, toolalpaca, toolbench, xlam
from fcstudio.formats.errors import FormatError
from fcstudio.models import ImportBatch

IMPORTERS: dict[str, ModuleType] = {
    m.NAME: m for m in (openai_tools, openai_chat, bfcl, xlam, toolalpaca, toolbench, apibench, tau_tasks)
}

Reader = Callable[..., tuple[ImportBatch, str]]  # read(path, progress=None)


def get_reader(fmt: str) -> Reader:
    if fmt not in IMPORTERS:
        raise KeyError(f"unknown format {fmt!r}; known: {', '.join(IMPORTERS)}")
    return IMPORTERS[fmt].read


__all__ = ["IMPORTERS", "FormatError", "get_reader"]
