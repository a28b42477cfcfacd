"""``pairs`` and ``export``: chosen/rejected pairs for multi-turn DPO, their labels, and the training sets (fcstudio.prefs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fcstudio.cli.common import (
    BaseUrlOpt,
    ConcurrencyOpt,
    KeyEnvOpt,
    MaxTokensOpt,
    ModelOpt,
    NoCacheOpt,
    WorkspaceOpt,
    connect,
    dump,
    err,
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
    max_tokens: MaxTokensOpt = None,
    keep_trivial: Annotated[
        bool, typer.Option(help="Also store pairs that differ only in a returned id (flagged trivial).")
    ] = False,
) -> None:
    """Make chosen/rejected pairs from verified trajectories (the judge tags each with its error type).

    Trivial negatives (same calls, text differing only in an identifier a tool returned) are skipped and
    counted as ``skipped_trivial``."""
    from fcstudio.prefs.pairs import explain_none_made, make_pairs

    llm = llm_config(model, base_url, api_key_env, concurrency, no_cache, max_tokens) if model else None
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
                keep_trivial=keep_trivial,
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
            "skipped_trivial": summary.skipped_trivial,
            "not_applicable": summary.not_applicable,
            "eligible": summary.eligible,
            "ineligible": summary.ineligible,
            "failed": failed,
            "by_error_type": {r["error_type"]: r["n"] for r in made},
            "usage": summary.usage,
        }
    )
    if not summary.created:
        err.print(explain_none_made(summary), markup=False)
    code = report_failures(summary.job_id, summary.status, failed, summary.reached, "trajectories")
    if code:
        raise typer.Exit(code)


@pairs_app.command("list")
def pairs_list(
    workspace: WorkspaceOpt = None,
    limit: int = 50,
    trivial: Annotated[
        bool | None, typer.Option("--trivial/--not-trivial", help="Only the trivial pairs, or only the others.")
    ] = None,
) -> None:
    """Pairs: how each was made, its error type, whether it is trivial, labels in and required."""
    from fcstudio.prefs.pairs import list_pairs

    with connect(workspace) as con:
        dump(list_pairs(con, limit=limit, trivial=trivial))


@pairs_app.command("diff")
def pairs_diff(pair_id: int, workspace: WorkspaceOpt = None) -> None:
    """How the rejected side differs from the chosen one: calls added, removed or changed, and the words."""
    from dataclasses import asdict

    from fcstudio.prefs.diff import pair_diff
    from fcstudio.prefs.pairs import get_pair

    with connect(workspace) as con:
        pair = get_pair(con, pair_id)
    if pair is None:
        raise fail(f"no pair {pair_id}")
    diff = pair_diff(pair["chosen"], pair["rejected"])
    dump(
        {
            "pair": pair_id,
            "trivial": bool(pair.get("trivial")),
            "differences": diff.summary(("chosen", "rejected")),
            "calls": [asdict(c) for c in diff.calls if c.kind != "same"],
            "chosen_words": [t for t, marked in diff.text_a if marked],
            "rejected_words": [t for t, marked in diff.text_b if marked],
        }
    )


@pairs_app.command("label")
def pairs_label(
    pair_id: int,
    choice: Annotated[
        str,
        typer.Argument(help="chosen, rejected or tie (the machine's sides), or skip; with --turn: good, bad or clear"),
    ],
    annotator: Annotated[str, typer.Option(help="Who is labelling.")],
    reason: Annotated[list[str] | None, typer.Option(help="Reason tag (repeatable).")] = None,
    note: str = "",
    turn: Annotated[
        str | None,
        typer.Option(help="SIDE:MESSAGE, e.g. rejected:0: mark that one assistant message of a side instead."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Record one annotator's verdict (refused once the pair has all its labels), or with ``--turn`` a mark on
    one assistant message of either side (its reason from --note, else the --reason tags)."""
    from fcstudio.prefs.labels import LabelRefused, label_pair, label_turn, skip_pair

    if turn is not None:
        side, _, index = turn.partition(":")
        if not index.strip().isdigit() or choice not in ("good", "bad", "clear"):
            raise fail("--turn takes SIDE:MESSAGE (e.g. rejected:0) and the choice good, bad or clear", 2)
        with connect(workspace) as con:
            try:
                label_turn(
                    con,
                    pair_id,
                    annotator,
                    side.strip(),
                    int(index),
                    None if choice == "clear" else choice,
                    note or ", ".join(reason or []),
                )
            except LabelRefused as exc:
                raise fail(str(exc)) from None
        out.print(f"pair {pair_id}: {annotator} marked {side.strip()} message {int(index)} {choice}")
        return
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
