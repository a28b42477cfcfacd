"""BFCL v3/v4 question files (single-turn and multi-turn) with gold from ``possible_answer/``.

Layout (one JSON object per line): ``{"id", "question": [[messages] per turn], "function": [docs]}``.
Multi-turn questions carry ``involved_classes`` instead of ``function``; their docs come from
``multi_turn_func_doc/`` beside the file, and ``missed_function`` / ``excluded_function`` say which
functions are held back. Gold answers sit in ``possible_answer/<same file name>`` when present:
single-turn as ``{func: {param: [allowed values]}}`` (``""`` among them = optional), multi-turn as
Python call strings per turn.

A ``multi_turn_func_doc/`` file itself (named as BFCL names it, e.g. ``gorilla_file_system.json``; fcstudio ships
copies in ``fcstudio/envs/bfcl/data/func_doc/``) imports its class's tools alone, labelled ``bfcl:<Class>`` as the
questions' copies are, so a catalogue can hold the executable BFCL tools without BFCL's question files.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.common import make_messages, make_task, make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import GoldCall, ImportBatch, ToolSpec

# BFCL's multi-turn API classes and the doc file each one's functions live in.
CLASS_DOCS = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
}


def category_of(path: str, first_id: str | None) -> str:
    m = re.match(r"BFCL_v\d+_(.+?)\.jsonl?$", Path(path).name)
    if m:
        return m.group(1)
    if first_id:
        return re.sub(r"_\d+(-\d+)*$", "", first_id)
    return "unknown"


def language_of(category: str) -> str:
    """A BFCL category's language (``simple_javascript`` is JavaScript, not Java)."""
    if "javascript" in category:
        return "javascript"
    if "java" in category:
        return "java"
    return "python"


class _ToolCache:
    """One ToolSpec per distinct function doc, so repeated docs are converted and checked once."""

    def __init__(self, path: str, mapper: TypeMapper):
        self.path = path
        self.mapper = mapper
        self.cache: dict[str, ToolSpec] = {}

    def tool(self, doc: Any, rec: Record, ref: str, labels: list[str]) -> ToolSpec:
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
            raise FormatError(
                self.path, "function doc must be an object with a string 'name'", line=rec.line, record=ref
            )
        key = hashlib.sha1(repr((sorted(doc.items(), key=lambda kv: kv[0]), labels)).encode()).hexdigest()
        if key in self.cache:
            return self.cache[key]
        name = doc["name"]
        try:
            params = self.mapper.schema(doc.get("parameters", {"type": "dict", "properties": {}}), name, top=True)
            params.setdefault("type", "object")
            params.setdefault("properties", {})
            returns = (
                self.mapper.schema(doc["response"], f"{name}->") if isinstance(doc.get("response"), dict) else None
            )
        except ValueError as exc:
            raise FormatError(self.path, f"function {name!r}: {exc}", line=rec.line, record=ref) from None
        spec = make_tool(
            self.path,
            rec.line,
            ref,
            generated=True,
            name=name,
            description=str(doc.get("description", "")),
            parameters=params,
            returns=returns,
            labels=labels,
            source_ref=f"{Path(self.path).name}:{ref}",
        )
        self.cache[key] = spec
        return spec


def class_tools(path: str, cls: str, records: list[Record]) -> list[ToolSpec]:
    """One API class's tools from its function-doc records, as a multi-turn question's import makes them."""
    cache = _ToolCache(path, TypeMapper("python"))
    out = []
    for rec in records:
        name = rec.value.get("name") if isinstance(rec.value, dict) else None
        out.append(cache.tool(rec.value, rec, name if isinstance(name, str) else str(rec.line), [f"bfcl:{cls}"]))
    return out


def _read_func_docs(path: str, cls: str, progress: RecordProgress | None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    if not data.records:
        raise FormatError(path, "holds no function docs")
    for _, rec in tracked(data.records, progress):
        if isinstance(rec.value, dict) and "question" in rec.value:
            raise FormatError(path, f"a question in a function-doc file (its name says {cls})", line=rec.line)
    tools = class_tools(path, cls, data.records)
    seen: set[str] = set()
    for tool, rec in zip(tools, data.records, strict=True):
        if tool.name in seen:
            raise FormatError(path, f"function {tool.name!r} is documented twice", line=rec.line, record=tool.name)
        seen.add(tool.name)
    return ImportBatch(tools=tools), hashlib.sha256(f"{data.content_hash}\x00{cls}".encode()).hexdigest()


def _answers(path: str) -> tuple[dict[str, tuple[int, Any]], str | None, str]:
    """Gold answers by id from ``possible_answer/<name>`` beside ``path`` (empty when absent)."""
    answer_path = Path(path).parent / "possible_answer" / Path(path).name
    if not answer_path.is_file():
        return {}, None, ""
    data = read_file(answer_path)
    out: dict[str, tuple[int, Any]] = {}
    for rec in data.records:
        obj = expect_dict(str(answer_path), rec, "answer")
        ident = require(str(answer_path), rec, obj, "id", str)
        truth = require(str(answer_path), rec, obj, "ground_truth", list, ident)
        out[ident] = (rec.line, truth)
    return out, str(answer_path), data.content_hash


def _class_docs(
    path: str, classes: list[str], rec: Record, ref: str, loaded: dict[str, list[Record]]
) -> dict[str, list[Record]]:
    doc_dir = Path(path).parent / "multi_turn_func_doc"
    out = {}
    for cls in classes:
        if cls not in CLASS_DOCS:
            raise FormatError(
                path, f"unknown multi-turn class {cls!r} (known: {', '.join(CLASS_DOCS)})", line=rec.line, record=ref
            )
        if cls not in loaded:
            doc_path = doc_dir / CLASS_DOCS[cls]
            if not doc_path.is_file():
                raise FormatError(
                    path,
                    f"multi-turn question needs {doc_path} (multi_turn_func_doc/ beside the file)",
                    line=rec.line,
                    record=ref,
                )
            loaded[cls] = read_file(doc_path).records
        out[cls] = loaded[cls]
    return out


def single_turn_gold(path: str, line: int, ref: str, truth: list[Any]) -> list[GoldCall]:
    gold = []
    for call in truth:
        if not isinstance(call, dict) or len(call) != 1:
            raise FormatError(
                path, "each ground_truth entry must be {function: {param: [values]}}", line=line, record=ref
            )
        ((name, params),) = call.items()
        if not isinstance(params, dict):
            raise FormatError(
                path, f"ground_truth for {name!r} must map parameters to allowed values", line=line, record=ref
            )
        alternatives = {k: (v if isinstance(v, list) else [v]) for k, v in params.items()}
        arguments = {
            k: next((x for x in v if x != ""), v[0] if v else None) for k, v in alternatives.items() if v and v != [""]
        }
        gold.append(GoldCall(name=name, arguments=arguments, alternatives=alternatives))
    return gold


def parse_call(text: str, param_order: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """``mv(source='a', destination='b')`` -> ("mv", {...}); positional args named by the doc's order."""
    tree = ast.parse(text.strip(), mode="eval")
    if not isinstance(tree.body, ast.Call):
        raise ValueError("not a function call")
    func = tree.body.func
    name = ast.unparse(func)
    order = param_order.get(name, [])
    args: dict[str, Any] = {}
    for i, node in enumerate(tree.body.args):
        key = order[i] if i < len(order) else f"arg{i}"
        args[key] = ast.literal_eval(node)
    for kw in tree.body.keywords:
        if kw.arg is None:
            raise ValueError("**kwargs are not supported in gold calls")
        args[kw.arg] = ast.literal_eval(kw.value)
    return name, args


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    doc_class = {file: cls for cls, file in CLASS_DOCS.items()}.get(Path(path).name)
    if doc_class is not None:
        return _read_func_docs(path, doc_class, progress)
    data = read_file(path)
    if not data.records:
        raise FormatError(path, "holds no questions")
    first = data.records[0].value
    category = category_of(
        path, first.get("id") if isinstance(first, dict) and isinstance(first.get("id"), str) else None
    )
    language = language_of(category)
    mapper = TypeMapper(language)
    cache = _ToolCache(path, mapper)
    answers, answer_path, answer_hash = _answers(path)
    class_records: dict[str, list[Record]] = {}
    hasher = hashlib.sha256((data.content_hash + answer_hash).encode())
    batch = ImportBatch()
    seen_ids: set[str] = set()
    for _, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "question")
        ref = require(path, rec, obj, "id", str)
        if ref in seen_ids:
            raise FormatError(path, f"duplicate id {ref!r}", line=rec.line, record=ref)
        seen_ids.add(ref)
        question = require(path, rec, obj, "question", list, ref)
        turns = [make_messages(path, rec.line, ref, turn, f"question[{i}]") for i, turn in enumerate(question)]
        meta: dict[str, Any] = {"id": ref, "language": language}
        if "involved_classes" in obj:
            classes = require(path, rec, obj, "involved_classes", list, ref)
            docs = _class_docs(path, [str(c) for c in classes], rec, ref, class_records)
            excluded = set(obj.get("excluded_function") or [])
            tools = [
                cache.tool(d.value, d, ref, [f"bfcl:{cls}"])
                for cls, recs in docs.items()
                for d in recs
                if isinstance(d.value, dict) and d.value.get("name") not in excluded
            ]
            for key in ("initial_config", "involved_classes", "missed_function", "excluded_function", "path"):
                if key in obj:
                    meta[key] = obj[key]
        else:
            functions = require(path, rec, obj, "function", list, ref)
            tools = [cache.tool(doc, rec, ref, [f"bfcl:{category}"]) for doc in functions]
        order = {t.name: list((t.parameters.get("properties") or {}).keys()) for t in tools}
        gold: list[GoldCall] = []
        if answers:
            if ref not in answers:
                if "irrelevance" not in category:
                    raise FormatError(str(answer_path), f"no answer for question {ref!r}", record=ref)
            else:
                line, truth = answers[ref]
                if truth and all(isinstance(t, list) for t in truth):
                    for turn_index, calls in enumerate(truth):
                        for text in calls:
                            try:
                                name, args = parse_call(str(text), order)
                            except (SyntaxError, ValueError) as exc:
                                raise FormatError(
                                    str(answer_path), f"gold call {text!r} does not parse: {exc}", line=line, record=ref
                                ) from None
                            bad_text.check_literal(
                                str(answer_path), str(text), args, line=line, record=ref, prefix=("ground_truth", name)
                            )
                            gold.append(GoldCall(name=name, arguments=args, turn=turn_index, raw=str(text)))
                else:
                    gold = single_turn_gold(str(answer_path), line, ref, truth)
        if "irrelevance" in category:
            meta["expects_no_call"] = True
        batch.tasks.append(
            make_task(
                path,
                rec.line,
                ref,
                source_ref=ref,
                benchmark="bfcl",
                category=category,
                domain=",".join(meta.get("involved_classes", [])),
                turns=turns,
                tools=tools,
                gold=gold,
                meta=meta,
                instruction=next((m.content or "" for t in turns for m in t if m.role == "user"), ""),
            )
        )
    for cls in sorted(class_records):
        hasher.update(cls.encode())
    batch.warnings.extend(mapper.warnings)
    return batch, hasher.hexdigest()
