"""The command line as a user runs it: help, init, stats, catalogue search/show/edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli
from fcstudio.config import workspace_path


def test_help_works_from_the_repo_root_without_installing() -> None:
    result = run_cli("--help", process=True)
    assert result.returncode == 0
    for command in ("init", "stats", "import", "tools"):
        assert command in result.stdout


def test_init_demo_and_stats_json(tmp_path: Path) -> None:
    ws = tmp_path / "demo.duckdb"
    first = run_cli("init", "--demo", workspace=ws, process=True)  # the entry point, end to end
    assert first.returncode == 0, first.stderr
    assert "added 30 tools" in first.stdout
    stats = run_cli("stats", "--json", workspace=ws)
    data = json.loads(stats.stdout)
    assert data == {
        "tables": {"datasets": 1, "imports": 4, "tools": 30, "trajectories": 8, "tasks": 34},
        "datasets": {"demo": {"imports": 4, "tools": 30, "trajectories": 8, "tasks": 34}},
    }
    # counts only: running init again changes nothing and stats print the same bytes
    again = run_cli("init", "--demo", workspace=ws)
    assert again.stdout.count("already imported") == 4
    assert run_cli("stats", "--json", workspace=ws).stdout == stats.stdout


def test_workspace_from_the_environment(tmp_path: Path) -> None:
    ws = tmp_path / "env.duckdb"
    result = run_cli("init", env={"FCSTUDIO_WORKSPACE": str(ws)})
    assert result.returncode == 0 and ws.exists()
    assert (
        workspace_path(None)
        == Path(os.environ.get("FCSTUDIO_WORKSPACE", "~/.fcstudio/demo.duckdb")).expanduser().resolve()
    )
    assert workspace_path(str(ws)) == ws.resolve()


def test_tools_search_show_edit_and_conflict(tmp_path: Path) -> None:
    ws = tmp_path / "w.duckdb"
    assert run_cli("init", "--demo", workspace=ws).returncode == 0
    found = json.loads(run_cli("tools", "search", "get_dist", "--json", workspace=ws).stdout)
    assert found["total"] == 1 and found["tools"][0]["name"] == "get_distance"
    tool_id = found["tools"][0]["id"]
    shown = json.loads(run_cli("tools", "show", "get_distance", "--json", workspace=ws).stdout)
    assert shown["id"] == tool_id and shown["parameters"]["required"] == ["from_loc", "to_loc"]
    assert shown["used_by"] == {"trajectories": 2, "tasks": 23}  # 1 BFCL-style task + the 22 travel tasks
    ok = run_cli(
        "tools",
        "edit",
        tool_id,
        "--version",
        "1",
        "--description",
        "Road distance.",
        "--labels",
        "travel,maps",
        "--editor",
        "ann",
        workspace=ws,
    )
    assert ok.returncode == 0 and "version 2" in ok.stdout
    stale = run_cli("tools", "edit", tool_id, "--version", "1", "--description", "Overwrite!", workspace=ws)
    assert stale.returncode == 4 and "changed by someone else" in stale.stderr
    shown = json.loads(run_cli("tools", "show", tool_id, "--json", workspace=ws).stdout)
    assert shown["description"] == "Road distance." and shown["labels"] == ["travel", "maps"]


def test_console_script_is_declared() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'fcstudio = "fcstudio.cli:main"' in text


# -- imports of many files: each file its own unit, recorded as a job --------------------------------------------
def _toolbench_folder(folder: Path, n: int, broken: int) -> list[Path]:
    """``n`` ToolBench tool files (as in data/toolenv/tools/<Category>/), file ``broken`` cut short."""
    from conftest import FIXTURES

    tool = json.loads((FIXTURES / "toolbench" / "tools" / "Weather" / "open_weather_2_0.json").read_text())
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"tool_{i:02d}.json"
        text = json.dumps({**tool, "tool_name": f"Weather {i}"}, indent=2)
        path.write_text(text[: len(text) // 2] if i == broken else text)
        paths.append(path)
    return paths


def _job_rows(ws: Path) -> tuple[list, list]:
    import duckdb

    con = duckdb.connect(str(ws), read_only=True)
    try:
        jobs = con.execute(
            "SELECT id, kind, backend, status, items, items_total, items_failed FROM jobs ORDER BY id"
        ).fetchall()
        failures = con.execute("SELECT job_id, item, error FROM job_failures ORDER BY id").fetchall()
    finally:
        con.close()
    return jobs, failures


def test_a_bad_file_among_many_is_recorded_and_the_others_import(tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    paths = _toolbench_folder(tmp_path / "tools" / "Weather", 6, broken=3)
    result = run_cli("import", "toolbench", *map(str, paths), workspace=ws, process=True)  # exit code, no traceback
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for i, p in enumerate(paths):
        if i != 3:
            assert f"{p}: added 2 tools" in result.stdout
    broken = paths[3]
    assert f"error: {broken}:" in result.stderr and "invalid JSON" in result.stderr
    [(job_id, kind, backend, status, items, total, failed)] = _job_rows(ws)[0]
    assert (kind, backend, status, items, total, failed) == ("import", "toolbench", "partial", 6, 6, 1)
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"imported 5 of 6 files; 1 failed (job {job_id}): {broken}:")
    [(failure_job, item, error)] = _job_rows(ws)[1]
    assert failure_job == job_id and item == str(broken) and f"{broken}:" in error and "invalid JSON" in error
    stats = json.loads(run_cli("stats", "--json", workspace=ws).stdout)
    assert stats["tables"]["imports"] == 5 and stats["tables"]["tools"] == 10

    # fixing the file and importing the folder again: the five are skipped, the sixth lands
    broken.write_text(paths[0].read_text().replace("Weather 0", "Weather 3"))
    again = run_cli("import", "toolbench", *map(str, paths), workspace=ws)
    assert again.returncode == 0, again.stderr
    assert "imported 1 of 6 files (5 imported before, skipped)" in again.stdout
    assert _job_rows(ws)[0][-1][3] == "done"


def test_atomic_imports_nothing_when_one_file_is_bad(tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    assert run_cli("init", workspace=ws).returncode == 0
    paths = _toolbench_folder(tmp_path / "tools", 4, broken=2)
    before = run_cli("stats", "--json", workspace=ws).stdout
    result = run_cli("import", "toolbench", *map(str, paths), "--atomic", workspace=ws)
    assert result.returncode == 1 and f"{paths[2]}:" in result.stderr
    assert "nothing was imported; the workspace is unchanged" in result.stderr
    assert run_cli("stats", "--json", workspace=ws).stdout == before
    assert _job_rows(ws) == ([], [])


def test_a_single_file_import_is_a_job_only_when_it_lands(tmp_path: Path) -> None:
    from conftest import FIXTURES

    ws = tmp_path / "ws.duckdb"
    [bad] = _toolbench_folder(tmp_path / "one", 1, broken=0)
    failed = run_cli("import", "toolbench", str(bad), workspace=ws)
    assert failed.returncode == 1 and f"error: {bad}:" in failed.stderr
    assert "nothing was imported; the workspace is unchanged" in failed.stderr
    assert _job_rows(ws) == ([], [])
    ok = run_cli("import", "xlam", str(FIXTURES / "xlam" / "xlam_sample.jsonl"), workspace=ws)
    assert ok.returncode == 0 and "imported" not in ok.stdout.splitlines()[-1]  # one file: no summary line
    [(_, kind, backend, status, items, total, failed_n)] = _job_rows(ws)[0]
    assert (kind, backend, status, items, total, failed_n) == ("import", "xlam", "done", 1, 1, 0)


def test_import_each_names_files_by_their_labels(tmp_path: Path) -> None:
    """The Catalog page's uploads: errors and the job's failures name the uploaded file, not its temporary path."""
    from fcstudio.catalog.ingest import import_each
    from fcstudio.jobs import job_failures
    from fcstudio.store import Workspace

    paths = _toolbench_folder(tmp_path / "upload-tmp-xyz", 3, broken=1)
    with Workspace(tmp_path / "ws.duckdb").connect() as con:
        run = import_each(con, "toolbench", paths, labels=["a.json", "b.json", "c.json"])
        assert run.status == "partial" and run.imported == 2 and [f.label for f in run.failures] == ["b.json"]
        assert run.failures[0].error.startswith("b.json:") and "upload-tmp-xyz" not in run.failures[0].error
        [failure] = job_failures(con, run.job_id)
        assert failure["item"] == "b.json" and failure["error"].startswith("FormatError: b.json:")
        assert run.summary().startswith(f"imported 2 of 3 files; 1 failed (job {run.job_id}): b.json:")


def test_formats_loads_no_heavy_library() -> None:
    """Start-up is paid by every command: `formats` must not import the engine's heavy dependencies (the
    benchmark cli_startup.py times it; this keeps an import at module level from creeping back)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fcstudio", "formats"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "xlam" in proc.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    heavy = {"sklearn", "scipy", "pyarrow", "numpy", "networkx", "jsonschema", "duckdb", "openai", "pandas"}
    assert not heavy & loaded, sorted(heavy & loaded)
    assert not {
        m for m in loaded if m.startswith("fcstudio.catalog.formats.") and m != "fcstudio.catalog.formats.errors"
    }
