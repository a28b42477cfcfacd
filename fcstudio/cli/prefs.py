"""``pairs`` and ``export``: chosen/rejected pairs for multi-turn DPO, their labels, and the training sets (fcstudio.prefs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fcstudio.cli.common import (
    BaseUrlOpt,
    ConcurrencyOpt,
    KeyEnvOpt,
    ModelOpt,
    NoCacheOpt,
    WorkspaceOpt,
    connect,
    dump,
    fail,
    llm_config,
    out,
    parse_ids,
    progress_bar,
    report_failures,
)
from fcstudio.store import rows

pairs_app = typer.Typer(help="Preference pairs for multi-turn DPO: make, label, agreement.", no_args_is_help=True)


# -- pairs --------------------------------------------------------------------------------------------


@pairs_app.command("make")
def pairs_make(
    strategy: Annotated[str, typer.Option(help="no_hint, misleading_hint or perturb.")],
    workspace: WorkspaceOpt = None,
    trajectories: Annotated[str | None, typer.Option(help="Comma-separated trajectory ids (default: all).")] = None,
    annotators: Annotated[int, typer.Option(help="Labels each pair needs.")] = 1,
    seed: int = 0,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    concurrency: ConcurrencyOpt = 8,
    no_cache: NoCacheOpt = False,
) -> None:
    """Make chosen/rejected pairs from verified trajectories (the judge tags each with its error type)."""
    from fcstudio.prefs.pairs import make_pairs

    llm = llm_config(model, base_url, api_key_env, concurrency, no_cache) if model else None
    with connect(workspace) as con, progress_bar() as bar:
        task = bar.add_task("making pairs", total=1.0)
        try:
            summary = make_pairs(
                con,
                strategy,
                trajectory_ids=parse_ids(trajectories),
                llm=llm,
                annotators=annotators,
                seed=seed,
                progress=lambda f, label: bar.update(task, completed=f, description=label),
            )
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        made = rows(
            con,
            "SELECT error_type, count(*) AS n FROM pairs WHERE job_id = ? GROUP BY ALL ORDER BY 1",
            [summary.job_id],
        )
    failed = {f"trajectory {k}": v for k, v in summary.failed.items()}
    dump(
        {
            "job": summary.job_id,
            "status": summary.status,
            "created": len(summary.created),
            "pair_ids": summary.created,
            "same_as_chosen": summary.same_as_chosen,
            "not_applicable": summary.not_applicable,
            "failed": failed,
            "by_error_type": {r["error_type"]: r["n"] for r in made},
            "usage": summary.usage,
        }
    )
    code = report_failures(summary.job_id, summary.status, failed, summary.reached, "trajectories")
    if code:
        raise typer.Exit(code)


@pairs_app.command("list")
def pairs_list(workspace: WorkspaceOpt = None, limit: int = 50) -> None:
    """Pairs: how each was made, its error type, labels in and required."""
    from fcstudio.prefs.pairs import list_pairs

    with connect(workspace) as con:
        dump(list_pairs(con, limit=limit))


@pairs_app.command("label")
def pairs_label(
    pair_id: int,
    choice: Annotated[str, typer.Argument(help="chosen, rejected or tie (the machine's sides), or skip")],
    annotator: Annotated[str, typer.Option(help="Who is labelling.")],
    reason: Annotated[list[str] | None, typer.Option(help="Reason tag (repeatable).")] = None,
    note: str = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record one annotator's verdict (refused once the pair has all its labels)."""
    from fcstudio.prefs.labels import LabelRefused, label_pair, skip_pair

    with connect(workspace) as con:
        if choice == "skip":
            skip_pair(con, pair_id, annotator)
            out.print(f"{annotator} skipped pair {pair_id}")
            return
        try:
            slot = label_pair(con, pair_id, annotator, choice, reason or [], note)
        except LabelRefused as exc:
            raise fail(str(exc)) from None
    out.print(f"pair {pair_id}: {annotator} chose {choice} (label {slot})")


@pairs_app.command("agreement")
def pairs_agreement(workspace: WorkspaceOpt = None) -> None:
    """Labelling progress and Cohen's kappa between annotators."""
    from fcstudio.prefs.labels import agreement, progress

    with connect(workspace) as con:
        dump({"progress": progress(con), **agreement(con)})


# -- export and the LLM log ---------------------------------------------------------------------------


def export_cmd(
    kind: Annotated[str, typer.Argument(help="sft, dpo or mdpo")],
    out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or parquet.")] = "jsonl",
    include_all: Annotated[
        bool, typer.Option("--all", help="Also what passed verification but was not reviewed.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write a training set (accepted data only by default) and print its stats."""
    from fcstudio.prefs.export import export

    with connect(workspace) as con:
        try:
            result = export(con, kind, out_path, fmt=fmt, include_all=include_all)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        except OSError as exc:
            raise fail(f"{out_path}: {exc}") from None
    dump(result)
