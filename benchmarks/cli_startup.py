"""CLI start-up: ``python -m fcstudio formats`` against the floor of importing what every command needs
(``python -c "import duckdb, typer, pydantic"``), measured in the same run, alternating, median of N.

Every command pays its start-up before doing anything, so heavy libraries (scikit-learn, pyarrow, networkx,
jsonschema, the evaluation engine) are imported where they are used, not when the CLI loads. Also times a few
other commands for information (not part of the ratio): the top-level help, ``stats`` on an empty workspace,
and ``jobs list``.

    python benchmarks/cli_startup.py [--runs 15]

Last line: ``cli_startup runs=... floor_s=... formats_s=... ratio=... help_s=... stats_s=... jobs_s=... seconds=...``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    started = time.perf_counter()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="fcstudio-cli-") as tmp:
        ws = str(Path(tmp) / "ws.duckdb")
        commands = {
            "floor": [py, "-c", "import duckdb, typer, pydantic"],
            "formats": [py, "-m", "fcstudio", "formats"],
            "help": [py, "-m", "fcstudio", "--help"],
            "stats": [py, "-m", "fcstudio", "stats", "--workspace", ws],
            "jobs": [py, "-m", "fcstudio", "jobs", "list", "--workspace", ws],
        }
        for cmd in commands.values():  # warm the file cache and the bytecode once
            wall(cmd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():  # alternating, so load changes hit every command alike
                times[name].append(wall(cmd))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    for name, ts in times.items():
        print(f"{name:8} median {median[name]:.3f}s  min {min(ts):.3f}s  max {max(ts):.3f}s")
    print(
        f"cli_startup runs={args.runs} floor_s={median['floor']:.3f} formats_s={median['formats']:.3f} "
        f"ratio={median['formats'] / median['floor']:.2f} help_s={median['help']:.3f} stats_s={median['stats']:.3f} "
        f"jobs_s={median['jobs']:.3f} seconds={time.perf_counter() - started:.0f}"
    )


if __name__ == "__main__":
    main()
