"""The built-in demo workspace, made only from files in the repository's ``data/demo/`` folder."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fcstudio.config import DATA_DIR
from fcstudio.ingest import Progress, import_files
from fcstudio.models import ImportResult

DEMO_DATASET = "demo"

# (format, files relative to data/); each becomes part of the "demo" dataset.
DEMO_FILES: list[tuple[str, list[str]]] = [
    ("openai-tools", ["demo/tools.json"]),
    ("openai-chat", ["demo/trajectories.jsonl"]),
    ("bfcl", ["demo/bfcl/BFCL_v4_demo_travel.json"]),
    ("tau2-tasks", ["travel/tasks.json"]),
]


def build_demo(con: duckdb.DuckDBPyConnection, progress: Progress | None = None) -> list[ImportResult]:
    """Import the demo files (again: files already imported are skipped, so this is idempotent)."""
    results: list[ImportResult] = []
    for i, (fmt, names) in enumerate(DEMO_FILES):
        paths = [DATA_DIR / n for n in names]
        missing = [str(p) for p in paths if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(f"demo data missing: {', '.join(missing)}")

        def step(frac: float, label: str, i: int = i) -> None:
            if progress:
                progress((i + frac) / len(DEMO_FILES), label)

        results += import_files(con, fmt, paths, dataset=DEMO_DATASET, progress=step)
    return results
