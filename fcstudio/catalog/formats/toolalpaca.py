"""ToolAlpaca evaluation sets: a JSON list of APIs with functions, instructions and golden answers.

Each API's ``Function_Description`` maps a function name to text of the form
``<description>\\nParameters: {json}\\nOutput: <text>``; each parameter reads
``[Required. ]<type>. <description>``. Every instruction becomes a task whose gold is the golden
action sequence. Golden inputs that refer to earlier outputs (``${id from search}``) are not JSON:
they are kept verbatim as ``raw`` with empty arguments and counted in the warnings.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fcstudio.catalog.formats import text as bad_text
from fcstudio.catalog.formats.common import make_task, make_tool
from fcstudio.catalog.formats.errors import FormatError
from fcstudio.catalog.formats.reader import RecordProgress, expect_dict, read_file, require, tracked
from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.models import GoldCall, ImportBatch, Message, ToolSpec

PARAM_RE = re.compile(r"^\s*(Required\.\s*)?([^.]*?)\.\s*(.*)$", re.DOTALL)


def parse_function(path: str, line: int, api: str, name: str, text: str, mapper: TypeMapper, category: str) -> ToolSpec:
    if not isinstance(text, str):
        raise FormatError(path, f"Function_Description[{name!r}] must be text", line=line, record=api)
    head, _, rest = text.partition("\nParameters:")
    params_text, _, output = rest.partition("\nOutput:")
    properties: dict[str, Any] = {}
    required: list[str] = []
    if params_text.strip():
        try:
            params = json.loads(params_text.strip())
        except json.JSONDecodeError as exc:
            raise FormatError(
                path, f"function {name!r}: Parameters is not JSON ({exc.msg})", line=line, record=api
            ) from None
        if not isinstance(params, dict):
            raise FormatError(path, f"function {name!r}: Parameters must be an object", line=line, record=api)
        bad_text.check_decoded(
            path, params_text, params, line=line, record=api, prefix=("Function_Description", name, "Parameters")
        )
        for pname, ptext in params.items():
            m = PARAM_RE.match(str(ptext))
            if m and m.group(2).strip() and " " not in m.group(2).strip():
                schema, _ = mapper.python_annotation(m.group(2).strip(), f"{api}.{name}.{pname}")
                desc = m.group(3).strip()
                is_required = bool(m.group(1))
            else:
                schema, desc, is_required = {}, str(ptext), False
            if desc:
                schema["description"] = desc
            properties[str(pname)] = schema
            if is_required:
                required.append(str(pname))
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    returns = {"description": output.strip()} if output.strip() else None
    return make_tool(
        path,
        line,
        api,
        generated=True,
        name=name,
        description=head.strip(),
        parameters=parameters,
        returns=returns,
        labels=[category] if category else [],
        source_ref=f"{api}.{name}",
    )


def read(path: str, progress: RecordProgress | None = None) -> tuple[ImportBatch, str]:
    data = read_file(path)
    if data.kind == "jsonl" or not data.records:
        raise FormatError(path, "ToolAlpaca files are one JSON list of APIs")
    mapper = TypeMapper("python")
    batch = ImportBatch()
    unparsed = 0
    for _, rec in tracked(data.records, progress, every=10):
        obj = expect_dict(path, rec, "API")
        api = require(path, rec, obj, "Name", str)
        category = obj.get("Category", "") if isinstance(obj.get("Category"), str) else ""
        functions = require(path, rec, obj, "Function_Description", dict, api)
        tools = [
            parse_function(path, rec.line, api, name, text, mapper, category)
            for name, text in functions.items()
            if name != "components"
        ]
        instructions = require(path, rec, obj, "Instructions", list, api)
        golden = require(path, rec, obj, "Golden_Answers", list, api)
        if len(golden) != len(instructions):
            raise FormatError(
                path, f"{len(instructions)} Instructions but {len(golden)} Golden_Answers", line=rec.line, record=api
            )
        for i, (instruction, answer) in enumerate(zip(instructions, golden, strict=True)):
            ref = f"{api}#{i}"
            if not isinstance(instruction, str) or not isinstance(answer, list):
                raise FormatError(
                    path, f"instruction {i}: expected text and a list of actions", line=rec.line, record=ref
                )
            gold = []
            for step in answer:
                if not isinstance(step, dict) or not isinstance(step.get("Action"), str):
                    raise FormatError(
                        path, f"instruction {i}: each golden step needs a string 'Action'", line=rec.line, record=ref
                    )
                raw = step.get("Action_Input", "{}")
                try:
                    args = json.loads(raw) if isinstance(raw, str) else raw
                    if not isinstance(args, dict):
                        raise ValueError
                    if isinstance(raw, str):
                        bad_text.check_decoded(
                            path, raw, args, line=rec.line, record=ref, prefix=("Golden_Answers", i, "Action_Input")
                        )
                    gold.append(GoldCall(name=step["Action"], arguments=args, turn=0))
                except ValueError:
                    unparsed += 1
                    gold.append(GoldCall(name=step["Action"], arguments={}, raw=str(raw), turn=0))
            batch.tasks.append(
                make_task(
                    path,
                    rec.line,
                    ref,
                    source_ref=ref,
                    benchmark="toolalpaca",
                    category=category,
                    domain=api,
                    instruction=instruction,
                    turns=[[Message(role="user", content=instruction)]],
                    tools=tools,
                    gold=gold,
                    meta={"api": api},
                )
            )
    if unparsed:
        batch.warnings.append(f"{unparsed} golden inputs refer to earlier outputs and are kept as raw text")
    batch.warnings.extend(mapper.warnings)
    return batch, data.content_hash
