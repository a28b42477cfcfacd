"""Environment functions: what a task may call on either side besides the tools (set-up and assertions).

tau2 lets ``initialization_actions`` and ``env_assertions`` call any method of a side's toolkit by name;
fcstudio names them explicitly with ``@env_function(side)`` (tools of that side count too), so a task
file cannot reach anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

Side = Literal["assistant", "user"]


def env_function(side: Side) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__dict__["__env_side__"] = side
        return fn

    return mark
