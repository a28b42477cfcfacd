"""Shared fixtures: temporary workspaces, the CLI as a subprocess, and the public data in ../shared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
