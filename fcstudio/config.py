"""Where things live: the workspace path and the repository's data folder."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEFAULT_WORKSPACE = Path("~/.fcstudio/demo.duckdb")
ENV_WORKSPACE = "FCSTUDIO_WORKSPACE"
ENV_LOCK_TIMEOUT = "FCSTUDIO_LOCK_TIMEOUT"


def workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--workspace`` wins, then ``$FCSTUDIO_WORKSPACE``, then ``~/.fcstudio/demo.duckdb``."""
    raw = explicit or os.environ.get(ENV_WORKSPACE) or DEFAULT_WORKSPACE
    return Path(raw).expanduser().resolve()


def is_default_workspace(path: Path) -> bool:
    return path == DEFAULT_WORKSPACE.expanduser().resolve()


def lock_timeout(default: float = 30.0) -> float:
    """Seconds to keep retrying when another process holds the workspace."""
    try:
        return float(os.environ.get(ENV_LOCK_TIMEOUT, default))
    except ValueError:
        return default
