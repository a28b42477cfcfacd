"""Valid files of every importer's format (and what can be done to them), for the property-based tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from fcstudio import store
from fcstudio.catalog.formats import FORMATS as REGISTRY
from fcstudio.store import Workspace

FORMATS = sorted(REGISTRY)
FIXTURES = Path(__file__).parent / "fixtures"


def _tool_doc(name: str) -> dict:
    return {
        "name": name,
        "description": "Adds two numbers.",
        "parameters": {
            "type": "dict",
            "properties": {"a": {"type": "integer", "description": "A."}},
            "required": ["a"],
        },
    }


def _base(fmt: str) -> tuple[str, str, list]:
    """A valid file of ``fmt`` as (file name, layout, records); layout is jsonl, array or object."""
    if fmt == "openai-tools":
        fn = {
            "name": "add",
            "description": "Add.",
            "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
        }
        return "tools.json", "array", [{"type": "function", "function": fn}, {**fn, "name": "sub", "labels": ["math"]}]
    if fmt == "openai-chat":
        conv = {
            "id": "c1",
            "messages": [{"role": "user", "content": "add 1"}, {"role": "assistant", "content": "2"}],
            "tools": [
                {"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {}}}}
            ],
            "meta": {"source": "test"},
        }
        return "chat.jsonl", "jsonl", [conv, {**conv, "id": "c2"}]
    if fmt == "bfcl":
        q = {
            "id": "simple_python_0",
            "question": [[{"role": "user", "content": "Add 1."}]],
            "function": [_tool_doc("add")],
        }
        return "BFCL_v4_simple_python.json", "jsonl", [q, {**q, "id": "simple_python_1"}]
    if fmt == "sharegpt":
        conv = {
            "id": "g1",
            "conversations": [
                {"role": "user", "content": "Add 1 and 2."},
                {"role": "function_call", "content": {"name": "add", "arguments": {"a": 1}}},
                {"role": "observation", "content": "3"},
                {"role": "assistant", "content": "It is 3."},
            ],
            "tools": [_tool_doc("add")],
            "system": "You add numbers.",
        }
        return "glaive.jsonl", "jsonl", [conv, {**conv, "id": "g2"}]
    if fmt == "hermes":
        conv = {
            "id": "h1",
            "conversations": [
                {
                    "role": "system",
                    "content": "You call functions. <tools>" + json.dumps([_tool_doc("add")]) + "</tools>",
                },
                {"role": "human", "content": "Add 1 and 2."},
                {"role": "gpt", "content": '<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>'},
                {"role": "tool", "content": "<tool_response>3</tool_response>"},
                {"role": "gpt", "content": "It is 3."},
            ],
            "category": "Math",
        }
        return "hermes.jsonl", "jsonl", [conv, {**conv, "id": "h2"}]
    if fmt == "xlam":
        rows = [json.loads(line) for line in (FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()]
        decoded = [
            {k: json.loads(v) if k in ("tools", "answers") and isinstance(v, str) else v for k, v in r.items()}
            for r in rows
        ]
        return "xlam.json", "array", decoded
    if fmt == "toolalpaca":
        api = {
            "Name": "Calc",
            "Category": "Math",
            "Function_Description": {
                "add": 'Add numbers.\nParameters: {"a": "Required. integer. A."}\nOutput: the sum'
            },
            "Instructions": ["Add 1."],
            "Golden_Answers": [[{"Action": "add", "Action_Input": '{"a": 1}'}]],
        }
        return "toolalpaca.json", "array", [api, {**api, "Name": "Calc2"}]
    if fmt == "toolbench":
        return (
            "open_weather.json",
            "object",
            [json.loads((FIXTURES / "toolbench" / "tools" / "Weather" / "open_weather_2_0.json").read_text())],
        )
    if fmt == "apibench":
        rows = [
            json.loads(line) for line in (FIXTURES / "apibench" / "huggingface_train.json").read_text().splitlines()
        ]
        return "apibench.jsonl", "jsonl", rows
    task = {
        "id": "0",
        "user_scenario": {"instructions": {"reason_for_call": "Cancel my order.", "known_info": "I am Yusuf."}},
        "evaluation_criteria": {
            "actions": [{"name": "cancel", "arguments": {"order_id": "#W1"}}],
            "communicate_info": [],
        },
    }
    return "tasks.json", "array", [task, {**task, "id": "1"}]


def _serialise(layout: str, records: list) -> str:
    """ensure_ascii: every non-ASCII character (a lone surrogate, an emoji's two halves) becomes a \\u escape."""
    if layout == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in records)
    if layout == "object":
        return json.dumps(records[0], indent=2)
    return json.dumps(records, indent=2)


def _containers(value: object, parts: tuple = ()) -> list[tuple[tuple, object]]:
    """Every dict and list inside ``value`` with its path."""
    found: list[tuple[tuple, object]] = []
    if isinstance(value, dict):
        found.append((parts, value))
        for k, v in value.items():
            found += _containers(v, (*parts, k))
    elif isinstance(value, list):
        found.append((parts, value))
        for i, v in enumerate(value):
            found += _containers(v, (*parts, i))
    return found


def _strings(value: object, parts: tuple = ()) -> list[tuple[tuple, str]]:
    if isinstance(value, str):
        return [(parts, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(v, (*parts, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _strings(v, (*parts, i))]
    return []


bad_chars = st.integers(0xD800, 0xDFFF).map(chr) | st.just("\x00")
# fields that hold prose (an emoji appended there changes no meaning); a list under one of them holds prose too
FREE_TEXT = {"content", "description", "query", "code", "reason_for_call", "known_info", "Instructions", "title"}


def _all_rows(ws: Workspace) -> dict[str, int]:
    """Rows in every table (not only those store.stats counts)."""
    with ws.connect() as con:
        return all_rows(con)


def all_rows(con: Any) -> dict[str, int]:
    """Rows in every table of an open workspace, in one query."""
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    sql = " UNION ALL ".join(f"SELECT '{n}', count(*) FROM \"{n}\"" for n in names)
    return {n: int(c) for n, c in con.execute(sql).fetchall()}


def _stored_tools(con: object) -> set[tuple[str, str, str]]:
    return {
        (r["name"], r["description"], json.dumps(json.loads(r["parameters"]), sort_keys=True))
        for r in store.rows(con, "SELECT name, description, parameters FROM tools")  # type: ignore[arg-type]
    }
