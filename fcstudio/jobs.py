"""Jobs: one row per long-running piece of work (synthesis, pairs, judges, evaluations, imports), with the
items it finished, the items that failed and why.

A job loops over items (paths, trajectories, edges, episodes, cases, files). One item that breaks never stops
the others: its error is recorded in ``job_failures`` (the item, the error, where in the code it was raised)
and the job goes on. A job ends ``done`` only when no item failed; ``partial`` when some did (the status text
says how many); ``interrupted`` when it stopped before reaching every item; ``failed`` when it could not run
at all.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any, Protocol

import duckdb

from fcstudio.store import rows, run, scalar

STATUSES = ("running", "done", "partial", "interrupted", "failed")


class UsageLike(Protocol):
    calls: int
    cached: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost: float

    def as_dict(self) -> dict[str, Any]: ...


class CallLog(Protocol):
    """What a job needs from the model client it used: its buffered call log and its usage (``llm.LLMClient``)."""

    @property
    def usage(self) -> UsageLike: ...

    def flush(self, con: duckdb.DuckDBPyConnection | None = None) -> int: ...


def start_job(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    backend: str,
    model: str | None,
    params: dict[str, Any],
    *,
    total: int | None = None,
) -> int:
    job_id = int(scalar(con, "SELECT nextval('job_seq')"))
    run(
        con,
        """INSERT INTO jobs (id, kind, backend, model, params, status, items_total, items_failed)
           VALUES (?, ?, ?, ?, ?, 'running', ?, 0)""",
        [job_id, kind, backend, model, json.dumps(params, default=str), total],
    )
    return job_id


def set_total(con: duckdb.DuckDBPyConnection, job_id: int, total: int) -> None:
    run(con, "UPDATE jobs SET items_total = ? WHERE id = ?", [total, job_id])


def error_text(exc: BaseException) -> str:
    """``Type: message`` (the message alone is often a bare key or number)."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def error_place(exc: BaseException) -> str:
    """Where the error was raised: ``module.py:LINE in function`` of the innermost frame, then its callers."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in reversed(frames))


def record_failure(con: duckdb.DuckDBPyConnection, job_id: int, item: Any, error: BaseException | str) -> str:
    """Record that ``item`` failed (in the caller's transaction, if any); returns the error text stored.

    Only ``job_failures`` is written (the job's count is taken from it by ``update_job``), so a writer thread
    can record failures while another cursor updates the job's row.
    """
    if isinstance(error, BaseException):
        text, detail = error_text(error), error_place(error) or None
    else:
        text, detail = str(error), None
    run(
        con,
        "INSERT INTO job_failures (id, job_id, item, error, detail) VALUES (nextval('job_failure_seq'), ?, ?, ?, ?)",
        [job_id, str(item), text, detail],
    )
    return text


def outcome(*, finished: bool, failed: int) -> str:
    """The status a job ends with: ``done`` only when every item was reached and none failed."""
    if not finished:
        return "interrupted"
    return "partial" if failed else "done"


def update_job(
    con: duckdb.DuckDBPyConnection,
    job_id: int,
    usage: UsageLike | None,
    *,
    items: int,
    status: str | None = None,
) -> None:
    """The job's progress (items done, model usage) and, when it ends, its status and finish time."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown job status {status!r}")
    u = usage
    run(
        con,
        """UPDATE jobs SET items = ?, calls = ?, cached = ?, failed = ?, prompt_tokens = ?, completion_tokens = ?,
                  cost = ?, status = coalesce(?, status),
                  items_failed = (SELECT count(*) FROM job_failures f WHERE f.job_id = jobs.id),
                  finished_at = CASE WHEN ? IS NULL OR ? = 'running' THEN finished_at ELSE now() END WHERE id = ?""",
        [
            items,
            u.calls if u else 0,
            u.cached if u else 0,
            u.failed if u else 0,
            u.prompt_tokens if u else 0,
            u.completion_tokens if u else 0,
            u.cost if u else 0.0,
            status,
            status,
            status,
            job_id,
        ],
    )


def finish_job(
    con: duckdb.DuckDBPyConnection,
    job_id: int,
    usage: UsageLike | None,
    *,
    items: int,
    finished: bool = True,
    crashed: BaseException | None = None,
) -> str:
    """End a job and return its status: ``done`` or ``partial`` from its recorded failures when every item was
    reached, ``interrupted`` when not, ``failed`` when an error outside any item stopped it (recorded too)."""
    if isinstance(crashed, Exception):
        record_failure(con, job_id, "(job)", crashed)
        status = "failed"
    else:
        failed = int(scalar(con, "SELECT count(*) FROM job_failures WHERE job_id = ?", [job_id]) or 0)
        status = outcome(finished=finished and crashed is None, failed=failed)
    update_job(con, job_id, usage, items=items, status=status)
    return status


def run_job(body: Callable[[], Any], end: Callable[[BaseException | None], None]) -> None:
    """Run a job's loop; however it stops (done, an error outside any item, Ctrl-C), ``end(crashed)`` records
    how it ended (``crashed`` is what stopped it, or None; ``end`` opens its own transactions), and the error
    goes on up."""
    crashed: BaseException | None = None
    try:
        body()
    except BaseException as exc:
        crashed = exc
        raise
    finally:
        end(crashed)


def status_text(job: dict[str, Any]) -> str:
    """``done``, or ``partial: 3 of 9,500 items failed`` and the like, for people."""
    status = str(job.get("status") or "")
    failed = int(job.get("items_failed") or 0)
    if not failed:
        return status
    total = job.get("items_total")
    if total:
        return f"{status}: {failed:,} of {int(total):,} item{'s' if int(total) != 1 else ''} failed"
    return f"{status}: {failed:,} item{'s' if failed != 1 else ''} failed"


def get_job(con: duckdb.DuckDBPyConnection, job_id: int) -> dict[str, Any] | None:
    found = rows(con, "SELECT * FROM jobs WHERE id = ?", [job_id])
    if not found:
        return None
    job = found[0]
    job["params"] = json.loads(job["params"]) if job.get("params") else {}
    job["status_text"] = status_text(job)
    return job


def list_jobs(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[dict[str, Any]]:
    found = rows(
        con,
        """SELECT id, kind, backend, model, status, items, items_total, items_failed, calls, cached,
                  failed AS failed_calls, prompt_tokens, completion_tokens, cost, started_at, finished_at
           FROM jobs ORDER BY id DESC LIMIT ?""",
        [limit],
    )
    for job in found:
        job["status_text"] = status_text(job)
    return found


def job_failures(con: duckdb.DuckDBPyConnection, job_id: int, *, limit: int = 1000) -> list[dict[str, Any]]:
    """The items of a job that failed, in the order they failed: item, error, where it was raised."""
    return rows(
        con,
        "SELECT item, error, detail, created_at FROM job_failures WHERE job_id = ? ORDER BY id LIMIT ?",
        [job_id, limit],
    )


def save_job_progress(
    con: duckdb.DuckDBPyConnection, job_id: int, client: CallLog | None, *, items: int, status: str | None = None
) -> dict[str, Any]:
    """Write the client's buffered call log and the job's totals (in the caller's transaction); the usage."""
    if client is None:
        update_job(con, job_id, None, items=items, status=status)
        return {}
    client.flush(con)
    update_job(con, job_id, client.usage, items=items, status=status)
    return client.usage.as_dict()


def close_job(
    con: duckdb.DuckDBPyConnection,
    job_id: int,
    client: CallLog | None,
    *,
    items: int,
    finished: bool,
    crashed: BaseException | None,
) -> tuple[str, dict[str, Any]]:
    """End a job that used ``client``: its last call log rows, its status (``finish_job``) and usage."""
    if client is not None:
        client.flush(con)
    status = finish_job(con, job_id, client.usage if client else None, items=items, finished=finished, crashed=crashed)
    return status, client.usage.as_dict() if client is not None else {}
