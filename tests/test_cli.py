"""The command line as a user runs it: help, init, stats, catalogue search/show/edit."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import ROOT, run_cli
from fcstudio.config import workspace_path


def test_help_works_from_the_repo_root_without_installing() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("init", "stats", "import", "tools"):
        assert command in result.stdout


def test_init_demo_and_stats_json(tmp_path: Path) -> None:
    ws = tmp_path / "demo.duckdb"
    first = run_cli("init", "--demo", workspace=ws)
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
