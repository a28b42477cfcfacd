"""BFCL v3/v4 question files (single-turn, multi-turn and v4's agentic ones) with gold from ``possible_answer/``.

Layout (one JSON object per line): ``{"id", "question": [[messages] per turn], "function": [docs]}``.
Multi-turn questions carry ``involved_classes`` instead of ``function``; their docs come from
``multi_turn_func_doc/`` beside the file, and ``missed_function`` / ``excluded_function`` say which
functions are held back. Gold answers sit in ``possible_answer/<same file name>`` when present:
single-turn as ``{func: {param: [allowed values]}}`` (``""`` among them = optional), multi-turn as
Python call strings per turn. A question naming a class BFCL does not document is left out with a warning
naming the class; the rest of the file imports.

BFCL v4's agentic files are run by bfcl-eval under other categories than their file names, and imported so:

- ``BFCL_v4_memory.json`` names the placeholder class ``MemoryAPI``: each question becomes one task per memory
  backend, category ``memory_kv`` / ``memory_vector`` / ``memory_rec_sum`` with class ``MemoryAPI_<backend>``
  and bfcl-eval's id for it (``memory_kv_0-customer-0``). The conversations that fill the memory first are
  ``memory_prereq_conversation/memory_<scenario>.json`` beside the file: they become tasks of category
  ``memory_<backend>_prereq`` (no gold), and each question's ``meta.depends_on`` lists them, as bfcl-eval
  chains them. A scenario whose file is missing is named in a warning and its questions import alone.
- ``BFCL_v4_web_search.json`` (class ``WebSearchAPI``): each question becomes ``web_search_base_<n>`` and
  ``web_search_no_snippet_<n>``, told apart by ``initial_config.WebSearchAPI.show_snippet``.
- Their gold is not calls but final answers: ``meta.ground_truth`` lists the accepted ones (bfcl-eval's
  agentic checker accepts a response containing any one of them, ignoring case, spaces and ``,./-_*^()``),
  ``meta.answer_source`` keeps BFCL's ``source`` and ``meta.num_hops`` web search's hop count. bfcl-eval adds
  a system prompt asking for the answer's format at run time; it is not in the files and not added here.
- ``BFCL_v4_format_sensitivity.json`` holds no questions, only the ids of entries of other categories that
  bfcl-eval asks again under each of its generated system-prompt formats: it is skipped with a warning
  saying so (the questions themselves import from those categories' files).

A ``multi_turn_func_doc/`` file itself (named as BFCL names it, e.g. ``gorilla_file_system.json``; fcstudio ships
copies in ``fcstudio/envs/bfcl/data/func_doc/``) imports its class's tools alone, labelled ``bfcl:<Class>`` as the
questions' copies are, so a catalogue can hold the executable BFCL tools without BFCL's question files.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.common import make_messages, make_task, make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import (
    FileData,
    Record,
    RecordProgress,
    expect_dict,
    read_file,
    require,
    tracked,
)
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import GoldCall, ImportBatch, Message, Task, ToolSpec

# BFCL's multi-turn and agentic API classes and the doc file each one's functions live in.
CLASS_DOCS = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
    "WebSearchAPI": "web_search.json",
    "MemoryAPI_kv": "memory_kv.json",
    "MemoryAPI_vector": "memory_vector.json",
    "MemoryAPI_rec_sum": "memory_rec_sum.json",
}
MEMORY_PLACEHOLDER = "MemoryAPI"  # what BFCL_v4_memory.json names; bfcl-eval picks a backend per category
MEMORY_BACKENDS = ("kv", "vector", "rec_sum")
WEB_SEARCH_VARIANTS = (("web_search_base", True), ("web_search_no_snippet", False))  # (category, show_snippet)
AGENTIC_CLASSES = frozenset({"WebSearchAPI", *(f"{MEMORY_PLACEHOLDER}_{b}" for b in MEMORY_BACKENDS)})
PREREQ_DIR = "memory_prereq_conversation"


def category_of(path: str, first_id: str | None) -> str:
    m = re.match(r"BFCL_v\d+_(.+?)\.jsonl?$", Path(path).name)
    if m:
        return m.group(1)
    if first_id:
        return re.sub(r"_\d+(-[A-Za-z0-9]+)*$", "", first_id)
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


def _answers(path: str) -> tuple[dict[str, tuple[int, list[Any], dict[str, Any]]], str | None, str]:
    """Gold answers by id from ``possible_answer/<name>`` beside ``path`` (empty when absent): the line, the
    ``ground_truth`` and the whole answer record."""
    answer_path = Path(path).parent / "possible_answer" / Path(path).name
    if not answer_path.is_file():
        return {}, None, ""
    data = read_file(answer_path)
    out: dict[str, tuple[int, list[Any], dict[str, Any]]] = {}
    for rec in data.records:
        obj = expect_dict(str(answer_path), rec, "answer")
        ident = require(str(answer_path), rec, obj, "id", str)
        truth = require(str(answer_path), rec, obj, "ground_truth", list, ident)
        out[ident] = (rec.line, truth, obj)
    return out, str(answer_path), data.content_hash


def _class_docs(
    path: str, classes: list[str], rec: Record, ref: str, loaded: dict[str, list[Record]]
) -> dict[str, list[Record]]:
    """Each (known) class's doc records from ``multi_turn_func_doc/`` beside ``path``; a missing file is an error
    naming it."""
    doc_dir = Path(path).parent / "multi_turn_func_doc"
    out = {}
    for cls in classes:
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


def _renamed(ref: str, prefix: str, category: str) -> str:
    """bfcl-eval's id for an entry run under ``category``: the file's ``prefix`` (``memory``) replaced by it."""
    return category + ref[len(prefix) :] if ref.startswith(prefix) else f"{category}_{ref}"


@dataclass(frozen=True)
class _Variant:
    """One task a question becomes: bfcl-eval's category and id for it, and the classes it runs on."""

    category: str
    ref: str
    classes: list[str]
    backend: str | None = None  # memory: the backend
    initial_config: dict[str, Any] | None = None


def _variants(category: str, ref: str, classes: list[str], *, prereq: bool = False) -> list[_Variant]:
    if MEMORY_PLACEHOLDER in classes:
        out = []
        for backend in MEMORY_BACKENDS:
            cat = f"memory_{backend}"
            named = [f"{MEMORY_PLACEHOLDER}_{backend}" if c == MEMORY_PLACEHOLDER else c for c in classes]
            out.append(_Variant(cat + "_prereq" if prereq else cat, _renamed(ref, "memory", cat), named, backend))
        return out
    if category == "web_search" and "WebSearchAPI" in classes:
        return [
            _Variant(cat, _renamed(ref, "web_search", cat), classes, None, {"WebSearchAPI": {"show_snippet": snippet}})
            for cat, snippet in WEB_SEARCH_VARIANTS
        ]
    return [_Variant(category, ref, classes)]


def _id_selection(data: FileData) -> dict[str, list[str]] | None:
    """``BFCL_v4_format_sensitivity.json``'s shape: one object mapping categories to lists of entry ids."""
    if data.kind != "json-object" or len(data.records) != 1:
        return None
    value = data.records[0].value
    if not isinstance(value, dict) or not value or "id" in value or "question" in value:
        return None
    if not all(isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in value.values()):
        return None
    return value


def _format_sensitivity_skipped(path: str, selection: dict[str, list[str]]) -> str:
    n = sum(len(ids) for ids in selection.values())
    return (
        f"{path}: format_sensitivity skipped: the file holds no questions, only the ids of {n} entries of other "
        f"categories ({', '.join(selection)}) that bfcl-eval asks again under each of the system-prompt formats it "
        "generates; import those categories' files for the questions"
    )


@dataclass
class _Prereqs:
    """A memory scenario's prerequisite conversations (``memory_prereq_conversation/memory_<scenario>.json``)."""

    path: str
    records: list[Record]
    content_hash: str
    emitted: set[str] = field(default_factory=set)  # the backends whose prereq tasks are made


class _Questions:
    """Turns one question file into tasks (state shared by its records: docs, answers, prereqs, warnings)."""

    def __init__(self, path: str, category: str):
        self.path = path
        self.category = category
        self.language = language_of(category)
        self.mapper = TypeMapper(self.language)
        self.cache = _ToolCache(path, self.mapper)
        self.answers, answer_path, self.answer_hash = _answers(path)
        self.answer_path = str(answer_path)
        self.class_records: dict[str, list[Record]] = {}
        self.prereqs: dict[str, _Prereqs | None] = {}
        self.by_category: dict[str, list[Task]] = {}
        self.warnings: list[str] = []

    def warn(self, reason: str, rec: Record, ref: str) -> None:
        self.warnings.append(f"{FormatError(self.path, reason, line=rec.line, record=ref)}; left out")

    def add(self, rec: Record) -> str:
        obj = expect_dict(self.path, rec, "question")
        ref = require(self.path, rec, obj, "id", str)
        question = require(self.path, rec, obj, "question", list, ref)
        turns = [make_messages(self.path, rec.line, ref, turn, f"question[{i}]") for i, turn in enumerate(question)]
        if "involved_classes" not in obj:
            functions = require(self.path, rec, obj, "function", list, ref)
            tools = [self.cache.tool(doc, rec, ref, [f"bfcl:{self.category}"]) for doc in functions]
            meta: dict[str, Any] = {"id": ref, "language": self.language}
            gold = self.gold(ref, tools, meta, agentic=False)
            self.append(self.task(self.path, rec, ref, self.category, turns, tools, gold, meta, ""))
            return ref
        classes = [str(c) for c in require(self.path, rec, obj, "involved_classes", list, ref)]
        variants = _variants(self.category, ref, classes)
        unknown = sorted({c for v in variants for c in v.classes if c not in CLASS_DOCS})
        if unknown:
            known = ", ".join([*CLASS_DOCS, MEMORY_PLACEHOLDER])
            self.warn(f"unknown multi-turn class {', '.join(map(repr, unknown))} (known: {known})", rec, ref)
            return ref
        scenario = obj.get("scenario")
        prereqs = self.prereq_file(scenario, rec, ref) if variants[0].backend is not None else None
        for v in variants:
            tools = self.class_tools(v, obj, rec, ref)
            meta = {"id": v.ref, "language": self.language}
            if v.ref != ref:
                meta["question_id"] = ref
            self.copy_fields(obj, v, meta)
            if prereqs is not None and v.backend is not None:
                meta["depends_on"] = self.prereq_tasks(prereqs, v.backend, tools)
            gold = self.gold(ref, tools, meta, agentic=any(c in AGENTIC_CLASSES for c in v.classes))
            self.append(self.task(self.path, rec, v.ref, v.category, turns, tools, gold, meta, ",".join(v.classes)))
        return ref

    def class_tools(self, v: _Variant, obj: dict[str, Any], rec: Record, ref: str) -> list[ToolSpec]:
        docs = _class_docs(self.path, v.classes, rec, ref, self.class_records)
        excluded = set(obj.get("excluded_function") or [])
        return [
            self.cache.tool(d.value, d, ref, [f"bfcl:{cls}"])
            for cls, recs in docs.items()
            for d in recs
            if isinstance(d.value, dict) and d.value.get("name") not in excluded
        ]

    @staticmethod
    def copy_fields(obj: dict[str, Any], v: _Variant, meta: dict[str, Any]) -> None:
        for key in ("initial_config", "involved_classes", "missed_function", "excluded_function", "path"):
            if key in obj:
                meta[key] = obj[key]
        meta["involved_classes"] = v.classes
        if v.initial_config is not None:
            meta["initial_config"] = {**(obj.get("initial_config") or {}), **v.initial_config}
        for key in ("scenario", "topic"):
            if key in obj:
                meta[key] = obj[key]

    def prereq_file(self, scenario: Any, rec: Record, ref: str) -> _Prereqs | None:
        """The scenario's prerequisite conversations, read once; None (and one warning) when the file is absent."""
        if scenario is None:
            return None
        if not isinstance(scenario, str) or not re.fullmatch(r"[A-Za-z0-9_]+", scenario):
            raise FormatError(
                self.path, f"'scenario' must be a plain name, got {scenario!r}", line=rec.line, record=ref
            )
        if scenario not in self.prereqs:
            prereq_path = Path(self.path).parent / PREREQ_DIR / f"memory_{scenario}.json"
            if prereq_path.is_file():
                data = read_file(prereq_path)
                self.prereqs[scenario] = _Prereqs(str(prereq_path), data.records, data.content_hash)
            else:
                self.prereqs[scenario] = None
                self.warnings.append(
                    f"{self.path}: memory scenario {scenario!r}: {prereq_path} not found ({PREREQ_DIR}/ beside the "
                    "file); its questions import without the conversations that fill the memory first"
                )
        return self.prereqs[scenario]

    def prereq_tasks(self, prereqs: _Prereqs, backend: str, tools: list[ToolSpec]) -> list[str]:
        """The ids of the scenario's prerequisite tasks for ``backend``, made the first time they are asked for."""
        refs: list[str] = []
        for rec in prereqs.records:
            obj = expect_dict(prereqs.path, rec, "prerequisite conversation")
            ref = require(prereqs.path, rec, obj, "id", str)
            v = next(x for x in _variants("memory", ref, [MEMORY_PLACEHOLDER], prereq=True) if x.backend == backend)
            if backend not in prereqs.emitted:
                question = require(prereqs.path, rec, obj, "question", list, ref)
                turns = [
                    make_messages(prereqs.path, rec.line, ref, turn, f"question[{i}]")
                    for i, turn in enumerate(question)
                ]
                meta: dict[str, Any] = {"id": v.ref, "language": self.language, "question_id": ref}
                self.copy_fields(obj, v, meta)
                meta["memory_prereq"] = True
                meta["depends_on"] = list(refs)
                self.append(self.task(prereqs.path, rec, v.ref, v.category, turns, tools, [], meta, v.classes[0]))
            refs.append(v.ref)
        prereqs.emitted.add(backend)
        return refs

    def gold(self, ref: str, tools: list[ToolSpec], meta: dict[str, Any], *, agentic: bool) -> list[GoldCall]:
        if "irrelevance" in self.category:
            meta["expects_no_call"] = True
        if not self.answers:
            return []
        if ref not in self.answers:
            if "irrelevance" not in self.category:
                raise FormatError(self.answer_path, f"no answer for question {ref!r}", record=ref)
            return []
        line, truth, answer = self.answers[ref]
        if agentic:
            if not all(isinstance(t, str) for t in truth):
                raise FormatError(
                    self.answer_path, "an agentic ground_truth must list accepted answers", line=line, record=ref
                )
            meta["ground_truth"] = truth
            for key, name in (("source", "answer_source"), ("num_hops", "num_hops")):
                if key in answer:
                    meta[name] = answer[key]
            return []
        if not (truth and all(isinstance(t, list) for t in truth)):
            return single_turn_gold(self.answer_path, line, ref, truth)
        order = {t.name: list((t.parameters.get("properties") or {}).keys()) for t in tools}
        gold = []
        for turn_index, calls in enumerate(truth):
            for text in calls:
                try:
                    name, args = parse_call(str(text), order)
                except (SyntaxError, ValueError) as exc:
                    raise FormatError(
                        self.answer_path, f"gold call {text!r} does not parse: {exc}", line=line, record=ref
                    ) from None
                bad_text.check_literal(
                    self.answer_path, str(text), args, line=line, record=ref, prefix=("ground_truth", name)
                )
                gold.append(GoldCall(name=name, arguments=args, turn=turn_index, raw=str(text)))
        return gold

    def task(
        self,
        path: str,
        rec: Record,
        ref: str,
        category: str,
        turns: list[list[Message]],
        tools: list[ToolSpec],
        gold: list[GoldCall],
        meta: dict[str, Any],
        domain: str,
    ) -> Task:
        return make_task(
            path,
            rec.line,
            ref,
            source_ref=ref,
            benchmark="bfcl",
            category=category,
            domain=domain,
            turns=turns,
            tools=tools,
            gold=gold,
            meta=meta,
            instruction=next((m.content or "" for t in turns for m in t if m.role == "user"), ""),
        )

    def append(self, task: Task) -> None:
        self.by_category.setdefault(task.category, []).append(task)


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    doc_class = {file: cls for cls, file in CLASS_DOCS.items()}.get(Path(path).name)
    if doc_class is not None:
        return _read_func_docs(path, doc_class, progress)
    if Path(path).parent.name == PREREQ_DIR:
        raise FormatError(
            path,
            f"a memory prerequisite conversation file: import BFCL_v4_memory.json, with {PREREQ_DIR}/ beside it, "
            "whose questions use it",
        )
    data = read_file(path)
    if not data.records:
        raise FormatError(path, "holds no questions")
    selection = _id_selection(data)
    if selection is not None:
        return ImportBatch(warnings=[_format_sensitivity_skipped(path, selection)]), data.content_hash
    first = data.records[0].value
    category = category_of(
        path, first.get("id") if isinstance(first, dict) and isinstance(first.get("id"), str) else None
    )
    q = _Questions(path, category)
    hasher = hashlib.sha256((data.content_hash + q.answer_hash).encode())
    seen_ids: set[str] = set()
    for _, rec in tracked(data.records, progress):
        if isinstance(rec.value, dict) and isinstance(rec.value.get("id"), str) and rec.value["id"] in seen_ids:
            raise FormatError(path, f"duplicate id {rec.value['id']!r}", line=rec.line, record=rec.value["id"])
        seen_ids.add(q.add(rec))
    for cls in sorted(q.class_records):
        hasher.update(cls.encode())
    for scenario, prereqs in sorted(q.prereqs.items()):
        if prereqs is not None:
            hasher.update(f"{scenario}\x00{prereqs.content_hash}".encode())
    batch = ImportBatch(tasks=[t for tasks in q.by_category.values() for t in tasks])
    batch.warnings.extend(q.warnings)
    batch.warnings.extend(q.mapper.warnings)
    return batch, hasher.hexdigest()
