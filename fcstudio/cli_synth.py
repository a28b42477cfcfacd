"""``synth``, ``traj``, ``pairs``, ``export`` and ``llm``: the data pipeline from paths to a training set."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from fcstudio.cli_common import err, out, progress_bar, report_failures
from fcstudio.config import workspace_path
from fcstudio.llm import LLMConfig
from fcstudio.store import EditConflict, Workspace, WorkspaceBusy, rows

WorkspaceOpt = Annotated[str | None, typer.Option("--workspace", "-w", help="Workspace file.")]
ModelOpt = Annotated[str | None, typer.Option(help="Model name at the OpenAI-compatible endpoint.")]
BaseUrlOpt = Annotated[str | None, typer.Option(help="Endpoint, e.g. http://localhost:8000/v1 (else OpenAI's).")]
KeyEnvOpt = Annotated[str, typer.Option(help="Environment variable holding the API key.")]
ConcurrencyOpt = Annotated[int, typer.Option(help="Requests in flight at once.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even for a cached request.")]

traj_app = typer.Typer(help="Browse, review and edit trajectories.", no_args_is_help=True)
pairs_app = typer.Typer(help="Preference pairs for multi-turn DPO: make, label, agreement.", no_args_is_help=True)
llm_app = typer.Typer(help="The LLM call log and jobs (tokens, cost, cache hits).", no_args_is_help=True)


def _dump(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


@contextmanager
def _con(workspace: str | None) -> Iterator[Any]:
    try:
        with Workspace(workspace_path(workspace)).connect() as con:
            yield con
    except WorkspaceBusy as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(3) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def _llm(
    model: str | None, base_url: str | None, key_env: str, concurrency: int, no_cache: bool, **extra: Any
) -> LLMConfig | None:
    if model is None:
        return None
    try:
        config = LLMConfig(
            model=model,
            base_url=base_url,
            api_key_env=key_env,
            concurrency=concurrency,
            use_cache=not no_cache,
            **extra,
        )
        config.api_key()
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    return config


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise _fail(f"ids must be comma-separated integers, not {text!r}", 2) from None


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
    env: Annotated[str, typer.Option(help="'auto', 'none', or a domain: travel, retail, airline.")] = "auto",
    judge: Annotated[bool, typer.Option("--judge", help="Add the LLM semantic check (needs --model).")] = False,
    no_cache: NoCacheOpt = False,
    price_in: Annotated[float, typer.Option(help="USD per million prompt tokens, for the cost column.")] = 0.0,
    price_out: Annotated[float, typer.Option(help="USD per million completion tokens.")] = 0.0,
) -> None:
    """Turn paths into verified trajectories (resumable: run again to continue an interrupted job)."""
    from fcstudio.synth_job import run_synth

    llm = _llm(model, base_url, api_key_env, concurrency, no_cache, price_in=price_in, price_out=price_out)
    with _con(workspace) as con, progress_bar() as bar:
        task = bar.add_task("synthesising", total=1.0)
        try:
            summary = run_synth(
                con,
                path_ids=_ids(paths),
                backend=backend,
                llm=llm,
                env=env,
                judge=judge,
                progress=lambda f, label: bar.update(task, completed=f, description=label),
            )
        except (ValueError, KeyError) as exc:
            raise _fail(str(exc).strip("'"), 2) from None
    _dump(
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
    limit: int = 50,
) -> None:
    """Trajectories matching the filters, as JSON."""
    from fcstudio.trajectory_store import list_trajectories

    with _con(workspace) as con:
        page, total = list_trajectories(
            con, origin=origin, status=status, verified=verified, tool=tool, tag=tag, limit=limit
        )
    _dump({"total": total, "rows": page})


@traj_app.command("show")
def traj_show(tid: int, workspace: WorkspaceOpt = None) -> None:
    """One trajectory: messages, verdict, plan."""
    from fcstudio.trajectory_store import get_trajectory

    with _con(workspace) as con:
        t = get_trajectory(con, tid)
    if t is None:
        raise _fail(f"no trajectory {tid}")
    t["tools"] = sorted(s.name for s in t["tools"].values())
    _dump(t)


@traj_app.command("status")
def traj_status(
    tid: int,
    status: Annotated[str, typer.Argument(help="pending, accepted or rejected")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Accept or reject a trajectory."""
    from fcstudio.trajectory_store import set_status

    with _con(workspace) as con:
        try:
            set_status(con, tid, status)
        except (ValueError, KeyError) as exc:
            raise _fail(str(exc).strip("'")) from None
    out.print(f"trajectory {tid} is {status}")


@traj_app.command("edit")
def traj_edit(
    tid: int,
    messages_file: Annotated[Path, typer.Argument(help="JSON file with the full edited message list.")],
    version: Annotated[int, typer.Option(help="The version you edited (refused if someone saved since).")],
    reexecute_from: Annotated[
        int | None, typer.Option(help="Recompute tool results from this message index on.")
    ] = None,
    note: str = "",
    editor: str | None = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Save an edited message list as a new version (validated, re-verified, optionally re-executed)."""
    from fcstudio.trajectory_edit import apply_edit

    try:
        messages = json.loads(messages_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail(f"{messages_file}: {exc}") from None
    with _con(workspace) as con:
        try:
            new = apply_edit(con, tid, messages, version, reexecute_from=reexecute_from, note=note, editor=editor)
        except EditConflict as exc:
            raise _fail(str(exc), 4) from None
        except ValueError as exc:
            raise _fail(f"{messages_file}: {exc}") from None
    out.print(f"saved trajectory {tid} as version {new}")


@traj_app.command("history")
def traj_history(tid: int, workspace: WorkspaceOpt = None) -> None:
    from fcstudio.trajectory_store import trajectory_history

    with _con(workspace) as con:
        _dump(trajectory_history(con, tid))


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
    from fcstudio.pairs import make_pairs

    llm = _llm(model, base_url, api_key_env, concurrency, no_cache)
    with _con(workspace) as con, progress_bar() as bar:
        task = bar.add_task("making pairs", total=1.0)
        try:
            summary = make_pairs(
                con,
                strategy,
                trajectory_ids=_ids(trajectories),
                llm=llm,
                annotators=annotators,
                seed=seed,
                progress=lambda f, label: bar.update(task, completed=f, description=label),
            )
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
        made = rows(
            con,
            "SELECT error_type, count(*) AS n FROM pairs WHERE job_id = ? GROUP BY ALL ORDER BY 1",
            [summary.job_id],
        )
    failed = {f"trajectory {k}": v for k, v in summary.failed.items()}
    _dump(
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
    from fcstudio.pairs import list_pairs

    with _con(workspace) as con:
        _dump(list_pairs(con, limit=limit))


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
    from fcstudio.labels import LabelRefused, label_pair, skip_pair

    with _con(workspace) as con:
        if choice == "skip":
            skip_pair(con, pair_id, annotator)
            out.print(f"{annotator} skipped pair {pair_id}")
            return
        try:
            slot = label_pair(con, pair_id, annotator, choice, reason or [], note)
        except LabelRefused as exc:
            raise _fail(str(exc)) from None
    out.print(f"pair {pair_id}: {annotator} chose {choice} (label {slot})")


@pairs_app.command("agreement")
def pairs_agreement(workspace: WorkspaceOpt = None) -> None:
    """Labelling progress and Cohen's kappa between annotators."""
    from fcstudio.labels import agreement, progress

    with _con(workspace) as con:
        _dump({"progress": progress(con), **agreement(con)})


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
    from fcstudio.export import export

    with _con(workspace) as con:
        try:
            result = export(con, kind, out_path, fmt=fmt, include_all=include_all)
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
        except OSError as exc:
            raise _fail(f"{out_path}: {exc}") from None
    _dump(result)


jobs_app = typer.Typer(
    help="Jobs (synthesis, pairs, judges, evaluations, imports): status and failed items.", no_args_is_help=True
)


@jobs_app.command("list")
def jobs_list(workspace: WorkspaceOpt = None, limit: int = 20) -> None:
    """Recent jobs: kind, status (with how many items failed), items, model calls, tokens, cost."""
    from fcstudio.jobs import list_jobs

    with _con(workspace) as con:
        _dump(list_jobs(con, limit))


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[int, typer.Argument(metavar="JOB")],
    workspace: WorkspaceOpt = None,
    limit: Annotated[int, typer.Option(help="Failed items to list at most.")] = 1000,
) -> None:
    """One job and every item that failed: the item, the error, and where in the code it was raised."""
    from fcstudio.jobs import get_job, job_failures

    with _con(workspace) as con:
        job = get_job(con, job_id)
        if job is None:
            raise _fail(f"no job {job_id}")
        job["failures"] = job_failures(con, job_id, limit=limit)
    _dump(job)


llm_app.command("jobs")(jobs_list)  # the same list, where the call log's users look for it


@llm_app.command("calls")
def llm_calls(
    workspace: WorkspaceOpt = None,
    job: Annotated[int | None, typer.Option(help="Only this job's calls.")] = None,
    limit: int = 50,
) -> None:
    """The call log: purpose, status (ok, cached, error), attempts, seconds, tokens, cost, error."""
    from fcstudio.llm import list_calls

    with _con(workspace) as con:
        _dump(list_calls(con, job_id=job, limit=limit))
