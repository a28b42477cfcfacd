"""``jobs`` and ``llm``: every job's outcome with its failed items, and the LLM call log (tokens, cost, cache hits)."""

from __future__ import annotations

from typing import Annotated

import typer

from fcstudio.cli.common import WorkspaceOpt, connect, dump, fail

llm_app = typer.Typer(help="The LLM call log and jobs (tokens, cost, cache hits).", no_args_is_help=True)


jobs_app = typer.Typer(
    help="Jobs (synthesis, pairs, judges, evaluations, imports): status and failed items.", no_args_is_help=True
)


@jobs_app.command("list")
def jobs_list(workspace: WorkspaceOpt = None, limit: int = 20) -> None:
    """Recent jobs: kind, status (with how many items failed), items, model calls, tokens, cost."""
    from fcstudio.jobs import list_jobs

    with connect(workspace) as con:
        dump(list_jobs(con, limit))


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[int, typer.Argument(metavar="JOB")],
    workspace: WorkspaceOpt = None,
    limit: Annotated[int, typer.Option(help="Failed items to list at most.")] = 1000,
) -> None:
    """One job and every item that failed: the item, the error, and where in the code it was raised."""
    from fcstudio.jobs import get_job, job_failures

    with connect(workspace) as con:
        job = get_job(con, job_id)
        if job is None:
            raise fail(f"no job {job_id}")
        job["failures"] = job_failures(con, job_id, limit=limit)
    dump(job)


llm_app.command("jobs")(jobs_list)  # the same list, where the call log's users look for it


@llm_app.command("calls")
def llm_calls(
    workspace: WorkspaceOpt = None,
    job: Annotated[int | None, typer.Option(help="Only this job's calls.")] = None,
    limit: int = 50,
) -> None:
    """The call log: purpose, status (ok, cached, error), attempts, seconds, tokens, cost, error."""
    from fcstudio.llm import list_calls

    with connect(workspace) as con:
        dump(list_calls(con, job_id=job, limit=limit))
