"""Bad files end the import with a non-zero exit and PATH:LINE + reason; the workspace is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
        bad = {"name": "g", "parameters": {"type": "object", "properties": {"x": {"type": "dict"}}}}
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


def test_one_bad_file_among_good_ones_imports_none_of_them(tmp_path: Path, seeded: Workspace) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [GOOD_XLAM])
    _, bad, _ = _case(tmp_path, "broken_line.jsonl")
    before = workspace_counts(seeded)
    result = run_cli("import", "xlam", str(good), str(bad), workspace=seeded.path)
    assert result.returncode == 1
    assert workspace_counts(seeded) == before


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
