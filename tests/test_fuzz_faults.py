"""Property-based: a failure injected at any write of an import leaves the workspace as it was."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
import pytest
from fuzz_files import (
    FORMATS,
    _base,
    _serialise,
    _stored_tools,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import copy_of, demo_workspace
from fcstudio.catalog.ingest import import_each, import_files
from fcstudio.store import Workspace


@pytest.fixture
def fuzz_ws(tmp_path: Path) -> Workspace:
    """This test's own copy of the demo workspace (shared by its hypothesis examples)."""
    return demo_workspace(tmp_path / "fuzz.duckdb")


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
