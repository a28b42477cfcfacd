"""Import speed: a 60,000-row xLAM-layout JSONL through fcstudio's importer vs DuckDB's own read_json.

Both read the same generated file in the same run; the ratio says what validation, type mapping,
conversion to the chat interchange format and the transactional write cost over a raw load. Also
times importing every BFCL v4 file in ../shared/data/bfcl_v4 when it is there.

    python benchmarks/import_speed.py [--rows 60000] [--tools 3600]

Last line: ``import_speed rows=... seconds=... duckdb_seconds=... ratio=... bfcl_seconds=... peak_mb=...``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fcstudio.ingest import import_files
from fcstudio.store import Workspace, stats

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


def generate(path: Path, rows: int, n_tools: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = [make_tool(i, rng) for i in range(n_tools)]
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
            f.write(
                json.dumps({"id": i, "query": query, "tools": json.dumps(tools), "answers": json.dumps(answers)}) + "\n"
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=60_000)
    ap.add_argument("--tools", type=int, default=3_600, help="distinct tools in the pool (xLAM has ~3.6k)")
    ap.add_argument(
        "--bfcl", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bfcl_v4"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="fcstudio-bench-") as tmp:
        data = Path(tmp) / "xlam_60k.jsonl"
        generate(data, args.rows, args.tools)
        size_mb = data.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) at {data}")

        # floor: DuckDB's own JSON reader loading the same file into a table
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{data}', format='newline_delimited')").fetchall()
        duck_s = time.perf_counter() - t0
        n_raw = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        con.close()
        print(f"duckdb read_json: {n_raw:,} rows in {duck_s:.2f}s")

        ws = Workspace(Path(tmp) / "ws.duckdb")
        with ws.connect() as con:
            t0 = time.perf_counter()
            [result] = import_files(con, "xlam", [data])
            ours_s = time.perf_counter() - t0
            counts = stats(con)["tables"]
        print(
            f"fcstudio import xlam: {result.trajectories_added:,} trajectories, {counts['tools']:,} distinct tools "
            f"in {ours_s:.2f}s ({args.rows / ours_s:,.0f} rows/s)"
        )

        bfcl_s, bfcl_tasks = float("nan"), 0
        files = sorted(args.bfcl.glob("BFCL_v4_*.json")) if args.bfcl.is_dir() else []
        if files:
            ws2 = Workspace(Path(tmp) / "bfcl.duckdb")
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
        f"rows_per_s={args.rows / ours_s:.0f} bfcl_files={len(files)} bfcl_tasks={bfcl_tasks} bfcl_seconds={bfcl_s:.2f} "
        f"peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
