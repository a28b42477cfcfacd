"""Property-based: random bytes and random JSON at every importer never crash and never half-write."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import copy_of, demo_workspace, template
from fcstudio import store
from fcstudio.catalog.formats import FORMATS as REGISTRY
from fcstudio.catalog.formats import FormatError
from fcstudio.catalog.ingest import import_each, import_files
from fcstudio.store import Workspace

FORMATS = sorted(REGISTRY)

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


@pytest.fixture
def fuzz_ws(tmp_path: Path) -> Workspace:
    """This test's own copy of the demo workspace (shared by its hypothesis examples, each of which compares
    before and after)."""
    return demo_workspace(tmp_path / "fuzz.duckdb")


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


# Examples per format: with eleven formats the suite's budget (10 minutes on CI's 2 cores) sets these; each
# format still gets its own random files on every run, and a failure is kept in hypothesis' database.
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
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


# -- bad text injected into valid files of every importer ------------------------------------------------------
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
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {n: int(store.scalar(con, f'SELECT count(*) FROM "{n}"')) for n in names}


def _make_text_ws(ws: Workspace) -> None:
    with ws.connect() as con:
        import_files(con, "xlam", [FIXTURES / "xlam" / "xlam_sample.jsonl"])


@pytest.fixture
def text_ws(tmp_path: Path) -> Workspace:
    return copy_of(template("xlam-sample", _make_text_ws), tmp_path / "ws.duckdb")


@pytest.mark.parametrize("fmt", FORMATS)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_bad_text_anywhere_names_the_place_and_changes_nothing(
    text_ws: Workspace, fmt: str, data: st.DataObject
) -> None:
    """A lone surrogate (anywhere in U+D800..U+DFFF) or NUL, in a key or a value at any depth of any record,
    ends the import with PATH:LINE naming the field; nothing is written."""
    from fcstudio.catalog.formats.text import describe, field_path

    name, layout, records = _base(fmt)
    records = json.loads(json.dumps(records))
    index = data.draw(st.integers(0, len(records) - 1), label="record")
    where, node = data.draw(st.sampled_from(_containers(records[index])), label="container")
    bad = data.draw(bad_chars, label="char")
    marker = f"zq{data.draw(st.integers(100, 999))}"
    text_value = f"{marker}{bad}{marker}"
    as_key = isinstance(node, dict) and data.draw(st.booleans(), label="as key")
    if isinstance(node, dict) and as_key:
        node[text_value] = 1
        field, in_key = where, True
    elif isinstance(node, dict):
        key = data.draw(st.sampled_from([*node, "zq_new"]), label="key")
        node[key] = text_value
        field, in_key = (*where, key), False
    else:
        node.append(text_value)
        field, in_key = (*where, len(node) - 1), False
    text = _serialise(layout, records)
    escape = text.index(marker)  # the bad character's escape follows the marker
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text)
        rows_before = _all_rows(text_ws)
        with text_ws.connect() as con:
            before = store.stats(con)
            with pytest.raises(FormatError) as caught:
                import_files(con, fmt, [path])
            assert store.stats(con) == before
        assert _all_rows(text_ws) == rows_before
    exc = caught.value
    line = index + 1 if layout == "jsonl" else text.count("\n", 0, escape) + 1
    assert exc.path == str(path) and exc.line == line, (str(exc), line)
    assert describe(bad) in exc.reason
    expected = field_path(field)
    assert (f"in a key of {expected or 'the record'}" if in_key else f"at {expected}") in exc.reason, exc.reason


@pytest.mark.parametrize("fmt", FORMATS)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_valid_surrogate_pairs_still_import(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, data: st.DataObject
) -> None:
    """An emoji written as two \\u escapes (a valid surrogate pair) is text like any other."""
    name, layout, records = _base(fmt)
    records = json.loads(json.dumps(records))
    index = data.draw(st.integers(0, len(records) - 1))
    free_text = [
        (parts, v)
        for parts, v in _strings(records[index])
        if parts[-1] in FREE_TEXT or (len(parts) > 1 and parts[-2] in FREE_TEXT)
    ]
    parts, _ = data.draw(st.sampled_from(free_text))
    node = records[index]
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] += data.draw(st.sampled_from(["🤖", "😀", "𝔘", "🇫🇷"]))
    text = _serialise(layout, records)
    assert "\\ud83" in text or "\\ud835" in text or "\\ud83c" in text
    folder = tmp_path_factory.mktemp("pairs")
    path = folder / name
    path.write_text(text)
    with Workspace(folder / "ws.duckdb").connect() as con:
        [result] = import_files(con, fmt, [path])
    assert result.tools_added + result.trajectories_added + result.tasks_added > 0


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


def _stored_tools(con: object) -> set[tuple[str, str, str]]:
    return {
        (r["name"], r["description"], json.dumps(json.loads(r["parameters"]), sort_keys=True))
        for r in store.rows(con, "SELECT name, description, parameters FROM tools")  # type: ignore[arg-type]
    }


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


# -- a failure injected while an import writes leaves the workspace as it was ---------------------------------
class FaultyConnection:
    """A DuckDB connection (DuckDB is outside the project) whose ``fail_at``-th call fails, as a full disk or a
    lost file would. A failing commit rolls back first, as DuckDB's own failed commit does."""

    CALLS = ("execute", "executemany", "sql", "register", "unregister", "commit")

    def __init__(self, con: object, fail_at: int | None = None) -> None:
        self._con, self.fail_at, self.calls = con, fail_at, 0

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._con, name)
        if name not in self.CALLS:
            return attr

        def call(*args: object, **kwargs: object) -> object:
            self.calls += 1
            if self.calls == self.fail_at:
                if name == "commit":
                    self._con.rollback()  # type: ignore[attr-defined]
                raise duckdb.IOException(f"injected fault at call {self.calls} ({name})")
            return attr(*args, **kwargs)  # type: ignore[operator]

        return call


def _snapshot(ws: Workspace) -> dict[str, list[str]]:
    """Every row of every table, as text: the whole workspace, not only counts."""
    with ws.connect() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def _valid_file(fmt: str, folder: Path) -> Path:
    name, layout, records = _base(fmt)
    path = folder / name
    path.write_text(_serialise(layout, records))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_failure_at_any_write_leaves_the_workspace_unchanged(
    fuzz_ws: Workspace, fmt: str, data: st.DataObject
) -> None:
    """Whichever call of an import fails (each format's valid file, atomic and one-file-per-transaction),
    the error reaches the caller and every table holds exactly what it held before."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _valid_file(fmt, Path(tmp))
        scratch = copy_of(fuzz_ws.path, Path(tmp) / "count.duckdb")
        with scratch.connect() as con:  # how many calls a clean import makes
            counting = FaultyConnection(con)
            import_files(counting, fmt, [path])  # type: ignore[arg-type]
        fail_at = data.draw(st.integers(1, counting.calls), label="failing call")
        target = copy_of(fuzz_ws.path, Path(tmp) / "ws.duckdb")  # each example starts from the same workspace
        before = _snapshot(target)
        with target.connect() as con:
            faulty = FaultyConnection(con, fail_at)
            with pytest.raises(duckdb.IOException, match="injected fault"):
                if data.draw(st.booleans(), label="atomic"):
                    import_files(faulty, fmt, [path])  # type: ignore[arg-type]
                else:
                    import_each(faulty, fmt, [path])  # type: ignore[arg-type]
        assert _snapshot(target) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_failure_while_one_of_many_files_writes_stores_the_others_whole(
    fuzz_ws: Workspace, data: st.DataObject
) -> None:
    """Three files, one transaction each; a call fails somewhere: each file's tools are all stored or none are,
    the files that landed are exactly what they held, and the failure is on the job or reaches the caller."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(3):
            path = Path(tmp) / f"tools{i}.json"
            fns = [
                {"name": f"f{i}_{k}", "description": f"Tool {k} of file {i}.", "parameters": {"type": "object"}}
                for k in range(3)
            ]
            path.write_text(json.dumps(fns))
            paths.append((path, fns))
        scratch = copy_of(fuzz_ws.path, Path(tmp) / "count.duckdb")
        with scratch.connect() as con:
            counting = FaultyConnection(con)
            import_each(counting, "openai-tools", [p for p, _ in paths])  # type: ignore[arg-type]
        fail_at = data.draw(st.integers(1, counting.calls), label="failing call")
        target = copy_of(fuzz_ws.path, Path(tmp) / "ws.duckdb")  # each example starts from the same workspace
        with target.connect() as con:
            names_before = {name for name, *_ in _stored_tools(con)}
            outcome = None
            try:
                outcome = import_each(FaultyConnection(con, fail_at), "openai-tools", [p for p, _ in paths])  # type: ignore[arg-type]
            except duckdb.IOException as exc:
                assert "injected fault" in str(exc)  # a job-bookkeeping write failed: the caller hears it
            new = {name for name, *_ in _stored_tools(con)} - names_before
        landed = 0
        for _, fns in paths:
            got = {f["name"] for f in fns} & new
            assert got in (set(), {f["name"] for f in fns})  # a file is stored whole or not at all
            landed += bool(got)
        if outcome is not None:  # the fault hit one file's write: that file is the job's one failure
            assert outcome.status == "partial" and len(outcome.failures) == 1 and landed == 2
            assert "injected fault" in outcome.failures[0].error
