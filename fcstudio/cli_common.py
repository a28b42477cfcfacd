"""What every CLI module shares: the stderr console and the progress bar for long jobs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

# soft_wrap: messages naming PATH:LINE must stay on one line for people and scripts that grep them.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def progress_bar() -> Progress:
    """A transient bar on stderr (silent when stderr is not a terminal, e.g. in CI logs)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


# Exit code of a job that finished but recorded failed items (0 done, 1 bad input, 2 usage, 3 busy, 4 conflict).
PARTIAL_EXIT = 5


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
