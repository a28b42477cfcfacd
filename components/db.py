"""The app's handle on the workspace: one shared connection per workspace file, a cursor per use.

``app.py`` holds a cursor for the whole rerun, so every query of one page render shares one open
connection; between reruns the file is released, so a CLI import can get in.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import streamlit as st

from fcstudio.config import workspace_path
from fcstudio.demo import build_demo
from fcstudio.store import SharedConnection, Workspace


def current_workspace_path() -> Path:
    """``streamlit run app.py -- --workspace W`` wins, then $FCSTUDIO_WORKSPACE, then the default."""
    args = sys.argv[1:]
    explicit = None
    for i, arg in enumerate(args):
        if arg == "--workspace" and i + 1 < len(args):
            explicit = args[i + 1]
        elif arg.startswith("--workspace="):
            explicit = arg.split("=", 1)[1]
    return workspace_path(explicit)


@st.cache_resource(show_spinner=False)
def _shared(path: str) -> SharedConnection:
    return SharedConnection(Workspace(Path(path)))


def shared() -> SharedConnection:
    return _shared(str(current_workspace_path()))


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the workspace; cheap when a rerun already holds the connection."""
    with shared().cursor() as cur:
        yield cur


def ensure_workspace() -> None:
    """First run: a workspace file that does not exist yet is created and filled with the demo data."""
    if current_workspace_path().exists():
        return
    bar = st.progress(0.0, text="Building the demo workspace…")
    with cursor() as con:
        build_demo(
            con, progress=lambda f, label: bar.progress(min(f, 1.0), text=f"Building the demo workspace: {label}")
        )
    bar.empty()
