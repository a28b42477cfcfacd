"""Gorilla's APIBench (``data/apibench/*_train.json`` / ``*_eval.json``): JSON lines of
``{code, api_call, provider, api_data}``.

``api_data`` describes one model API (``api_name``, ``description``, ``api_arguments`` whose shape
varies: a dict of names to values or types, a list of names, ``{required, optional}``, or text).
Each row becomes a trajectory: the instruction from ``code`` as the user turn, and the ``api_call``
as a call of that API whose keyword arguments are read with Python's parser (never executed).

``code`` holds the instruction AND the answer, in one of Gorilla's layouts: ``###Instruction: ...
###Output: <<<domain>>> ... <<<api_call>>> ...`` (``### Instruction:`` in some rows), or the torchhub train
file's ``{'Instruction': ..., 'Output': {...}}`` (some rows cut short, without the closing brace). Only the instruction is the user turn; the output is kept in
the trajectory's meta. A row whose instruction cannot be told from its output is skipped with a warning
naming it, so no user turn holds its own gold call.

APIs of one name with different descriptions or arguments (tensorflow_eval has 95 variants of
``universal-sentence-encoder``) are told apart as ``name``, ``name_2``, ...; ``source_ref`` keeps the API name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.common import assistant_calls, make_tool, make_trajectory
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import Record, RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.catalog.schemas import canonical_json
from fcstudio.models import ImportBatch, Message, ToolSpec


def tool_name(api_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", api_name).strip("_")[:64] or "api"


_HASH_LAYOUT = re.compile(r"^\s*#{2,3}\s*Instruction\s*:\s*(.*?)\s*#{2,3}\s*Output\s*:\s*(.*)$", re.DOTALL)
_DICT_LAYOUT = re.compile(
    r"^\s*\{\s*['\"]Instruction['\"]\s*:\s*(.*?)\s*,\s*['\"]Output['\"]\s*:\s*(.*?)\s*\}?\s*$", re.DOTALL
)
_INSTRUCTION_ONLY = re.compile(r"^\s*#{2,3}\s*Instruction\s*:\s*(.*)$", re.DOTALL)


_INPUT = re.compile(r"\s*#{2,3}\s*Input\s*:\s*", re.DOTALL)


def split_code(code: str) -> tuple[str, str] | None:
    """(instruction, output) of a row's ``code``; None when the two cannot be told apart. An ``###Input:``
    section (the text the instruction is about) stays with the instruction, after a blank line."""
    for layout in (_HASH_LAYOUT, _DICT_LAYOUT):
        m = layout.match(code)
        if m:
            instruction = "\n\n".join(part.strip() for part in _INPUT.split(m.group(1), maxsplit=1))
            return instruction, m.group(2).strip()
    m = _INSTRUCTION_ONLY.match(code)
    if m and "<<<api_call>>>" not in code and "'api_call'" not in code:
        return m.group(1).strip(), ""
    return None


def call_arguments(api_call: str) -> dict[str, Any] | None:
    """Literal keyword (and positional, as argN) arguments of the call, or None when it is not one call."""
    try:
        tree = ast.parse(api_call.strip(), mode="eval")
    except SyntaxError:
        return None
    if not isinstance(tree.body, ast.Call):
        return None
    out: dict[str, Any] = {}
    for i, node in enumerate(tree.body.args):
        out[f"arg{i}"] = _literal(node)
    for kw in tree.body.keywords:
        if kw.arg:
            out[kw.arg] = _literal(kw.value)
    return out


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, RecursionError):
        return ast.unparse(node)


def _parameters(arguments: Any, mapper: TypeMapper, where: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    if isinstance(arguments, dict) and set(arguments) <= {"required", "optional"} and arguments:
        for key in ("required", "optional"):
            for name in arguments.get(key) or []:
                properties[str(name)] = {}
                if key == "required":
                    required.append(str(name))
    elif isinstance(arguments, dict):
        for name, value in arguments.items():
            if isinstance(value, dict) and isinstance(value.get("type"), str):
                properties[str(name)] = mapper.schema(value, f"{where}.{name}")
            else:
                properties[str(name)] = {"examples": [value]}
    elif isinstance(arguments, list):
        for item in arguments:
            if isinstance(item, str):
                properties[item] = {}
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                schema = mapper.name_to_schema(str(item.get("type", "any")), f"{where}.{item['name']}")
                if item.get("description"):
                    schema["description"] = str(item["description"])
                properties[item["name"]] = schema
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


class _Tools:
    """One ToolSpec per distinct API; a name already taken by a different API gets ``_2``, ``_3``, ..."""

    def __init__(self) -> None:
        self.by_data: dict[str, ToolSpec] = {}
        self.by_shape: dict[str, ToolSpec] = {}
        self.variants: dict[str, int] = {}

    def get(self, path: str, rec: Record, ref: str, api_data: dict[str, Any], mapper: TypeMapper) -> ToolSpec:
        key = canonical_json(api_data)
        if key in self.by_data:
            return self.by_data[key]
        spec = _tool(path, rec, ref, api_data, mapper)
        shape = canonical_json([spec.name, spec.description, spec.parameters])
        if shape in self.by_shape:
            spec = self.by_shape[shape]
        else:
            n = self.variants.get(spec.name, 0) + 1
            self.variants[spec.name] = n
            self.by_shape[shape] = spec = spec if n == 1 else spec.model_copy(update={"name": f"{spec.name}_{n}"})
        self.by_data[key] = spec
        return spec

    def warnings(self) -> list[str]:
        return [
            f"{n} different APIs are named {name!r} (descriptions or arguments differ); told apart as "
            f"{name!r}, {name + '_2'!r}, ... (source_ref keeps the API name)"
            for name, n in self.variants.items()
            if n > 1
        ]


def _tool(path: str, rec: Record, ref: str, api_data: dict[str, Any], mapper: TypeMapper) -> ToolSpec:
    api_name = api_data.get("api_name")
    if not isinstance(api_name, str) or not api_name.strip():
        raise FormatError(path, "api_data needs a string 'api_name'", line=rec.line, record=ref)
    name = tool_name(api_name)
    try:
        parameters = _parameters(api_data.get("api_arguments"), mapper, name)
    except ValueError as exc:
        raise FormatError(path, f"api_arguments: {exc}", line=rec.line, record=ref) from None
    labels = [str(api_data[k]) for k in ("domain", "framework") if isinstance(api_data.get(k), str)]
    spec = make_tool(
        path,
        rec.line,
        ref,
        generated=True,
        name=name,
        description=str(api_data.get("description") or api_data.get("functionality") or ""),
        parameters=parameters,
        labels=labels,
        source_ref=api_name,
    )
    return spec


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    if not data.records:
        raise FormatError(path, "holds no rows")
    mapper = TypeMapper("python")
    tools = _Tools()
    batch = ImportBatch()
    unsplit: list[str] = []
    fname = Path(path).name
    for index, rec in tracked(data.records, progress):
        obj = expect_dict(path, rec, "row")
        ref = str(index)
        code = require(path, rec, obj, "code", str, ref)
        api_call = require(path, rec, obj, "api_call", str, ref)
        api_data = require(path, rec, obj, "api_data", dict, ref)
        split = split_code(code)
        if split is None or not split[0]:
            unsplit.append(f"{rec.line}")
            continue
        instruction, output = split
        tool = tools.get(path, rec, ref, api_data, mapper)
        messages = [Message(role="user", content=instruction)]
        args = call_arguments(api_call)
        if args is not None:  # Python escapes in the call's literals ("\\ud800", "\\x00") decode to bad text
            bad_text.check_literal(path, api_call, args, line=rec.line, record=ref, prefix=("api_call",))
        if args is None:
            messages.append(Message(role="assistant", content=api_call))
        else:
            messages.append(Message.model_validate(assistant_calls([(tool.name, args)], f"call_{index}")))
        batch.trajectories.append(
            make_trajectory(
                path,
                rec.line,
                ref,
                source_ref=f"{fname}:{rec.line}",
                messages=messages,
                tools=[tool],
                meta={"api_call": api_call, "provider": obj.get("provider"), "output": output},
            )
        )
    if unsplit:
        shown = ", ".join(unsplit[:10]) + (", ..." if len(unsplit) > 10 else "")
        batch.warnings.append(
            f"{len(unsplit)} row(s) skipped: their code's instruction cannot be told from its output (neither "
            f"'###Instruction: ... ###Output:' nor {{'Instruction': ..., 'Output': ...}}), so the user turn "
            f"would hold its own gold call; lines {shown}"
        )
    batch.warnings.extend(tools.warnings())
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
