"""A workspace of real size for the page and job benchmarks, built with fcstudio's own pipeline.

What goes in (the defaults are the sizes the app was found slow at):
- the demo workspace, then every public data set in ../shared/data when it is there (BFCL v4, tau2 tasks of
  each domain, ToolAlpaca, the 200 GPT-4o tau-bench episodes, the tau2 leaderboard);
- a generated xLAM-layout file (``--xlam`` rows, 3,600 distinct tools) and a generated ToolBench-like
  catalogue (``--catalogue`` tools with return schemas), so the catalogue holds well over 7k tools;
- the tool graph over all of them (TF-IDF, as ``fcstudio graph build``);
- ``--sampled`` paths sampled on the graph with merge, insert and split, ``--synthesised`` of them turned into
  template trajectories and pairs made from those (perturb);
- then rows copied in SQL until the workspace holds ``--paths`` paths, ``--trajectories`` trajectories,
  ``--pairs`` pairs and ``--episodes`` episodes: copies of real rows under new ids, so pages see real content at
  real volume without the benchmark spending an hour synthesising.

    python benchmarks/big_workspace.py --out /tmp/big.duckdb

The last line: ``big_workspace tools=... trajectories=... paths=... pairs=... episodes=... seconds=...``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph_build import make_catalogue
from import_speed import generate as generate_xlam

from fcstudio.catalog.ingest import import_files
from fcstudio.demo import build_demo
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.paths.store import sample_paths
from fcstudio.prefs.pairs import make_pairs
from fcstudio.store import Workspace, run, scalar, transaction
from fcstudio.synth.job import run_synth

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def say(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f}s] {message}", flush=True)


def import_shared(con, started: float) -> None:  # type: ignore[no-untyped-def]
    """Every public data set fcstudio imports, each as its own dataset."""
    if not SHARED.is_dir():
        say(f"{SHARED} not found: no public data sets", started)
        return
    bfcl = sorted((SHARED / "bfcl_v4").glob("BFCL_v4_*.json"))
    if bfcl:
        import_files(con, "bfcl", bfcl, dataset="bfcl-v4")
    for domain in ("retail", "airline", "mock", "telecom"):
        tasks = SHARED / "tau2" / domain / "tasks.json"
        if tasks.is_file():
            try:
                import_files(con, "tau2-tasks", [tasks], dataset=f"tau2-{domain}")
            except Exception as exc:  # a domain fcstudio cannot import yet is reported, not fatal
                say(f"tau2 {domain} tasks not imported: {exc}", started)
    alpaca = sorted((SHARED / "toolalpaca").glob("*.json"))
    if alpaca:
        try:
            import_files(con, "toolalpaca", alpaca, dataset="toolalpaca")
        except Exception as exc:
            say(f"ToolAlpaca not imported: {exc}", started)
    from fcstudio.evals.importers import import_results

    gpt4o = SHARED / "tau_bench_v1" / "historical_trajectories" / "gpt-4o-airline.json"
    if gpt4o.is_file():
        import_results(con, "tau-bench", gpt4o)
    board = SHARED / "tau2" / "leaderboard"
    if board.is_dir():
        import_results(con, "tau2-leaderboard", board)
    say("public data sets imported", started)


def copy_rows(con, table: str, target: int, columns: str, new_id: str, extra: str = "") -> int:  # type: ignore[no-untyped-def]
    """Copy existing rows of ``table`` under new ids until it holds ``target`` rows; returns how many were added."""
    added = 0
    while True:
        have = int(scalar(con, f"SELECT count(*) FROM {table}"))
        if have >= target or have == 0:
            return added
        take = min(have, target - have)
        run(
            con,
            f"INSERT INTO {table} ({columns}) SELECT {new_id}, {columns.split(', ', 1)[1]} FROM {table} {extra} LIMIT ?",
            [take],
        )
        added += take


def build(out: Path, args: argparse.Namespace) -> dict[str, int]:
    started = time.perf_counter()
    ws = Workspace(out)
    with tempfile.TemporaryDirectory(prefix="fcstudio-big-") as tmp, ws.connect() as con:
        build_demo(con)
        say("demo workspace", started)
        import_shared(con, started)
        xlam = Path(tmp) / "xlam.jsonl"
        generate_xlam(xlam, args.xlam, 3_600)
        import_files(con, "xlam", [xlam], dataset="xlam-generated")
        say(f"{args.xlam:,} xLAM rows imported", started)
        catalogue = Path(tmp) / "catalogue.json"
        catalogue.write_text(json.dumps(make_catalogue(args.catalogue)))
        import_files(con, "openai-tools", [catalogue], dataset="toolbench-like")
        say(f"{int(scalar(con, 'SELECT count(*) FROM tools')):,} tools in the catalogue", started)
        summary = build_graph(con, TfidfEmbedder())
        say(f"graph: {summary['edges']:,} edges over {summary['nodes']:,} tools", started)
        sample_paths(con, n=args.sampled, steps=3, ops=["merge", "insert", "split"], seed=1)
        say(f"{int(scalar(con, 'SELECT count(*) FROM fsp_paths')):,} paths sampled", started)
        ids = [r[0] for r in run(con, "SELECT id FROM fsp_paths ORDER BY id LIMIT ?", [args.synthesised])]
        synth = run_synth(con, path_ids=ids, backend="template", env="auto")
        say(f"{len(synth.created):,} trajectories synthesised ({len(synth.failed)} failed)", started)
        made = make_pairs(con, "perturb", annotators=2, seed=1)
        say(f"{len(made.created):,} pairs made", started)

        with transaction(con):
            copy_rows(
                con,
                "fsp_paths",
                args.paths,
                "id, fsp, version, parent_id, seed, ops, n_turns, n_calls",
                "nextval('fsp_seq')",
            )
            run(
                con,
                """INSERT INTO fsp_versions (path_id, version, fsp, note)
                   SELECT id, 1, fsp, 'copied' FROM fsp_paths p
                   WHERE NOT EXISTS (SELECT 1 FROM fsp_versions v WHERE v.path_id = p.id)""",
            )
            synth_cols = (
                "id, dataset, import_id, source_ref, messages, tool_ids, called, meta, origin, status, version, "
                "path_id, job_id, domain, verdict, verified, tags"
            )
            copy_rows(
                con,
                "trajectories",
                args.trajectories,
                synth_cols,
                "nextval('trajectory_seq')",
                "WHERE origin = 'synth'",
            )
            copy_rows(con, "trajectories", args.trajectories, synth_cols, "nextval('trajectory_seq')")
            pair_cols = (
                "id, trajectory_id, episode_ref, turn, prefix, chosen, rejected, tools, strategy, perturbation, "
                "error_type, judge, judge_reason, annotators_required, job_id"
            )
            copy_rows(con, "pairs", args.pairs, pair_cols, "nextval('pair_seq')")
            episode_cols = (
                "id, run_id, task_id, trial, domain, category, reward, success, reward_info, termination, messages, "
                "gold, instruction, review, cost, tokens_in, tokens_out, duration, tags, note"
            )
            run_ids = [r[0] for r in run(con, "SELECT DISTINCT run_id FROM episodes")]
            if run_ids:
                # episodes are unique per (run, task, trial): copies go to new trials of the same runs
                while int(scalar(con, "SELECT count(*) FROM episodes")) < args.episodes:
                    run(
                        con,
                        f"""INSERT INTO episodes ({episode_cols})
                            SELECT nextval('episode_seq'), run_id, task_id,
                                   trial + (SELECT max(trial) + 1 FROM episodes), {episode_cols.split(", ", 4)[4]}
                            FROM episodes""",
                    )
        counts = {
            t: int(scalar(con, f"SELECT count(*) FROM {t}"))
            for t in ("tools", "trajectories", "fsp_paths", "pairs", "episodes", "graph_edges")
        }
    counts["seconds"] = round(time.perf_counter() - started)  # type: ignore[assignment]
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--xlam", type=int, default=60_000, help="generated xLAM rows (3,600 distinct tools)")
    ap.add_argument("--catalogue", type=int, default=3_500, help="generated ToolBench-like tools")
    ap.add_argument("--sampled", type=int, default=1_000, help="paths sampled on the graph")
    ap.add_argument("--synthesised", type=int, default=1_000, help="paths turned into trajectories")
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--trajectories", type=int, default=70_000)
    ap.add_argument("--pairs", type=int, default=3_000)
    ap.add_argument("--episodes", type=int, default=2_000)
    args = ap.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists: remove it or choose another --out")
    counts = build(args.out, args)
    print(
        f"big_workspace tools={counts['tools']} trajectories={counts['trajectories']} paths={counts['fsp_paths']} "
        f"pairs={counts['pairs']} episodes={counts['episodes']} edges={counts['graph_edges']} "
        f"seconds={counts['seconds']}"
    )


if __name__ == "__main__":
    main()
