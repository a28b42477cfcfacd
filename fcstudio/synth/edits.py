"""Editing a stored trajectory: validate every message and call, optionally re-execute, re-verify, save a version."""

from __future__ import annotations

from typing import Any

import duckdb
from pydantic import ValidationError

from fcstudio.llm import check_tool_calls
from fcstudio.models import Message, Trajectory
from fcstudio.synth.job import reexecute, replay_env
from fcstudio.synth.trajectories import get_trajectory, save_trajectory
from fcstudio.synth.verify import verify
from fcstudio.validation import first_error


def validate_messages(messages: Any, tools: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages in OpenAI form; ValueError naming the message and field at the first problem."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("expected a non-empty JSON list of messages")
    parsed = []
    for i, raw in enumerate(messages):
        try:
            parsed.append(Message.model_validate(raw))
        except ValidationError as exc:
            where, why = first_error(exc)
            raise ValueError(f"message {i}{f' ({where})' if where else ''}: {why}") from None
    try:
        Trajectory(source_ref="edit", messages=parsed)
    except ValidationError as exc:
        raise ValueError(first_error(exc)[1]) from None
    out = [m.openai() for m in parsed]
    for i, m in enumerate(out):
        for call in check_tool_calls(m.get("tool_calls") or [], tools):
            if call.problem:
                raise ValueError(f"message {i}: {call.problem}")
    return out


def apply_edit(
    con: duckdb.DuckDBPyConnection,
    tid: int,
    messages: Any,
    version: int,
    *,
    reexecute_from: int | None = None,
    note: str = "",
    editor: str | None = None,
) -> int:
    """Validate, re-execute from a message (if asked), re-verify (synthesised ones) and save; the new version."""
    traj = get_trajectory(con, tid)
    if traj is None:
        raise ValueError(f"no trajectory {tid}")
    named = {s.name: s for s in traj["tools"].values()}
    clean = validate_messages(messages, named)
    start = traj["meta"].get("env_start")
    if reexecute_from is not None:
        clean = reexecute(con, clean, reexecute_from, traj.get("domain"), named, start)
    verdict = verify(clean, named, traj["meta"], env=replay_env(con, traj)) if traj["meta"].get("plan") else None
    if verdict is not None and len(clean) != len(traj["messages"]):
        verdict = None  # the stored plan's message ranges no longer line up: keep the old verdict
    return save_trajectory(con, tid, clean, version, note=note, editor=editor, verdict=verdict)
