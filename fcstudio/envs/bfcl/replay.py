"""An entry's ground truth executed turn by turn: the calls, their results and each class's state per turn."""

from __future__ import annotations

from typing import Any

from fcstudio.envs.bfcl.session import Session
from fcstudio.envs.bfcl.state import plain


def replay(entry: dict[str, Any], *, states: bool = False) -> dict[str, Any]:
    """``{"id", "turns": [{"calls", "results"}]}``; with ``states`` each turn also has ``state`` (plain, by class)
    and the result has ``initial_state``. A result starting ``Error during execution`` is BFCL's error text."""
    session = Session.for_entry(entry)
    out: dict[str, Any] = {"id": entry["id"], "turns": []}
    if states:
        out["initial_state"] = {k: plain(v) for k, v in session.state().items()}
    for calls in entry["ground_truth"]:
        turn: dict[str, Any] = {"calls": list(calls), "results": session.execute(calls)}
        if states:
            turn["state"] = {k: plain(v) for k, v in session.state().items()}
        out["turns"].append(turn)
    return out


def errors_in(replayed: dict[str, Any]) -> list[str]:
    """The calls whose result is an execution error, as ``turn N: call -> result``."""
    return [
        f"turn {t}: {call} -> {result}"
        for t, turn in enumerate(replayed["turns"])
        for call, result in zip(turn["calls"], turn["results"], strict=True)
        if result.startswith("Error during execution")
    ]
