"""Shared fixtures: temporary workspaces, the CLI as a subprocess, and the public data in ../shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fcstudio.store import Workspace, stats

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws.duckdb")


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"public data not found at {SHARED_DATA}")
    return SHARED_DATA


def run_cli(
    *args: str, workspace: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m fcstudio ARGS`` from the repo root, as a user would run it."""
    cmd = [sys.executable, "-m", "fcstudio", *args]
    if workspace is not None:
        cmd += ["--workspace", str(workspace)]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=full_env)


def workspace_counts(ws: Workspace) -> dict:
    with ws.connect() as con:
        return stats(con)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def synthesised_workspace(path: Path, seed: int) -> Workspace:
    """The demo workspace with its tool graph, 8 sampled paths (merge, insert, split) and their template trajectories."""
    from fcstudio.demo import build_demo
    from fcstudio.embed import TfidfEmbedder
    from fcstudio.graph import build_graph
    from fcstudio.path_store import sample_paths
    from fcstudio.synth_job import run_synth

    ws = Workspace(path)
    with ws.connect() as con:
        build_demo(con)
        build_graph(con, TfidfEmbedder())
        sample_paths(con, n=8, steps=3, ops=["merge", "insert", "split"], seed=seed)
        run_synth(con, backend="template")
    return ws


# -- AppTest helpers shared by the page tests ----------------------------------------------------------
APPTEST_TIMEOUT = 90


def open_page(name: str) -> AppTest:
    """app.py run once (as a browser's first visit), then switched to ``pages/NAME.py``, with no error shown."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT).run()
    at.switch_page(f"pages/{name}.py").run()
    no_errors(at)
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def copy_workspace(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A test's own copy of a module's prepared workspace, made the app's workspace."""
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built.read_bytes())
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path
