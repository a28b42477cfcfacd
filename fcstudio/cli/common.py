"""What every CLI module shares: the consoles, progress bars, options, the workspace connection, JSON output,
the model settings and how a job's failures are reported.

Exit codes: 0 done, 1 bad input (the message names PATH:LINE), 2 usage, 3 workspace busy, 4 edit conflict,
5 a job finished but some of its items failed (listed; ``jobs show JOB`` has them all).

Kept light: it is imported by every command, so the engine's modules are imported by the functions that use
them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console

from fcstudio.config import workspace_path

if TYPE_CHECKING:
    import duckdb
    from rich.progress import Progress, TaskID

    from fcstudio.llm import LLMConfig
    from fcstudio.models import BfclStart
    from fcstudio.store import Workspace

# soft_wrap: messages naming PATH:LINE must stay on one line for people and scripts that grep them.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

PARTIAL_EXIT = 5

WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Workspace file (default: $FCSTUDIO_WORKSPACE or ~/.fcstudio/demo.duckdb)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ModelOpt = Annotated[str | None, typer.Option(help="Model name at the OpenAI-compatible endpoint.")]
BaseUrlOpt = Annotated[str | None, typer.Option(help="Endpoint, e.g. http://localhost:8000/v1 (else OpenAI's).")]
# one name on every model command; --key-env, the evaluation commands' old name, still works
KeyEnvOpt = Annotated[str, typer.Option("--api-key-env", "--key-env", help="Environment variable holding the API key.")]
ConcurrencyOpt = Annotated[int, typer.Option(help="Requests in flight at once.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even for a cached request.")]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", help="Cap on the tokens of each reply (default: the server's).")
]
# The start state of BFCL domains (bfcl:<Class>): a file, or a BFCL entry by id (default: each class's shipped one).
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="BFCL domains' start state: a JSON file with initial_config (a BFCL entry line, or a start file).",
    ),
]
EntryOpt = Annotated[
    str | None, typer.Option("--entry", help="BFCL domains start from this multi-turn entry (e.g. multi_turn_base_18).")
]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help="BFCL data folder for --entry (default: $FCSTUDIO_BFCL_DATA or ../shared/data/bfcl_v4)."
    ),
]


class LineProgress:
    """Progress off a terminal (a log, CI, ``nohup``): a line on stderr when a task starts, at most every
    ``every`` seconds while it runs, and when it ends, so a long job is never silent. Takes the calls the
    commands make on Rich's bar (``add_task``, ``update``, ``advance``)."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.tasks: list[dict[str, Any]] = []

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        for task in self.tasks:
            if task["shown"] != task["completed"]:
                self._line(task)

    def add_task(self, description: str, total: float | None = 1.0, **_: Any) -> TaskID:
        self.tasks.append({"description": description, "total": total or 1.0, "completed": 0.0, "shown": None,
                           "started": time.monotonic(), "last": 0.0})  # fmt: skip
        self._line(self.tasks[-1])
        return cast("TaskID", len(self.tasks) - 1)

    def update(self, task_id: int, *, completed: float | None = None, description: str | None = None, **_: Any) -> None:
        task = self.tasks[task_id]
        if completed is not None:
            task["completed"] = completed
        if description is not None:
            task["description"] = description
        if time.monotonic() - task["last"] >= self.every or task["completed"] >= task["total"]:
            self._line(task)

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, completed=self.tasks[task_id]["completed"] + advance)

    def _line(self, task: dict[str, Any]) -> None:
        if task["shown"] == task["completed"] and task["shown"] is not None:
            return
        now = time.monotonic()
        share = min(1.0, task["completed"] / task["total"]) if task["total"] else 0.0
        sys.stderr.write(f"{task['description']}: {share:.0%} ({now - task['started']:.0f} s)\n")
        sys.stderr.flush()
        task["shown"], task["last"] = task["completed"], now


def progress_bar() -> Progress | LineProgress:
    """A transient bar on stderr at a terminal; elsewhere (a log, CI) a line every few seconds (``LineProgress``)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    if not err.is_terminal:
        return LineProgress()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def bar_and_step(description: str) -> tuple[Progress | LineProgress, Callable[[float, str], None]]:
    """A progress bar with one task, and the ``progress(fraction, label)`` callback the engine's jobs take."""
    bar = progress_bar()
    task = bar.add_task(description, total=1.0)
    return bar, lambda frac, label: bar.update(task, completed=frac, description=label)


def dump(value: Any) -> None:
    """JSON on stdout (what scripts read)."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say why on stderr; the exit to raise."""
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def workspace_of(path: str | None) -> Workspace:
    from fcstudio.store import Workspace

    return Workspace(workspace_path(path))


@contextmanager
def connect(workspace: str | Workspace | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A workspace connection that waits (saying so) while another process holds the file; exit 3 if it stays busy."""
    from fcstudio.store import WorkspaceBusy

    ws = workspace_of(workspace) if workspace is None or isinstance(workspace, str) else workspace
    warned: list[bool] = []  # one entry once the wait has been announced

    def on_wait(remaining: float) -> None:
        if not warned:
            err.print(
                f"[yellow]workspace {ws.path} is busy (another process holds it); retrying for up to {remaining:.0f}s[/]"
            )
            warned.append(True)

    try:
        con = ws.open(on_wait=on_wait)
    except WorkspaceBusy as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(3) from None
    try:
        yield con
    finally:
        con.close()


def llm_config(
    model: str,
    base_url: str | None,
    key_env: str,
    concurrency: int,
    no_cache: bool,
    max_tokens: int | None = None,
    **extra: Any,
) -> LLMConfig:
    """The settings of a model endpoint; a bad value or a missing key ends with exit 2 naming it."""
    from pydantic import ValidationError

    from fcstudio.llm import LLMConfig
    from fcstudio.validation import first_error

    try:
        config = LLMConfig(
            model=model,
            base_url=base_url,
            api_key_env=key_env,
            concurrency=concurrency,
            use_cache=not no_cache,
            max_tokens=max_tokens,
            **extra,
        )
        config.api_key()
    except ValidationError as exc:
        raise fail("{}: {}".format(*first_error(exc)), 2) from None
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    return config


def bfcl_start_of(state: Path | None, entry: str | None, data: Path | None) -> BfclStart | None:
    """The start state ``--state`` or ``--entry``/``--data`` name (None: the shipped defaults); exit 1 saying why."""
    from fcstudio.envs.bfcl.environment import StartError, choose_start

    try:
        return choose_start(state, entry, data)
    except StartError as exc:
        raise fail(str(exc)) from None


def parse_ids(text: str | None) -> list[int] | None:
    """``1,2, 5`` as ids; None when not given."""
    if text is None:
        return None
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise fail(f"ids must be comma-separated integers, not {text!r}", 2) from None


def write_out(text: str, out_path: Path | None) -> None:
    """To stdout, or to ``out_path`` whole or not at all (a temporary file renamed into place)."""
    if out_path is None:
        sys.stdout.write(text)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_names(text: str | None) -> list[str] | None:
    """``a, b,c`` as names (empty ones dropped); None when not given."""
    if not text:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


def report_failures(job_id: int, status: str, failed: dict[Any, str], total: int, what: str = "items") -> int:
    """Say on stderr how a job ended when some of its items failed (the first few with why); the exit code."""
    if not failed and status == "done":
        return 0
    if failed:
        err.print(
            f"job {job_id} {status}: {len(failed):,} of {total:,} {what} failed "
            f"(all of them: python -m fcstudio jobs show {job_id})",
            markup=False,
            highlight=False,
        )
        for item, why in list(failed.items())[:5]:
            err.print(f"  {item}: {why}", markup=False, highlight=False)
        if len(failed) > 5:
            err.print(f"  … and {len(failed) - 5:,} more", markup=False, highlight=False)
    else:
        err.print(f"job {job_id} {status}", markup=False, highlight=False)
    return PARTIAL_EXIT if status == "partial" else 1
