"""The workspace: migrations, counts, versioned edits, and sharing the file between processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from conftest import demo_workspace
from fcstudio import store
from fcstudio.models import ToolEdit
from fcstudio.store import LATEST_VERSION, EditConflict, SharedConnection, Workspace, WorkspaceBusy


def test_new_workspace_is_at_latest_schema(ws: Workspace) -> None:
    with ws.connect() as con:
        assert store.schema_version(con) == LATEST_VERSION
        assert store.stats(con)["tables"] == {t: 0 for t in store.COUNTED_TABLES}


def test_workspace_made_by_an_older_version_opens_and_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert store.migrate(con, target=1) == 1
    # a row written by version-1 code: no version column yet
    store.run(con, "INSERT INTO datasets (name, format) VALUES ('old', 'openai-tools')")
    store.run(
        con,
        """INSERT INTO tools (id, dataset, import_id, name, description, parameters, returns, labels, source_ref)
           VALUES ('t1', 'old', 1, 'legacy_tool', 'from v1', '{"type":"object"}', NULL, ['x'], NULL)""",
    )
    con.close()

    with Workspace(path).connect() as con:
        assert store.schema_version(con) == LATEST_VERSION
        tool = store.get_tool(con, "t1")
        assert tool is not None and tool["version"] == 1 and tool["description"] == "from v1"
        assert store.edit_tool(con, ToolEdit(tool_id="t1", version=1, description="edited", labels=["x"])) == 2
        versions = [r[0] for r in store.run(con, "SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_labels_and_jobs_written_before_migrations_7_and_8_survive_them(tmp_path: Path) -> None:
    path = tmp_path / "v6.duckdb"
    con = duckdb.connect(str(path))
    assert store.migrate(con, target=6) == 6
    store.run(
        con,
        """INSERT INTO pairs (id, turn, prefix, chosen, rejected, tools, strategy, error_type, judge, annotators_required)
           VALUES (1, 0, '[]', '[]', '[]', '[]', 'perturb', 'wrong_summary', 'rule', 2)""",
    )
    store.run(
        con, "INSERT INTO pair_labels (pair_id, slot, annotator, choice, reasons) VALUES (1, 1, 'ana', 'tie', [])"
    )
    store.run(
        con,
        "INSERT INTO jobs (id, kind, backend, params, status, items) VALUES (1, 'synth', 'template', '{}', 'done', 4)",
    )
    con.close()
    with Workspace(path).connect() as con:
        assert store.rows(con, "SELECT pair_id, slot, required, annotator FROM pair_labels") == [
            {"pair_id": 1, "slot": 1, "required": 2, "annotator": "ana"}
        ]
        assert store.rows(con, "SELECT status, items, items_failed FROM jobs") == [
            {"status": "done", "items": 4, "items_failed": 0}
        ]
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint"):
            store.run(
                con,
                "INSERT INTO pair_labels (pair_id, slot, required, annotator, choice, reasons) VALUES (1, 3, 2, 'x', 'tie', [])",
            )


def test_environment_tools_stored_with_dangling_refs_are_repaired_on_upgrade(tmp_path: Path) -> None:
    from fcstudio.catalog.schemas import dangling_refs
    from fcstudio.envs.registry import DOMAINS

    spec = next(t for t in DOMAINS["airline"].env.tool_specs() if t.name == "book_reservation")
    broken = {k: v for k, v in spec.parameters.items() if k != "$defs"}  # what fcstudio stored before
    assert dangling_refs(broken)
    path = tmp_path / "v8.duckdb"
    con = duckdb.connect(str(path))
    assert store.migrate(con, target=8) == 8
    store.run(
        con,
        """INSERT INTO tools (id, dataset, import_id, name, description, parameters, returns, labels, source_ref)
           VALUES ('tb', 'tau2-airline', 1, 'book_reservation', 'Book a reservation.', ?, NULL, ['airline', 'write'], NULL),
                  ('tx', 'other', 1, 'book_reservation', 'Someone else''s tool.', '{"type":"object"}', NULL, [], NULL)""",
        [json.dumps(broken)],
    )
    con.close()
    with Workspace(path).connect() as con:
        repaired = json.loads(store.scalar(con, "SELECT parameters FROM tools WHERE id = 'tb'"))
        other = json.loads(store.scalar(con, "SELECT parameters FROM tools WHERE id = 'tx'"))
    assert repaired == spec.parameters and "$defs" in repaired and not dangling_refs(repaired)
    assert other == {"type": "object"}


def test_workspace_from_a_newer_fcstudio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with Workspace(path).connect() as con:
        store.run(con, "INSERT INTO schema_version (version, note) VALUES (?, 'future')", [LATEST_VERSION + 1])
    with pytest.raises(RuntimeError, match="newer than this fcstudio"):
        Workspace(path).open()


def test_edit_with_a_stale_version_is_refused_and_nothing_is_overwritten(ws: Workspace) -> None:
    demo_workspace(ws.path)
    with ws.connect() as con:
        tool_id = store.search_tools(con, "get_weather")[0][0]["id"]
        # two editors load version 1
        assert (
            store.edit_tool(con, ToolEdit(tool_id=tool_id, version=1, description="first", labels=["a"]), editor="ann")
            == 2
        )
        with pytest.raises(EditConflict, match="changed by someone else"):
            store.edit_tool(con, ToolEdit(tool_id=tool_id, version=1, description="second", labels=["b"]), editor="bob")
        tool = store.get_tool(con, tool_id)
        assert tool["description"] == "first" and tool["labels"] == ["a"] and tool["version"] == 2
        assert [h["editor"] for h in store.tool_history(con, tool_id)] == ["ann"]


def test_search_filters_and_paging(ws: Workspace) -> None:
    demo_workspace(ws.path)
    with ws.connect() as con:
        everything, total = store.search_tools(con, limit=1000)
        assert total == len(everything) == 30
        page1, _ = store.search_tools(con, limit=10, offset=0)
        page2, _ = store.search_tools(con, limit=10, offset=10)
        assert not {t["id"] for t in page1} & {t["id"] for t in page2}
        by_param, _ = store.search_tools(con, param="airport")
        assert {t["name"] for t in by_param} == {"get_flight_by_airport"}
        by_label, _ = store.search_tools(con, label="calendar")
        assert "check_calendar" in {t["name"] for t in by_label}
        assert store.count_tools(con, "NAVIG") == 2  # case-insensitive: navigate, set_navigation


def test_usage_lists_trajectories_and_tasks_offering_a_tool(ws: Workspace) -> None:
    demo_workspace(ws.path)
    with ws.connect() as con:
        tool_id = store.search_tools(con, "get_weather")[0][0]["id"]
        trajs, n_traj = store.tool_usage(con, tool_id, "trajectories")
        _, n_task = store.tool_usage(con, tool_id, "tasks")
    assert n_traj == len(trajs) == 5
    assert n_task == 25  # 3 BFCL-style tasks + the 22 travel tasks
    assert any(t["called"] for t in trajs) and not all(t["called"] for t in trajs)


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_open_waits_while_another_process_holds_the_file(ws: Workspace) -> None:
    ws.open().close()
    holder = _hold(ws.path, 1.5)
    waits: list[float] = []
    start = time.monotonic()
    with ws.connect(timeout=20, on_wait=waits.append) as con:
        assert store.schema_version(con) == LATEST_VERSION
    assert waits, "the second open should have had to wait"
    assert time.monotonic() - start >= 1.0
    holder.wait(timeout=10)


def test_open_gives_up_with_a_clear_error(ws: Workspace) -> None:
    ws.open().close()
    holder = _hold(ws.path, 3)
    with pytest.raises(WorkspaceBusy, match="held by another process"):
        ws.open(timeout=0.3)
    holder.wait(timeout=10)


def test_shared_connection_releases_the_file_when_the_last_cursor_returns(ws: Workspace) -> None:
    shared = SharedConnection(ws)
    with shared.cursor() as outer:
        with shared.cursor() as inner:
            assert store.scalar(inner, "SELECT 1") == 1
        assert store.scalar(outer, "SELECT 2") == 2
        # still held: another process cannot open it now
        probe = subprocess.run(
            [sys.executable, "-c", f"import duckdb; duckdb.connect({str(ws.path)!r})"], capture_output=True, text=True
        )
        assert probe.returncode != 0 and "lock" in probe.stderr.lower()
    probe = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(ws.path)!r})"], capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
