"""The built-in demo workspace, made only from files in the repository's ``data/demo/`` folder."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fcstudio.catalog.ingest import Progress, import_files
from fcstudio.config import DATA_DIR
from fcstudio.evals.importers import ensure_published, import_results
from fcstudio.models import ImportResult

DEMO_DATASET = "demo"

# (format, files relative to data/); each becomes part of the "demo" dataset.
DEMO_FILES: list[tuple[str, list[str]]] = [
    ("openai-tools", ["demo/tools.json"]),
    ("openai-chat", ["demo/trajectories.jsonl"]),
    ("bfcl", ["demo/bfcl/BFCL_v4_demo_travel.json"]),
    ("tau2-tasks", ["travel/tasks.json"]),
]


# The demo's evaluation data: published reference tables and one scripted run on the travel domain.
DEMO_RUN = "demo/eval/travel_scripted_run.json"


def build_demo(con: duckdb.DuckDBPyConnection, progress: Progress | None = None) -> list[ImportResult]:
    """Import the demo files (again: files already imported are skipped, so this is idempotent)."""
    results: list[ImportResult] = []
    steps = len(DEMO_FILES) + 1
    for i, (fmt, names) in enumerate(DEMO_FILES):
        paths = [DATA_DIR / n for n in names]
        missing = [str(p) for p in paths if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(f"demo data missing: {', '.join(missing)}")

        def step(frac: float, label: str, i: int = i) -> None:
            if progress:
                progress((i + frac) / steps, label)

        results += import_files(con, fmt, paths, dataset=DEMO_DATASET, progress=step)
    if progress:
        progress(len(DEMO_FILES) / steps, "published leaderboards and the demo evaluation run")
    ensure_published(con)
    import_results(con, "tau2-results", DATA_DIR / DEMO_RUN)
    return results
