"""Property-based: random bytes and random JSON at every importer never crash and never half-write."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fuzz_files import (
    FORMATS,
    _stored_tools,
    all_rows,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import demo_workspace
from fcstudio import store
from fcstudio.catalog.formats import FormatError
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace

json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)

# Records that have the right field names with random values reach deeper into each importer.
FIELDS = {
    "openai-tools": ["type", "function", "name", "description", "parameters", "labels", "returns"],
    "openai-chat": ["messages", "tools", "id", "meta"],
    "bfcl": ["id", "question", "function", "involved_classes", "initial_config"],
    "xlam": ["id", "query", "tools", "answers"],
    "sharegpt": ["conversations", "from", "value", "role", "content", "tools", "system", "id"],
    "hermes": ["conversations", "from", "value", "role", "content", "tools", "id", "category"],
    "toolalpaca": ["Name", "Category", "Function_Description", "Instructions", "Golden_Answers"],
    "toolbench": [
        "tool_name",
        "api_list",
        "query",
        "query_id",
        "relevant APIs",
        "answer_generation",
        "train_messages",
        "function",
        "trys",
        "chain",
        "conversations",
        "from",
        "value",
    ],
    "apibench": ["code", "api_call", "provider", "api_data", "api_name", "api_arguments"],
    "tau2-tasks": [
        "id",
        "user_scenario",
        "evaluation_criteria",
        "actions",
        "instruction",
        "user_id",
        "info",
        "task_id",
    ],
}


def shaped_records(fmt: str) -> st.SearchStrategy:
    keys = st.sampled_from(FIELDS[fmt] + ["name", "type", "properties", "required", "arguments"])
    return st.lists(st.dictionaries(keys, json_values, max_size=6), min_size=1, max_size=4)


@pytest.fixture
def fuzz_ws(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's own copy of the demo workspace, shared by its hypothesis examples (each
    compares before and after; opening the file per example would be most of their cost)."""
    with demo_workspace(tmp_path / "fuzz.duckdb").connect() as con:
        yield con


def _attempt(con: duckdb.DuckDBPyConnection, fmt: str, data: bytes, suffix: str) -> None:
    """Import ``data``; it either imports or raises FormatError and leaves every count unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        before = all_rows(con)
        try:
            import_files(con, fmt, [path])
        except FormatError as exc:
            assert str(path) in str(exc) and exc.reason
            assert all_rows(con) == before


# Examples per format: with eleven formats the suite's budget (10 minutes on CI's 2 cores) sets these; each
# format still gets its own random files on every run, and a failure is kept in hypothesis' database.
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(fuzz_ws: duckdb.DuckDBPyConnection, fmt: str, data: bytes) -> None:
    _attempt(fuzz_ws, fmt, data, ".json")


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(value=json_values, as_lines=st.booleans())
def test_random_json(fuzz_ws: duckdb.DuckDBPyConnection, fmt: str, value: object, as_lines: bool) -> None:
    if as_lines and isinstance(value, list):
        text = "".join(json.dumps(v) + "\n" for v in value) or "\n"
    else:
        text = json.dumps(value)
    _attempt(fuzz_ws, fmt, text.encode(), ".jsonl" if as_lines else ".json")


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_records_with_the_right_field_names(fuzz_ws: duckdb.DuckDBPyConnection, fmt: str, data: st.DataObject) -> None:
    records = data.draw(shaped_records(fmt))
    as_lines = data.draw(st.booleans())
    text = "".join(json.dumps(r) + "\n" for r in records) if as_lines else json.dumps(records)
    _attempt(fuzz_ws, fmt, text.encode(), ".json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_absurdly_deep_nesting(fuzz_ws: duckdb.DuckDBPyConnection, fmt: str) -> None:
    _attempt(fuzz_ws, fmt, b"[" * 100_000 + b"]" * 100_000, ".json")
    _attempt(fuzz_ws, fmt, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, ".json")


# -- the success path: what a valid file holds is what the workspace stores ----------------------------------
names = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)
prose = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")
TYPES = {
    "string": prose,
    "integer": st.integers(-(10**6), 10**6),
    "boolean": st.booleans(),
    "number": st.floats(-1e6, 1e6),
}


@st.composite
def tool_specs(draw: st.DrawFn) -> dict:
    props = draw(st.dictionaries(names, st.sampled_from(sorted(TYPES)), max_size=4))
    parameters: dict = {
        "type": "object",
        "properties": {p: {"type": t, "description": draw(prose)} for p, t in props.items()},
    }
    required = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
    if required:
        parameters["required"] = required
    return {"name": draw(names), "description": draw(prose), "parameters": parameters}


@st.composite
def conversations(draw: st.DrawFn, index: int) -> dict:
    tools = draw(st.lists(tool_specs(), min_size=1, max_size=3, unique_by=lambda t: t["name"]))
    messages: list[dict] = [{"role": "user", "content": draw(prose)}]
    for turn in range(draw(st.integers(0, 2))):
        calls = []
        for k, tool in enumerate(draw(st.lists(st.sampled_from(tools), min_size=1, max_size=2))):
            props = tool["parameters"]["properties"]
            args = {p: draw(TYPES[s["type"]]) for p, s in props.items() if p in tool["parameters"].get("required", [])}
            fn = {"name": tool["name"], "arguments": json.dumps(args)}
            calls.append({"id": f"call_{turn}_{k}", "type": "function", "function": fn})
        messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        messages += [{"role": "tool", "tool_call_id": c["id"], "content": draw(prose)} for c in calls]
    messages.append({"role": "assistant", "content": draw(prose)})
    return {"id": f"c{index}", "messages": messages, "tools": [{"type": "function", "function": t} for t in tools]}


def _file_tools(functions: list[dict]) -> set[tuple[str, str, str]]:
    return {(f["name"], f["description"], json.dumps(f["parameters"], sort_keys=True)) for f in functions}


@settings(max_examples=40, deadline=None)
@given(functions=st.lists(tool_specs(), min_size=1, max_size=6))
def test_a_tools_file_that_imports_stores_exactly_its_tools(functions: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tools.json"
        path.write_text(json.dumps([{"type": "function", "function": f} for f in functions]))
        with Workspace(Path(tmp) / "ws.duckdb").connect() as con:
            [result] = import_files(con, "openai-tools", [path])
            stored = _stored_tools(con)
            assert store.scalar(con, "SELECT count(*) FROM trajectories") == 0
    assert stored == _file_tools(functions)  # identical functions are one tool: stored once
    assert result.tools_added == len(stored)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 4))
def test_a_chat_file_that_imports_stores_exactly_its_conversations(data: st.DataObject, n: int) -> None:
    convs = [data.draw(conversations(i)) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in convs))
        with Workspace(Path(tmp) / "ws.duckdb").connect() as con:
            import_files(con, "openai-chat", [path])
            names_by_id = dict(con.execute("SELECT id, name FROM tools").fetchall())
            stored = [
                {**r, "offered": sorted(names_by_id[i] for i in r["tool_ids"])}
                for r in store.rows(con, "SELECT source_ref, messages, tool_ids FROM trajectories ORDER BY id")
            ]
            tools = _stored_tools(con)
    assert [r["source_ref"] for r in stored] == [f"chat.jsonl:{c['id']}" for c in convs]
    assert [json.loads(r["messages"]) for r in stored] == [c["messages"] for c in convs]
    assert [r["offered"] for r in stored] == [sorted(t["function"]["name"] for t in c["tools"]) for c in convs]
    assert tools == _file_tools([t["function"] for c in convs for t in c["tools"]])
