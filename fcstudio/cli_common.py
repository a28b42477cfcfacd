"""What every CLI module shares: the stderr console and the progress bar for long jobs."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

# soft_wrap: messages naming PATH:LINE must stay on one line for people and scripts that grep them.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def progress_bar() -> Progress:
    """A transient bar on stderr (silent when stderr is not a terminal, e.g. in CI logs)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
