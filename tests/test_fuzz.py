"""Property-based: random bytes and random JSON at every importer never crash and never half-write."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fcstudio import store
from fcstudio.demo import build_demo
from fcstudio.formats import IMPORTERS, FormatError
from fcstudio.ingest import import_files
from fcstudio.store import Workspace

FORMATS = sorted(IMPORTERS)

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
    "toolalpaca": ["Name", "Category", "Function_Description", "Instructions", "Golden_Answers"],
    "toolbench": ["tool_name", "api_list", "query", "query_id", "relevant APIs"],
    "apibench": ["code", "api_call", "provider", "api_data"],
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


@pytest.fixture(scope="module")
def fuzz_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    with ws.connect() as con:
        build_demo(con)
    return ws


def _attempt(ws: Workspace, fmt: str, data: bytes, suffix: str) -> None:
    """Import ``data``; it either imports or raises FormatError and leaves every count unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        with ws.connect() as con:
            before = store.stats(con)
            try:
                import_files(con, fmt, [path])
            except FormatError as exc:
                assert str(path) in str(exc) and exc.reason
                assert store.stats(con) == before


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(fuzz_ws: Workspace, fmt: str, data: bytes) -> None:
    _attempt(fuzz_ws, fmt, data, ".json")


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(value=json_values, as_lines=st.booleans())
def test_random_json(fuzz_ws: Workspace, fmt: str, value: object, as_lines: bool) -> None:
    if as_lines and isinstance(value, list):
        text = "".join(json.dumps(v) + "\n" for v in value) or "\n"
    else:
        text = json.dumps(value)
    _attempt(fuzz_ws, fmt, text.encode(), ".jsonl" if as_lines else ".json")


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_records_with_the_right_field_names(fuzz_ws: Workspace, fmt: str, data: st.DataObject) -> None:
    records = data.draw(shaped_records(fmt))
    as_lines = data.draw(st.booleans())
    text = "".join(json.dumps(r) + "\n" for r in records) if as_lines else json.dumps(records)
    _attempt(fuzz_ws, fmt, text.encode(), ".json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_absurdly_deep_nesting(fuzz_ws: Workspace, fmt: str) -> None:
    _attempt(fuzz_ws, fmt, b"[" * 100_000 + b"]" * 100_000, ".json")
    _attempt(fuzz_ws, fmt, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, ".json")
