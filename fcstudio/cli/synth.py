"""``synth`` and ``traj``: paths into verified trajectories, and browsing, reviewing and editing them (fcstudio.synth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fcstudio.cli.common import (
    BaseUrlOpt,
    ConcurrencyOpt,
    DataOpt,
    EntryOpt,
    KeyEnvOpt,
    MaxTokensOpt,
    ModelOpt,
    NoCacheOpt,
    StateOpt,
    WorkspaceOpt,
    bfcl_start_of,
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
from fcstudio.store import EditConflict

traj_app = typer.Typer(help="Browse, review and edit trajectories.", no_args_is_help=True)


def synth_cmd(
    workspace: WorkspaceOpt = None,
    paths: Annotated[
        str | None, typer.Option(help="Comma-separated path ids (default: every path without one).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="'template' (offline) or 'openai' (any compatible endpoint).")
    ] = "template",
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    concurrency: ConcurrencyOpt = 8,
    env: Annotated[
        str,
        typer.Option(
            help="'auto', 'none', or a domain: travel, retail, airline, bfcl:<Class> (e.g. bfcl:GorillaFileSystem; "
            "bfcl:A+B runs several classes in one session)."
        ),
    ] = "auto",
    state: StateOpt = None,
    entry: EntryOpt = None,
    data: DataOpt = None,
    judge: Annotated[bool, typer.Option("--judge", help="Add the LLM semantic check (needs --model).")] = False,
    no_cache: NoCacheOpt = False,
    max_tokens: MaxTokensOpt = None,
    price_in: Annotated[float, typer.Option(help="USD per million prompt tokens, for the cost column.")] = 0.0,
    price_out: Annotated[float, typer.Option(help="USD per million completion tokens.")] = 0.0,
) -> None:
    """Turn paths into verified trajectories (resumable: run again to continue an interrupted job).

    Calls run in the chosen environment (``auto``: the domain that runs most of a path's tools) and every
    trajectory is verified by running its calls again on a fresh copy of the same start state."""
    from fcstudio.synth.job import run_synth

    bfcl_start = bfcl_start_of(state, entry, data)
    llm = (
        llm_config(
            model, base_url, api_key_env, concurrency, no_cache, max_tokens, price_in=price_in, price_out=price_out
        )
        if model
        else None
    )
    with connect(workspace) as con, progress_bar() as bar:
        task = bar.add_task("synthesising", total=1.0)
        try:
            summary = run_synth(
                con,
                path_ids=parse_ids(paths),
                backend=backend,
                llm=llm,
                env=env,
                judge=judge,
                progress=lambda f, label: bar.update(task, completed=f, description=label),
                bfcl_start=bfcl_start,
            )
        except (ValueError, KeyError) as exc:
            raise fail(str(exc).strip("'"), 2) from None
    dump(
        {
            "job": summary.job_id,
            "status": summary.status,
            "requested": summary.requested,
            "created": len(summary.created),
            "verified": summary.verified,
            "skipped_existing": len(summary.skipped),
            "failed": {f"path {k}": v for k, v in summary.failed.items()},
            "trajectory_ids": summary.created,
            "usage": summary.usage,
        }
    )
    todo = summary.requested - len(summary.skipped)
    code = report_failures(summary.job_id, summary.status, {f"path {k}": v for k, v in summary.failed.items()}, todo)
    if code:
        raise typer.Exit(code)


# -- trajectories --------------------------------------------------------------------------------------


@traj_app.command("list")
def traj_list(
    workspace: WorkspaceOpt = None,
    origin: Annotated[str | None, typer.Option(help="'import' or 'synth'.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, accepted or rejected.")] = None,
    verified: Annotated[bool | None, typer.Option("--verified/--failed", help="Verification outcome.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only those calling this function.")] = None,
    tag: Annotated[str | None, typer.Option(help="Operation tag: merge, insert, split, miss_param, ...")] = None,
    stale: Annotated[
        bool | None, typer.Option("--stale/--fresh", help="With replies quoting a changed tool result, or without.")
    ] = None,
    limit: int = 50,
) -> None:
    """Trajectories matching the filters, as JSON."""
    from fcstudio.synth.trajectories import list_trajectories

    with connect(workspace) as con:
        page, total = list_trajectories(
            con, origin=origin, status=status, verified=verified, tool=tool, tag=tag, stale=stale, limit=limit
        )
    dump({"total": total, "rows": page})


@traj_app.command("show")
def traj_show(tid: int, workspace: WorkspaceOpt = None) -> None:
    """One trajectory: messages, verdict, plan."""
    from fcstudio.synth.trajectories import get_trajectory

    with connect(workspace) as con:
        t = get_trajectory(con, tid)
    if t is None:
        raise fail(f"no trajectory {tid}")
    t["tools"] = sorted(s.name for s in t["tools"].values())
    dump(t)


@traj_app.command("status")
def traj_status(
    tid: int,
    status: Annotated[str, typer.Argument(help="pending, accepted or rejected")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Accept or reject a trajectory."""
    from fcstudio.synth.trajectories import set_status

    with connect(workspace) as con:
        try:
            set_status(con, tid, status)
        except (ValueError, KeyError) as exc:
            raise fail(str(exc).strip("'")) from None
    out.print(f"trajectory {tid} is {status}")


@traj_app.command("edit")
def traj_edit(
    tid: int,
    messages_file: Annotated[Path, typer.Argument(help="JSON file with the full edited message list.")],
    version: Annotated[int, typer.Option(help="The version you edited (refused if someone saved since).")],
    reexecute_from: Annotated[
        int | None, typer.Option(help="Recompute tool results from this message index on.")
    ] = None,
    regenerate: Annotated[
        bool,
        typer.Option(
            "--regenerate/--mark-stale",
            help="Write the replies quoting a changed result again (template job; a model job with --model), "
            "or only mark them stale.",
        ),
    ] = True,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    max_tokens: MaxTokensOpt = None,
    note: str = "",
    editor: str | None = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Save an edited message list as a new version (validated, re-verified, optionally re-executed).

    After a re-execution, a reply that quotes a tool result which changed is regenerated or left stale; the
    stale replies left are listed on stderr (``traj list --stale`` finds them later)."""
    from fcstudio.synth.edits import apply_edit
    from fcstudio.synth.trajectories import stale_reasons

    try:
        messages = json.loads(messages_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise fail(f"{messages_file}: {exc}") from None
    llm = llm_config(model, base_url, api_key_env, 1, False, max_tokens) if model else None
    with connect(workspace) as con:
        try:
            new = apply_edit(
                con,
                tid,
                messages,
                version,
                reexecute_from=reexecute_from,
                note=note,
                editor=editor,
                regenerate_replies=regenerate,
                llm=llm,
            )
        except EditConflict as exc:
            raise fail(str(exc), 4) from None
        except ValueError as exc:
            raise fail(f"{messages_file}: {exc}") from None
        reasons = stale_reasons(con, tid)
    out.print(f"saved trajectory {tid} as version {new}")
    for reason in reasons:
        err.print(f"stale: {reason}", markup=False, highlight=False)
    if reasons:
        err.print(f"regenerate them: python -m fcstudio traj regenerate {tid} --version {new}", markup=False)


@traj_app.command("regenerate")
def traj_regenerate(
    tid: int,
    version: Annotated[int, typer.Option(help="The version you looked at (refused if someone saved since).")],
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    max_tokens: MaxTokensOpt = None,
    editor: str | None = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Write every stale reply again from the tool results it answers (the template translator, or --model) and
    save a new version, verified again."""
    from fcstudio.synth.edits import regenerate_stale
    from fcstudio.synth.plan import SynthError

    llm = llm_config(model, base_url, api_key_env, 1, False, max_tokens) if model else None
    with connect(workspace) as con:
        try:
            new, count = regenerate_stale(con, tid, version, llm=llm, editor=editor)
        except EditConflict as exc:
            raise fail(str(exc), 4) from None
        except (ValueError, SynthError) as exc:
            raise fail(str(exc)) from None
    out.print(f"regenerated {count} stale repl{'y' if count == 1 else 'ies'}: trajectory {tid} is version {new}")


@traj_app.command("history")
def traj_history(tid: int, workspace: WorkspaceOpt = None) -> None:
    from fcstudio.synth.trajectories import trajectory_history

    with connect(workspace) as con:
        dump(trajectory_history(con, tid))
