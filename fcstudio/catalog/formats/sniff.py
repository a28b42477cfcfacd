"""Which known format a file is, from its first record: ``import auto`` and the hints in import errors.

Only the first record is read (the first element of a JSON array, the first line of JSON lines, the first row
of a Parquet file), so telling the format of a file of millions of records costs milliseconds. Each format has
a signature: the fields that mark it. When no signature fits, the format whose fields the record shares most
is named with the fields it lacks, so the user sees how far the file is from what we read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEAD_BYTES = 1 << 20  # read this much first; more only when the first record is longer


@dataclass(frozen=True)
class Sniffed:
    format: str
    reason: str  # what in the file said so


class NoFormatFits(ValueError):
    """No signature fits; ``closest`` and ``missing`` name the nearest format and what it lacks."""

    def __init__(
        self,
        path: str,
        reason: str,
        closest: str | None = None,
        missing: tuple[str, ...] = (),
        *,
        companion: bool = False,
    ):
        self.path, self.reason, self.closest, self.missing = path, reason, closest, missing
        self.companion = companion  # read by another file's import (BFCL's possible_answer/ ...), not on its own
        near = ""
        if closest:
            lacks = ", ".join(repr(m) for m in missing)
            near = f"; closest is {closest}, which needs {lacks}" if missing else f"; closest is {closest}"
        super().__init__(f"{path}: no known format fits: {reason}{near}")


# --- the first record ---------------------------------------------------------------------------------------


def first_record(path: str | Path) -> tuple[str, Any]:
    """(layout, first record): layout is json-array, json-object, jsonl or parquet."""
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(4)
        if head == b"PAR1":
            return "parquet", _parquet_first(p)
        fh.seek(0)
        data = fh.read(HEAD_BYTES)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        raise NoFormatFits(str(path), "the file is empty")
    decoder = json.JSONDecoder()
    if text[0] == "[":
        body = text[1:].lstrip()
        if body.startswith("]"):
            raise NoFormatFits(str(path), "the JSON array is empty")
        value = _decode_prefix(p, decoder, body, lambda t: t[t.index("[") + 1 :].lstrip())
        return "json-array", value
    if text[0] == "{":
        try:  # one JSON object for the whole file, or JSON lines: the first line tells
            value, end = decoder.raw_decode(text)
        except json.JSONDecodeError:
            value = _decode_prefix(p, decoder, text, lambda t: t)
            return "json-object", value
        rest = text[end:].lstrip()
        return ("jsonl" if rest.startswith("{") else "json-object"), value
    raise NoFormatFits(str(path), "not JSON, JSON lines or Parquet (it does not start with '[', '{' or PAR1)")


def _decode_prefix(p: Path, decoder: json.JSONDecoder, text: str, strip: Callable[[str], str]) -> Any:
    try:
        return decoder.raw_decode(text)[0]
    except json.JSONDecodeError:
        pass
    full = strip(p.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n"))
    try:
        return decoder.raw_decode(full)[0]
    except json.JSONDecodeError as exc:
        raise NoFormatFits(str(p), f"the first record is not valid JSON ({exc.msg} at char {exc.pos})") from None


def _parquet_first(p: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        for batch in pq.ParquetFile(p).iter_batches(batch_size=1):
            rows = batch.to_pylist()
            if rows:
                return rows[0]
    except Exception as exc:  # pyarrow raises several kinds for a broken file
        raise NoFormatFits(str(p), f"not a readable Parquet file ({exc})") from None
    raise NoFormatFits(str(p), "the Parquet file has no rows")


# --- signatures -----------------------------------------------------------------------------------------------

# the fields that mark each format, for naming the closest one when nothing fits
SIGNATURES: dict[str, tuple[str, ...]] = {
    "openai-tools": ("name", "description", "parameters"),
    "openai-chat": ("messages", "tools"),
    "sharegpt": ("conversations", "tools"),
    "hermes": ("conversations",),
    "xlam": ("query", "tools", "answers"),
    "bfcl": ("id", "question", "function"),
    "toolalpaca": ("Name", "Function_Description", "Instructions", "Golden_Answers"),
    "toolbench": ("tool_name", "api_list"),
    "apibench": ("code", "api_call", "api_data"),
    "tau2-tasks": ("id", "user_scenario", "evaluation_criteria"),
}


def _turn_texts(turns: list[Any]) -> list[tuple[str, str]]:
    out = []
    for t in turns:
        if isinstance(t, dict):
            role = t.get("from", t.get("role"))
            value = t.get("value", t.get("content"))
            out.append((str(role), value if isinstance(value, str) else ""))
    return out


def _conversation_format(turns: list[Any]) -> Sniffed:
    texts = _turn_texts(turns)
    roles = {r for r, _ in texts}
    react = any(r == "assistant" and "Action:" in v and "\nAction Input:" in v for r, v in texts)
    if react and ("function" in roles or any(r == "system" and "following APIs" in v for r, v in texts)):
        return Sniffed("toolbench", "ToolLLaMA conversations (assistant 'Action:' / 'Action Input:' turns)")
    if any("<tool_call>" in v or "<tools>" in v or "<tool_response>" in v for _, v in texts):
        return Sniffed("hermes", "conversations with <tools> / <tool_call> tags in the text")
    return Sniffed("sharegpt", "ShareGPT 'conversations' turns")


def _looks_like_tool(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    fn: dict[str, Any] = value["function"] if isinstance(value.get("function"), dict) else value
    return isinstance(fn.get("name"), str) and ("parameters" in fn or "description" in fn)


# BFCL's folders whose files the question files' import reads
COMPANION_FOLDERS = {
    "possible_answer": "the BFCL question file of the same name (its gold answers)",
    "memory_prereq_conversation": "BFCL_v4_memory.json (the conversations its questions build on)",
}

# files people meet beside the ones we import, and what to do with them instead
NOT_CATALOG: tuple[tuple[Callable[[dict[str, Any]], bool], str], ...] = (
    (
        lambda r: isinstance(r.get("simulations"), list),
        "a tau2 results file: import it with `eval import tau2-results`",
    ),
    (
        lambda r: "model_name" in r and ("results" in r or "trajectories_available" in r),
        "a tau2 leaderboard submission: import it with `eval import tau2-leaderboard`",
    ),
    (
        lambda r: set(r) >= {"id", "ground_truth"} and "question" not in r,
        "a BFCL possible_answer file: import the question file of the same name beside its folder (format bfcl)",
    ),
)


def classify(record: Any, path: str = "") -> Sniffed | None:
    """The format of a file whose first record is ``record``; None when no signature fits."""
    if Path(path).name.startswith("BFCL_") and "format_sensitivity" in Path(path).name:
        return Sniffed("bfcl", "BFCL's format_sensitivity file (by name)")
    if isinstance(record, list):  # a JSON array of arrays: look at the first inner item
        return classify(record[0], path) if record else None
    if not isinstance(record, dict):
        return None
    keys = set(record)
    if "multi_turn_func_doc" in Path(path).parts and _looks_like_tool(record):
        return Sniffed("bfcl", "a BFCL multi_turn_func_doc file")
    if "answer_generation" in keys:
        return Sniffed("toolbench", "a ToolBench answer file (answer_generation)")
    if isinstance(record.get("conversations"), list):
        return _conversation_format(record["conversations"])
    if isinstance(record.get("messages"), list):
        texts = _turn_texts(record["messages"])
        if any("<tool_call>" in v or "<tools>" in v for _, v in texts) and "tools" not in keys:
            return Sniffed("hermes", "messages with <tools> / <tool_call> tags in the text")
        return Sniffed("openai-chat", "OpenAI chat 'messages'")
    if {"code", "api_call", "api_data"} <= keys:
        return Sniffed("apibench", "APIBench rows (code, api_call, api_data)")
    if {"query", "tools", "answers"} <= keys:
        return Sniffed("xlam", "xLAM rows (query, tools, answers)")
    if "api_list" in keys and ("query" in keys or "tool_name" in keys):
        kind = "query" if "query" in keys else "tool"
        return Sniffed("toolbench", f"a ToolBench {kind} (api_list)")
    if "question" in keys and "id" in keys and ("function" in keys or "involved_classes" in keys):
        return Sniffed("bfcl", "BFCL questions (id, question, function)")
    if {"Function_Description", "Instructions"} <= keys:
        return Sniffed("toolalpaca", "ToolAlpaca APIs (Function_Description, Instructions)")
    if isinstance(record.get("tasks"), list) and record["tasks"]:
        inner = classify(record["tasks"][0], path)
        return Sniffed("tau2-tasks", "a tau2 task list") if inner and inner.format == "tau2-tasks" else None
    if "user_scenario" in keys or "evaluation_criteria" in keys:
        return Sniffed("tau2-tasks", "tau2-bench tasks (user_scenario, evaluation_criteria)")
    if {"instruction", "actions"} <= keys or (isinstance(record.get("info"), dict) and "task" in record["info"]):
        return Sniffed("tau2-tasks", "tau-bench v1 tasks (instruction, actions)")
    if _looks_like_tool(record):
        return Sniffed("openai-tools", "tool definitions (name, description, parameters)")
    tools = record.get("tools")
    if isinstance(tools, list) and tools and all(_looks_like_tool(t) for t in tools[:5]):
        return Sniffed("openai-tools", "an object with a 'tools' list")
    lists = [v for v in record.values() if isinstance(v, list)]
    if lists and len(lists) == len(record) and all(_looks_like_tool(x) for v in lists for x in v[:3] if v):
        return Sniffed("openai-tools", "tools grouped by category ({category: [tools]})")
    return None


def closest(record: Any) -> tuple[str | None, tuple[str, ...]]:
    """The format whose signature shares most fields with the record, and the fields it lacks."""
    if not isinstance(record, dict):
        return None, ()
    keys = set(record)
    best, best_score = None, 0.0
    for fmt, fields in SIGNATURES.items():
        score = len(keys & set(fields)) / len(fields)
        if score > best_score:
            best, best_score = fmt, score
    if best is None:
        return None, ()
    return best, tuple(f for f in SIGNATURES[best] if f not in keys)


def sniff(path: str | Path) -> Sniffed:
    """The format of ``path``, or NoFormatFits naming the closest one and what it lacks."""
    parts = Path(path).parts
    for folder, of in COMPANION_FOLDERS.items():
        if folder in parts[:-1]:
            raise NoFormatFits(str(path), f"this is read with {of}", companion=True)
    layout, record = first_record(path)
    if isinstance(record, dict):
        for test, what in NOT_CATALOG:
            if test(record):
                raise NoFormatFits(str(path), f"this is {what}")
    found = classify(record, str(path))
    if found is not None:
        return found
    near, missing = closest(record)
    if isinstance(record, dict):
        shown = ", ".join(repr(k) for k in list(record)[:8]) or "no fields"
        reason = f"the first record ({layout}) has {shown}"
    else:
        reason = f"the first record ({layout}) is a {type(record).__name__}, not an object"
    raise NoFormatFits(str(path), reason, near, missing)


def hint_for(path: str, asked: str, reason: str = "") -> str | None:
    """When ``path`` is really another known format than ``asked``, a sentence saying which; None when it is
    not, or when the error's ``reason`` names that format already."""
    try:
        found = sniff(path)
    except (NoFormatFits, OSError):
        return None
    if found.format == asked or f"'{found.format}'" in reason:
        return None
    return f"this looks like format '{found.format}' ({found.reason}); import it as '{found.format}' or 'auto'"


@dataclass
class Grouping:
    """Files by the format each will be imported as, and the ones that will not be."""

    groups: dict[str, list[str]]
    chosen: list[tuple[str, Sniffed]]  # auto only: what each file was told to be
    unfit: list[tuple[str, str]]  # (path, why no format fits)
    companions: list[tuple[str, str]]  # (path, which file's import reads it)


def group_files(fmt: str, paths: list[str]) -> Grouping:
    """All under ``fmt``; with ``auto``, each file under its own format (told by ``sniff``)."""
    if fmt != "auto":
        return Grouping({fmt: list(paths)}, [], [], [])
    out = Grouping({}, [], [], [])
    for path in paths:
        try:
            found = sniff(path)
        except NoFormatFits as exc:
            (out.companions if exc.companion else out.unfit).append((path, exc.reason if exc.companion else str(exc)))
            continue
        except OSError as exc:
            out.unfit.append((path, f"{path}: cannot be read ({exc.strerror or exc})"))
            continue
        out.groups.setdefault(found.format, []).append(path)
        out.chosen.append((path, found))
    return out
