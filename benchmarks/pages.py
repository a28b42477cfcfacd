"""Every page of the app rendered on a workspace of real size, with its heaviest selection, timed.

Pages run through Streamlit's AppTest (the same script run a browser's visit triggers, without the browser).
Each page is measured from cold caches (``st.cache_*`` cleared before it): its first render, then each click
of its heaviest selection (a tool used by many trajectories, the busiest graph node, the longest path and an
operation on it, the longest trajectory, a pair, the task with the most gold actions and its replay, the run
with the most episodes, a failed episode, the job with the most calls). The floor is measured in the same run:
the same pages and clicks on the small demo workspace.

    python benchmarks/pages.py [--workspace big.duckdb]   # built by big_workspace.py when not given

Last line: ``pages pages=... slowest_s=... slowest_page=... demo_slowest_s=... ratio=... seconds=... peak_mb=...``
(``ratio`` = the slowest page at real size over the slowest on the demo; every page must stay under 1 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st
from streamlit.testing.v1 import AppTest

from fcstudio.demo import build_demo
from fcstudio.store import Workspace, one, scalar, task_domains

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
Click = tuple[str, Callable[[AppTest], Any]]


def heaviest(ws: Workspace) -> dict[str, Any]:
    """The selections that make each page do the most work, found with SQL."""
    with ws.connect() as con:
        pick: dict[str, Any] = {}
        row = one(
            con,
            """SELECT t.id, t.name FROM tools t JOIN (
                   SELECT unnest(tool_ids) AS id, count(*) AS n FROM trajectories GROUP BY 1 ORDER BY n DESC LIMIT 1
               ) u ON u.id = t.id""",
        )
        pick["tool"] = row
        pick["node"] = one(con, "SELECT tool_id, name FROM graph_nodes ORDER BY degree DESC, tool_id LIMIT 1")
        pick["path"] = scalar(con, "SELECT id FROM fsp_paths ORDER BY n_calls DESC, id LIMIT 1")
        pick["path_rank"] = scalar(
            con,
            "SELECT count(*) FROM fsp_paths WHERE id < (SELECT id FROM fsp_paths ORDER BY n_calls DESC, id LIMIT 1)",
        )
        pick["trajectory"] = scalar(
            con,
            "SELECT id FROM trajectories WHERE origin = 'synth' ORDER BY json_array_length(messages) DESC, id LIMIT 1",
        )
        pick["trajectory_rank"] = scalar(
            con, "SELECT count(*) FROM trajectories WHERE origin = 'synth' AND id < ?", [pick["trajectory"]]
        )
        task = one(
            con,
            """SELECT id, source_ref, benchmark, domain FROM tasks WHERE domain IN ('retail', 'airline', 'travel')
               ORDER BY json_array_length(gold) DESC, id LIMIT 1""",
        )
        if task:
            groups = [(g["benchmark"], g["domain"]) for g in task_domains(con)]
            pick["task"] = (task[0], task[1], groups.index((task[2], task[3])))
        run_row = one(
            con,
            """SELECT e.run_id, r.benchmark FROM episodes e JOIN eval_runs r ON r.id = e.run_id
               GROUP BY ALL ORDER BY count(*) DESC, e.run_id LIMIT 1""",
        )
        if run_row:
            pick["run"], pick["benchmark"] = run_row
            pick["episode"] = scalar(
                con,
                """SELECT id FROM episodes WHERE run_id = ? AND NOT success
                   ORDER BY json_array_length(messages) DESC, id LIMIT 1""",
                [pick["run"]],
            )
        pick["job"] = scalar(con, "SELECT id FROM jobs ORDER BY calls DESC, items DESC, id LIMIT 1")
    return pick


def clicks(pick: dict[str, Any]) -> dict[str, list[Click]]:
    """Per page, the selections to make after its first render (each is one rerun, timed)."""

    def select(key: str, value: Any) -> Callable[[AppTest], Any]:
        return lambda at: at.selectbox(key=key).select(value).run()

    def text(key: str, value: str) -> Callable[[AppTest], Any]:
        return lambda at: at.text_input(key=key).input(value).run()

    def number(key: str, value: int) -> Callable[[AppTest], Any]:
        return lambda at: at.number_input(key=key).set_value(value).run()

    def button(label: str) -> Callable[[AppTest], Any]:
        return lambda at: next(b for b in at.button if b.label == label).click().run()

    out: dict[str, list[Click]] = {"home": [], "export": []}
    if pick.get("tool"):
        tool_id, name = pick["tool"]
        out["catalog"] = [("search the busiest tool", text("cat_text", name)), ("open it", select("cat_tool", tool_id))]
    if pick.get("node"):
        node_id, name = pick["node"]
        out["graph"] = [
            ("find the busiest node", text("nb_query", name)),
            ("centre it", select("nb_centre", node_id)),
            (
                "100 nodes, depth 2",
                lambda at: (at.number_input(key="nb_max").set_value(100), number("nb_depth", 2)(at)),
            ),
        ]
    if pick.get("path"):
        out["paths"] = [
            ("page of the longest path", number("paths_page", pick["path_rank"] // 20 + 1)),
            ("open it", select("paths_open", pick["path"])),
            ("insert nested", button("Insert nested")),
        ]
    if pick.get("trajectory"):
        out["trajectories"] = [
            ("synthesised only", select("traj_origin", "synth")),
            ("page of the longest", number("traj_page", pick["trajectory_rank"] // 25 + 1)),
            ("open it", select("traj_open", pick["trajectory"])),
        ]
    out["preferences"] = [("annotator", text("annotator", "benchmark")), ("label a pair", button("← Left is better"))]
    if pick.get("task"):
        task_id, ref, group = pick["task"]
        out["tasks"] = [
            ("its benchmark and domain", select("tasks_group", group)),
            ("search it", text("tasks_text", ref)),
            ("open the task with most gold", select("tasks_open", task_id)),
            ("replay its gold actions", button("Replay gold actions")),
        ]
    if pick.get("run"):
        out["leaderboard"] = [
            ("its benchmark", select("lb_bench", pick["benchmark"])),
            ("the run with most episodes", select("lb_run", pick["run"])),
        ]
        out["episodes"] = [("the run with most episodes", select("ep_run", pick["run"]))]
        if pick.get("episode"):
            out["episodes"].append(("its longest failed episode", select("ep_open", pick["episode"])))
    if pick.get("job"):
        out["llm_log"] = [("the job with most calls", select("log_job", pick["job"]))]
    return out


def time_pages(ws_path: Path, plan: dict[str, list[Click]], *, strict: bool) -> dict[str, dict[str, float]]:
    """{page: {step: seconds}} for every page in ``plan``, each from cold caches. ``strict``: a click the page
    does not offer is an error (at real size every page has data; the demo lacks some, e.g. pairs)."""
    os.environ["FCSTUDIO_WORKSPACE"] = str(ws_path)
    results: dict[str, dict[str, float]] = {}
    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()  # imports, once per process
    for name in plan:
        warm.switch_page(f"pages/{name}.py").run()
    for name, steps in plan.items():
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
        at.switch_page(f"pages/{name}.py")
        t0 = time.perf_counter()
        at.run()
        timings = {"first render": time.perf_counter() - t0}
        problems = [e.value for e in at.exception] + [e.value for e in at.error]
        for label, act in steps:
            t0 = time.perf_counter()
            try:
                act(at)
            except Exception as exc:  # a click the page does not offer
                if strict:
                    shown = [x.value[:80] for x in (*at.title, *at.info, *at.warning)]
                    problems.append(f"{label}: {type(exc).__name__}: {exc} (page shows {shown})")
                continue
            timings[label] = time.perf_counter() - t0
            problems += [e.value for e in at.exception] + [e.value for e in at.error]
        if problems:
            raise SystemExit(f"page {name} showed errors: {problems[:3]}")
        results[name] = timings
        print(f"  {name:13} " + "  ".join(f"{k}: {v:.2f}s" for k, v in timings.items()), flush=True)
    return results


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, help="a workspace built by big_workspace.py (copied, not changed)")
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fcstudio-pages-") as tmp:
        big = Path(tmp) / "big.duckdb"
        if args.workspace:
            shutil.copyfile(args.workspace, big)
        else:
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "big_workspace.py"), "--out", str(big)], check=True
            )
        demo = Workspace(Path(tmp) / "demo.duckdb")
        with demo.connect() as con:
            build_demo(con)
        with Workspace(big).connect() as con:
            sizes = {
                t: int(scalar(con, f"SELECT count(*) FROM {t}"))
                for t in ("tools", "trajectories", "fsp_paths", "pairs", "episodes")
            }
        print("workspace:", ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
        pick = heaviest(Workspace(big))
        print("demo workspace (floor):")
        floor = time_pages(demo.path, clicks(heaviest(demo)), strict=False)
        print("real size:")
        real = time_pages(big, clicks(pick), strict=True)
    slowest_page, slowest = max(((p, max(t.values())) for p, t in real.items()), key=lambda x: x[1])
    demo_slowest = max(max(t.values()) for t in floor.values())
    over = [p for p, t in real.items() if max(t.values()) >= 1.0]
    print(f"pages over 1 s: {', '.join(over) if over else 'none'}")
    print(
        f"pages pages={len(real)} tools={sizes['tools']} trajectories={sizes['trajectories']} paths={sizes['fsp_paths']} "
        f"pairs={sizes['pairs']} episodes={sizes['episodes']} slowest_s={slowest:.2f} slowest_page={slowest_page} "
        f"demo_slowest_s={demo_slowest:.2f} ratio={slowest / demo_slowest:.2f} "
        f"seconds={time.perf_counter() - started:.0f} peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
