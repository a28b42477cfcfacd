"""``python -m fcstudio paths ...``: sample function signature paths from the graph and show one (fcstudio.paths)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from fcstudio.cli.common import WorkspaceOpt, connect, err
from fcstudio.paths.store import OPS, get_path, sample_paths

paths_app = typer.Typer(
    help="Function signature paths (FSP): sample on the graph, reshape with MAGNET's operations.", no_args_is_help=True
)


@paths_app.command("sample")
def sample_cmd(
    workspace: WorkspaceOpt = None,
    n: Annotated[int, typer.Option("--n", help="How many paths to sample.")] = 10,
    steps: Annotated[int, typer.Option("--steps", help="Random-walk steps (turns - 1).")] = 3,
    ops: Annotated[str, typer.Option("--ops", help=f"Comma-separated, from: {', '.join(OPS)}.")] = "merge,insert,split",
    merge_p: Annotated[float, typer.Option("--merge-p", help="Probability of joining two consecutive turns.")] = 0.3,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    start: Annotated[str | None, typer.Option("--start", help="Start tool id (default: random).")] = None,
    label: Annotated[str | None, typer.Option("--label", help="Only start from tools with this label.")] = None,
) -> None:
    """Sample paths and store the new ones; prints their ids (split copies follow their parent), how many of them
    are split copies, and how many drawn paths were skipped as duplicates of stored ones (same canonical form)."""
    with connect(workspace) as con:
        try:
            sampled = sample_paths(
                con,
                n=n,
                steps=steps,
                ops=[o.strip() for o in ops.split(",") if o.strip()],
                merge_p=merge_p,
                seed=seed,
                start=start,
                label=label,
            )
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    drawn = len(sampled.ids) - sampled.split_copies
    err.print(
        f"stored {len(sampled.ids)} paths: {drawn} sampled"
        + (f" and {sampled.split_copies} split copies of them (one more turn, a parameter or function withheld)"
           if sampled.split_copies else "")
        + (f"; skipped {sampled.duplicates} duplicates (their canonical form is already stored)"
           if sampled.duplicates else ""),
        markup=False,
    )  # fmt: skip
    summary = {"paths": sampled.ids, "split_copies": sampled.split_copies, "duplicates_skipped": sampled.duplicates}
    sys.stdout.write(json.dumps(summary) + "\n")


@paths_app.command("show")
def show_cmd(
    path_id: Annotated[int, typer.Argument(metavar="PATH_ID")],
    workspace: WorkspaceOpt = None,
    dot: Annotated[
        bool, typer.Option("--dot", help="Print the path's diagram (the Paths page's) as Graphviz DOT instead.")
    ] = False,
) -> None:
    """One path as JSON (turns, calls, argument sources, provenance, wirings that do not fit), or its data-flow
    diagram as DOT."""
    with connect(workspace) as con:
        found = get_path(con, path_id)
    if found is None:
        err.print(f"error: no path {path_id}", markup=False)
        raise typer.Exit(1)
    if dot:
        from fcstudio.paths.diagram import fsp_dot

        sys.stdout.write(fsp_dot(found["fsp"]))
        return
    from fcstudio.paths.fit import wiring_problems
    from fcstudio.paths.index import tool_shapes

    with connect(workspace) as con:
        shapes = tool_shapes(con, sorted({c.tool_id for _, _, c in found["fsp"].calls()}))
    problems = wiring_problems(found["fsp"], shapes)  # outputs wired into arguments they do not fit
    shown = {**found, "fsp": found["fsp"].model_dump(), "wiring_problems": problems}
    sys.stdout.write(json.dumps(shown, indent=2, default=str) + "\n")
