"""Bad files end the import with a non-zero exit and PATH:LINE + reason; the workspace is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fuzz_files import _all_rows

from conftest import FIXTURES, run_cli, workspace_counts, write_jsonl
from fcstudio.store import Workspace

GOOD_XLAM = {
    "id": 1,
    "query": "add 1 and 2",
    "tools": [{"name": "add", "description": "", "parameters": {"a": {"type": "int"}}}],
    "answers": [{"name": "add", "arguments": {"a": 1}}],
}
GOOD_TOOL = {"name": "f", "description": "", "parameters": {"type": "object", "properties": {}}}


@pytest.fixture
def seeded(ws: Workspace) -> Workspace:
    """A workspace that already holds data, so 'unchanged' is not trivially true."""
    result = run_cli("import", "xlam", str(FIXTURES / "xlam" / "xlam_sample.jsonl"), workspace=ws.path)
    assert result.returncode == 0, result.stderr
    return ws


def _case(tmp_path: Path, name: str) -> tuple[str, Path, str]:
    """(format, file, expected message fragment) for each kind of bad input."""
    p = tmp_path / name
    if name == "broken_line.jsonl":
        p.write_text(json.dumps(GOOD_XLAM) + "\n" + json.dumps(GOOD_XLAM) + "\n" + '{"id": 3, "query": "x", \n')
        return "xlam", p, f"{p}:3: invalid JSON line"
    if name == "missing_field.jsonl":
        row = dict(GOOD_XLAM)
        del row["answers"]
        write_jsonl(p, [GOOD_XLAM, GOOD_XLAM, row])
        return "xlam", p, f"{p}:3 (record 1): missing field 'answers'"
    if name == "wrong_type.jsonl":
        write_jsonl(p, [GOOD_XLAM, {**GOOD_XLAM, "id": 7, "query": 42}])
        return "xlam", p, f"{p}:2 (record 7): field 'query' must be str, got int"
    if name == "not_schema.json":
        bad = {"name": "g", "parameters": {"type": "object", "properties": {"x": {"type": 5}}}}
        p.write_text(json.dumps([GOOD_TOOL, bad], indent=2))
        return (
            "openai-tools",
            p,
            f"{p}:10 (record g): tool 'g': parameters: not a valid JSON Schema at properties/x/type",
        )
    if name == "empty.json":
        p.write_text("  \n")
        return "openai-tools", p, f"{p}: file is empty"
    if name == "binary.jsonl":
        p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
        return "xlam", p, f"{p}: is a binary file"
    if name == "mismatch.json":
        # a BFCL question file given as xLAM
        p.write_text(
            json.dumps({"id": "simple_0", "question": [[{"role": "user", "content": "hi"}]], "function": [GOOD_TOOL]})
            + "\n"
        )
        return "xlam", p, f"{p}:1 (record simple_0): missing field 'query'"
    if name == "parquet_as_bfcl.json":
        p.write_bytes(b"PAR1" + b"\x00" * 32 + b"PAR1")
        return "bfcl", p, f"{p}: is a Parquet file"
    if name == "bad_answer.jsonl":
        write_jsonl(p, [{"id": 1, "query": "q", "tools": "[]", "answers": '[{"name": "f", "arguments": {"a": '}])
        return "xlam", p, f"{p}:1 (record 1): field 'answers' holds a string that is not JSON"
    if name == "bad_message.jsonl":
        write_jsonl(
            p, [{"messages": [{"role": "user", "content": "hi"}]}, {"messages": [{"role": "robot", "content": "x"}]}]
        )
        return "openai-chat", p, f"{p}:2 (record 1): messages[0]: role"
    raise AssertionError(name)


CASES = [
    "broken_line.jsonl",
    "missing_field.jsonl",
    "wrong_type.jsonl",
    "not_schema.json",
    "empty.json",
    "binary.jsonl",
    "mismatch.json",
    "parquet_as_bfcl.json",
    "bad_answer.jsonl",
    "bad_message.jsonl",
]


@pytest.mark.parametrize("name", CASES)
def test_bad_file_names_the_place_and_changes_nothing(tmp_path: Path, seeded: Workspace, name: str) -> None:
    fmt, path, expected = _case(tmp_path, name)
    before = workspace_counts(seeded)
    result = run_cli("import", fmt, str(path), workspace=seeded.path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "workspace is unchanged" in result.stderr
    assert workspace_counts(seeded) == before


def test_atomic_one_bad_file_among_good_ones_imports_none_of_them(tmp_path: Path, seeded: Workspace) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD_XLAM])
    _, bad, expected = _case(tmp_path, "broken_line.jsonl")
    before, rows = workspace_counts(seeded), _all_rows(seeded)
    result = run_cli("import", "xlam", str(good), str(bad), "--atomic", workspace=seeded.path)
    assert result.returncode == 1 and expected in result.stderr and "workspace is unchanged" in result.stderr
    assert workspace_counts(seeded) == before and _all_rows(seeded) == rows  # not even a job row


def test_importing_the_same_file_twice_says_so(seeded: Workspace) -> None:
    before = workspace_counts(seeded)
    result = run_cli("import", "xlam", str(FIXTURES / "xlam" / "xlam_sample.jsonl"), workspace=seeded.path)
    assert result.returncode == 0
    assert "already imported" in result.stdout and "nothing added" in result.stdout
    assert workspace_counts(seeded) == before


def test_unknown_format_and_missing_file(tmp_path: Path, ws: Workspace) -> None:
    unknown = run_cli("import", "csv", "x.csv", workspace=ws.path)
    assert unknown.returncode == 2 and "unknown format 'csv'" in unknown.stderr
    missing = run_cli("import", "xlam", str(tmp_path / "nope.jsonl"), workspace=ws.path)
    assert missing.returncode == 1 and "nope.jsonl: cannot be read" in missing.stderr


# -- text that cannot be stored: lone surrogates and NUL, in every importer --------------------------------------
def _bad_file(tmp_path: Path, fmt: str) -> tuple[Path, int, str]:
    """A valid file of ``fmt`` with a lone surrogate in its last record; (path, line, field path)."""
    from fuzz_files import _base, _serialise

    name, layout, records = _base(fmt)
    last = records[-1]
    key = next(k for k, v in last.items() if isinstance(v, str))
    last[key] = "x\udc9fy"
    text = _serialise(layout, records)
    path = tmp_path / name
    path.write_text(text)
    line = len(records) if layout == "jsonl" else text.count("\n", 0, text.index("\\udc9f")) + 1
    return path, line, key


@pytest.mark.parametrize(
    "fmt", ["openai-tools", "openai-chat", "bfcl", "xlam", "toolalpaca", "toolbench", "apibench", "tau2-tasks"]
)
def test_cli_refuses_bad_text_with_the_place(tmp_path: Path, seeded: Workspace, fmt: str) -> None:
    path, line, field = _bad_file(tmp_path, fmt)
    before, rows = workspace_counts(seeded), _all_rows(seeded)
    result = run_cli("import", fmt, str(path), workspace=seeded.path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{line}" in result.stderr and f"text holds a lone surrogate \\udc9f at {field}" in result.stderr
    assert "Traceback" not in result.stderr and "UnicodeEncodeError" not in result.stderr
    assert workspace_counts(seeded) == before and _all_rows(seeded) == rows


def test_xlam_bad_text_inside_json_strings_and_parquet(tmp_path: Path, ws: Workspace) -> None:
    """xLAM keeps tools/answers as JSON inside strings: their escapes are decoded a second time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fcstudio.catalog.formats.errors import FormatError
    from fcstudio.catalog.ingest import import_files

    tools = json.dumps([{"name": "add", "description": "x\ud800", "parameters": {"a": {"type": "int"}}}])
    jsonl = write_jsonl(tmp_path / "strings.jsonl", [GOOD_XLAM, {**GOOD_XLAM, "id": 2, "tools": tools}])
    table = pa.Table.from_pylist(
        [
            {"id": 1, "query": "fine", "tools": "[]", "answers": "[]"},
            {"id": 2, "query": "a\x00b", "tools": "[]", "answers": "[]"},
        ]
    )
    parquet = tmp_path / "rows.parquet"
    pq.write_table(table, parquet)
    before = _all_rows(ws)
    with ws.connect() as con:
        with pytest.raises(FormatError) as inner:
            import_files(con, "xlam", [jsonl])
        with pytest.raises(FormatError) as nul:
            import_files(con, "xlam", [parquet])
    assert str(inner.value) == f"{jsonl}:2 (record 2): text holds a lone surrogate \\ud800 at tools[0].description"
    assert str(nul.value) == f"{parquet}:2 (record 2): text holds a NUL character (\\u0000) at query"
    assert _all_rows(ws) == before


def test_emoji_as_an_escaped_pair_imports(tmp_path: Path, ws: Workspace) -> None:
    row = {**GOOD_XLAM, "query": "add 🤖 and 😀"}
    path = tmp_path / "emoji.jsonl"
    path.write_text(json.dumps(row) + "\n")  # ensure_ascii: \ud83e\udd16 and \ud83d\ude00
    assert "\\ud83e\\udd16" in path.read_text()
    result = run_cli("import", "xlam", str(path), workspace=ws.path)
    assert result.returncode == 0, result.stderr
    with ws.connect() as con:
        messages = json.loads(con.execute("SELECT messages FROM trajectories").fetchall()[0][0])
    assert messages[0]["content"] == "add 🤖 and 😀"


def _tau2_results(bad: str) -> dict:
    return {
        "info": {"environment_info": {"domain_name": "airline"}, "agent_info": {"llm": "m"}},
        "tasks": [{"id": "7"}],
        "simulations": [
            {
                "id": "s1",
                "task_id": "7",
                "reward_info": {"reward": 1.0},
                "messages": [{"role": "user", "content": "ok"}],
            },
            {
                "id": "s2",
                "task_id": "7",
                "reward_info": {"reward": 0.0},
                "messages": [{"role": "user", "content": bad}],
            },
        ],
    }


@pytest.mark.parametrize("kind", ["tau2-results", "tau-bench", "tau2-leaderboard", "published", "bfcl-scores"])
def test_eval_import_refuses_bad_text_with_the_place(tmp_path: Path, ws: Workspace, kind: str) -> None:
    """Every `eval import` kind: exit 1, PATH:LINE (record): reason, nothing stored."""
    if kind == "tau2-results":
        path, text, record = tmp_path / "results.json", json.dumps(_tau2_results("hi\ud83d"), indent=1), "s2"
    elif kind == "tau-bench":
        episodes = [
            {"task_id": 0, "reward": 1.0, "traj": [{"role": "user", "content": "ok"}]},
            {"task_id": 1, "reward": 0.0, "traj": [{"role": "user", "content": "bad\x00"}]},
        ]
        path, text, record = tmp_path / "gpt-4o-airline.json", json.dumps(episodes, indent=1), "1"
    elif kind == "tau2-leaderboard":
        sub = {"model_name": "M\udfff", "results": {"airline": {"pass_1": 50}}}
        path, text, record = tmp_path / "sub.json", json.dumps(sub, indent=1), None
    elif kind == "published":
        table = {
            "benchmark": "x",
            "citation": "c",
            "rows": [{"model": "a", "scores": {"s": 1}}, {"model": "b\ud800", "scores": {}}],
        }
        path, text, record = tmp_path / "table.json", json.dumps(table, indent=1), None
    else:
        path, text, record = tmp_path / "data_overall.csv", "Rank,Overall Acc,Model\n1,50%,A\n2,40%,B\x00\n", None
    path.write_text(text)
    line = 3 if kind == "bfcl-scores" else text.count("\n", 0, text.index("\\u")) + 1
    before = _all_rows(ws) if ws.path.exists() else None
    result = run_cli("eval", "import", kind, str(path), workspace=ws.path)
    assert result.returncode == 1, result.stdout + result.stderr
    where = f"{path}:{line}" + (f" (record {record})" if record else "")
    assert where in result.stderr and "text holds a " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    if before is not None:
        assert _all_rows(ws) == before
    with ws.connect() as con:
        assert (
            con.execute("SELECT count(*) FROM eval_runs WHERE origin LIKE ?", [f"%{path.name}%"]).fetchall()[0][0] == 0
        )


def test_task_state_and_check_files_refuse_bad_text(tmp_path: Path) -> None:
    """Task files (env replay), domain databases and BFCL check files name the place too."""
    from fcstudio.catalog.formats.errors import FormatError
    from fcstudio.envs.loading import StateError, load_state
    from fcstudio.envs.retail import RECORD_MODELS
    from fcstudio.envs.tasks import TaskFileError, load_tasks
    from fcstudio.evals.bfcl_data import BfclDataError, read_check_file

    tasks = tmp_path / "tasks.json"
    tasks.write_text(
        json.dumps(
            [
                {"id": "0", "user_scenario": {"instructions": "x"}},
                {"id": "1", "user_scenario": {"instructions": "y\udabc"}},
            ],
            indent=1,
        )
    )
    line = tasks.read_text().split("\\udabc")[0].count("\n") + 1
    with pytest.raises(TaskFileError) as task_error:
        load_tasks(tasks)
    assert isinstance(task_error.value, FormatError)
    assert (
        str(task_error.value)
        == f"{tasks}:{line} (record 1): text holds a lone surrogate \\udabc at [1].user_scenario.instructions"
    )
    replay = run_cli("env", "replay", "--domain", "retail", "--tasks", str(tasks))
    assert replay.returncode == 1 and f"{tasks}:{line} (record 1)" in replay.stderr and "Traceback" not in replay.stderr

    db = tmp_path / "db.json"
    db.write_text('{"users": {"u\\u0000": {}}}')
    with pytest.raises(StateError) as state_error:
        load_state(db, RECORD_MODELS)
    assert str(state_error.value) == f"{db}:1: text holds a NUL character (\\u0000) in a key of users"

    cases = tmp_path / "cases.jsonl"
    case = {"id": "simple_0", "category": "simple_python", "functions": [], "model_output": []}
    cases.write_text(json.dumps(case) + "\n" + json.dumps({**case, "id": "simple_1", "model_output": "\ud800"}) + "\n")
    with pytest.raises(BfclDataError) as check_error:
        read_check_file(cases)
    assert str(check_error.value) == f"{cases}:2 (record simple_1): text holds a lone surrogate \\ud800 at model_output"
    check = run_cli("bfcl", "check", str(cases))
    assert check.returncode == 1 and f"{cases}:2 (record simple_1)" in check.stderr and "Traceback" not in check.stderr
