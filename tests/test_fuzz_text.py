"""Property-based: bad text (lone surrogates, NUL) anywhere in a valid file of every importer is refused naming
the place, and valid surrogate pairs still import."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fuzz_files import (
    FIXTURES,
    FORMATS,
    FREE_TEXT,
    _base,
    _containers,
    _serialise,
    _strings,
    all_rows,
    bad_chars,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import copy_of, template
from fcstudio.catalog.formats import FormatError
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace


def _make_text_ws(ws: Workspace) -> None:
    with ws.connect() as con:
        import_files(con, "xlam", [FIXTURES / "xlam" / "xlam_sample.jsonl"])


@pytest.fixture
def text_ws(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's copy of the workspace, shared by its examples."""
    with copy_of(template("xlam-sample", _make_text_ws), tmp_path / "ws.duckdb").connect() as con:
        yield con


@pytest.mark.parametrize("fmt", FORMATS)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_bad_text_anywhere_names_the_place_and_changes_nothing(
    text_ws: duckdb.DuckDBPyConnection, fmt: str, data: st.DataObject
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
        rows_before = all_rows(text_ws)
        with pytest.raises(FormatError) as caught:
            import_files(text_ws, fmt, [path])
        assert all_rows(text_ws) == rows_before
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
