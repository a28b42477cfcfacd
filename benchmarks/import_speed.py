"""Import speed: a 60,000-row xLAM-layout file through fcstudio's importer vs DuckDB's own read_json.

Both read the same generated file in the same run: JSON Lines (the headline ``ratio``) and the same rows as
one JSON array (``ratio_array``, the layout the hub ships ``xlam_function_calling_60k.json`` in). The ratio
says what validation, type mapping, conversion to the chat interchange format and the transactional write
cost over DuckDB loading the file into a table. Each side is timed ``--repeat`` times (fresh workspace / fresh
database file each time) and the best run counts, after one warm-up import of a small file, so the figure is
the importer's and not Python's module loading or another process's burst on a shared machine. Also times
importing every BFCL v4 file in ../shared/data/bfcl_v4 when it is there.

Both sides end in the same state: their rows written into the database file (``CHECKPOINT``), which is where
they are once either process exits (DuckDB checkpoints when its last connection closes). Without it the two
would not do the same work: DuckDB's own heuristic checkpoints the import's commit (more tables, a larger size
estimate) but leaves the floor's table in the WAL, so the import would be charged ~0.1 s of I/O the floor
defers to its exit. That uneven figure is printed too, as ``ratio_wal``.

    python benchmarks/import_speed.py [--rows 60000] [--tools 3600] [--repeat 3]

Last line: ``import_speed rows=... seconds=... duckdb_seconds=... ratio=... ratio_array=... ratio_wal=...
bfcl_seconds=... load=... peak_mb=...`` (``load`` is the 1-minute load average when the run started, on
``cpus`` cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fcstudio.catalog.formats import xlam_fast
from fcstudio.catalog.ingest import import_files, tool_id
from fcstudio.store import Workspace, stats

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "xlam" / "xlam_sample.jsonl"

VERBS = [
    "get",
    "search",
    "list",
    "fetch",
    "create",
    "update",
    "calculate",
    "convert",
    "find",
    "check",
    "book",
    "cancel",
]
NOUNS = [
    "weather",
    "flight",
    "hotel",
    "stock_price",
    "exchange_rate",
    "recipe",
    "movie",
    "song",
    "player_stats",
    "news",
    "order",
    "invoice",
    "route",
    "distance",
    "timezone",
    "holiday",
    "product",
    "review",
    "ticket",
    "event",
]
PARAMS = [
    ("city", "str", "City name, e.g. 'Paris'."),
    ("date", "str", "Date in YYYY-MM-DD."),
    ("limit", "int, optional", "Max results."),
    ("symbol", "str", "Ticker symbol."),
    ("amount", "float", "Amount of money."),
    ("ids", "List[int]", "Record ids."),
    ("tags", "List[str], optional", "Filter tags."),
    ("include_details", "bool, optional", "Return full records."),
    ("coordinates", "Tuple[float, float]", "Latitude and longitude."),
    ("options", "Dict[str, Any], optional", "Extra options."),
    ("query", "str", "Free-text query."),
    ("page", "int, default=1", "Page number."),
]


def make_tool(i: int, rng: random.Random) -> dict:
    name = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}_{i}"
    params = {}
    for pname, ptype, pdesc in rng.sample(PARAMS, rng.randint(1, 4)):
        spec = {"description": pdesc, "type": ptype}
        if "default" in ptype or "optional" in ptype:
            spec["default"] = None if "optional" in ptype else 1
        params[pname] = spec
    return {
        "name": name,
        "description": f"{name.replace('_', ' ').capitalize()} from the {rng.choice(NOUNS)} API.",
        "parameters": params,
    }


def sample_value(ptype: str, rng: random.Random) -> object:
    base = ptype.split(",")[0]
    return {
        "str": "Paris",
        "int": rng.randint(1, 50),
        "float": round(rng.uniform(1, 999), 2),
        "bool": True,
        "List[int]": [1, 2, 3],
        "List[str]": ["a", "b"],
        "Tuple[float, float]": [48.85, 2.35],
        "Dict[str, Any]": {"k": "v"},
    }.get(base, "x")


def generate(path: Path, rows: int, n_tools: int, seed: int = 7) -> list[dict]:
    """Write ``rows`` xLAM rows as JSON Lines (tools/answers as JSON strings, as on the hub); returns them."""
    rng = random.Random(seed)
    pool = [make_tool(i, rng) for i in range(n_tools)]
    out = []
    with path.open("w") as f:
        for i in range(rows):
            tools = rng.sample(pool, rng.randint(1, 4))
            answers = []
            for tool in rng.sample(tools, rng.randint(1, len(tools))):
                args = {
                    p: sample_value(s["type"], rng)
                    for p, s in tool["parameters"].items()
                    if "optional" not in s["type"]
                }
                answers.append({"name": tool["name"], "arguments": args})
            query = f"Please {answers[0]['name'].split('_')[0]} the {answers[0]['name'].split('_')[1]} for row {i}."
            row = {"id": i, "query": query, "tools": json.dumps(tools), "answers": json.dumps(answers)}
            f.write(json.dumps(row) + "\n")
            out.append(row)
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_floor(data: Path, fmt: str, db: Path, checkpoint: bool = False) -> float:
    """DuckDB's own reader loading ``data`` into a table of a new database file (then CHECKPOINT: the rows
    written into the database file rather than left in the WAL, when ``checkpoint``)."""
    con = duckdb.connect(str(db))
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{data}', format='{fmt}')").fetchall()
    if checkpoint:
        con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    con.close()
    assert n > 0
    return seconds


def time_import(data: Path, ws_path: Path, checkpoint: bool = False) -> tuple[float, int, int]:
    """fcstudio's import of ``data`` into a new, empty workspace: (seconds, trajectories added, distinct tools).

    The workspace is created (and its migrations checkpointed, as closing it does) before the clock starts:
    the figure is an import into a workspace that exists, not the making of one.
    """
    ws = Workspace(ws_path)
    with ws.connect():
        pass
    with ws.connect() as con:
        t0 = time.perf_counter()
        [result] = import_files(con, "xlam", [data])
        if checkpoint:
            con.execute("CHECKPOINT")
        seconds = time.perf_counter() - t0
        tools = stats(con)["tables"]["tools"]
    return seconds, result.trajectories_added, tools


def best_of(
    repeat: int, tmp: Path, label: str, data: Path, fmt: str, checkpoint: bool = False
) -> tuple[float, float, int, int]:
    """Best floor and best import time over ``repeat`` alternating runs."""
    floors, ours = [], []
    added = tools = 0
    for i in range(repeat):
        floors.append(time_floor(data, fmt, tmp / f"floor-{label}-{i}.duckdb", checkpoint))
        seconds, added, tools = time_import(data, tmp / f"ws-{label}-{i}.duckdb", checkpoint)
        ours.append(seconds)
    print(
        f"{label}: duckdb read_json {', '.join(f'{x:.2f}' for x in floors)}s; "
        f"fcstudio import {', '.join(f'{x:.2f}' for x in ours)}s ({added:,} trajectories, {tools:,} tools)"
    )
    return min(floors), min(ours), added, tools


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=60_000)
    ap.add_argument("--tools", type=int, default=3_600, help="distinct tools in the pool (xLAM has ~3.6k)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per side; the best counts")
    ap.add_argument(
        "--bfcl", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bfcl_v4"
    )
    args = ap.parse_args()
    load = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="fcstudio-bench-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "xlam_60k.jsonl"
        rows = generate(data, args.rows, args.tools)
        array = tmp / "xlam_60k.json"
        array.write_text(json.dumps(rows, indent=1))
        del rows
        print(
            f"generated {args.rows:,} rows: {data.stat().st_size / 1e6:.1f} MB as JSON Lines, "
            f"{array.stat().st_size / 1e6:.1f} MB as a JSON array; load average {load:.2f} on {os.cpu_count()} cpus"
        )
        # warm-up: load the modules both sides use, on a small file
        time_import(FIXTURE, tmp / "warm.duckdb")
        time_floor(FIXTURE, "newline_delimited", tmp / "warm-floor.duckdb")
        for path in (data, array):  # the fast path takes these files (None would mean the exact reader)
            assert xlam_fast.read(str(path), lambda t: tool_id("xlam", t)) is not None, path

        duck_s, ours_s, added, tools = best_of(args.repeat, tmp, "jsonl", data, "newline_delimited", True)
        duck_a, ours_a, _, _ = best_of(args.repeat, tmp, "array", array, "array", True)
        duck_w, ours_w, _, _ = best_of(args.repeat, tmp, "jsonl, no CHECKPOINT", data, "newline_delimited")

        bfcl_s, bfcl_tasks = float("nan"), 0
        files = sorted(args.bfcl.glob("BFCL_v4_*.json")) if args.bfcl.is_dir() else []
        if files:
            ws2 = Workspace(tmp / "bfcl.duckdb")
            with ws2.connect() as con:
                t0 = time.perf_counter()
                results = import_files(con, "bfcl", files)
                bfcl_s = time.perf_counter() - t0
            bfcl_tasks = sum(r.tasks_added for r in results)
            print(f"fcstudio import bfcl: {len(files)} files, {bfcl_tasks:,} tasks in {bfcl_s:.2f}s")
        else:
            print(f"bfcl: {args.bfcl} not found, skipped")

    print(
        f"import_speed rows={args.rows} seconds={ours_s:.2f} duckdb_seconds={duck_s:.2f} ratio={ours_s / duck_s:.1f} "
        f"seconds_array={ours_a:.2f} duckdb_seconds_array={duck_a:.2f} ratio_array={ours_a / duck_a:.1f} "
        f"ratio_wal={ours_w / duck_w:.1f} seconds_wal={ours_w:.2f} duckdb_seconds_wal={duck_w:.2f} "
        f"rows_per_s={args.rows / ours_s:.0f} trajectories={added} tools={tools} bfcl_files={len(files)} "
        f"bfcl_tasks={bfcl_tasks} bfcl_seconds={bfcl_s:.2f} load={load:.2f} cpus={os.cpu_count()} "
        f"peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
