"""Gold replay and the task validator: fresh state, gold actions in order, what changed, what went wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fcstudio.envs.base import Environment
from fcstudio.envs.diff import db_diff
from fcstudio.envs.tasks import GoldTask


def replay_task(
    env: Environment,
    task: GoldTask,
    progress: Callable[[int, int], object] | None = None,
    *,
    full_hash: bool = False,
) -> dict[str, Any]:
    """One JSON-able line: task_id, each action with output and error flag, db_diff, final_hash.

    ``full_hash`` re-encodes the whole database for the hash (the same value; benchmarks compare the two)."""
    env.reset()
    actions = []
    for i, action in enumerate(task.actions):
        if progress:
            progress(i, len(task.actions))
        side = "user" if action.get("requestor") == "user" else "assistant"
        result = env.execute(action["name"], action.get("arguments") or {}, side=side)
        actions.append(
            {
                "name": action["name"],
                "arguments": action.get("arguments") or {},
                "output": result.output,
                "error": result.error,
            }
        )
    return {
        "task_id": task.task_id,
        "actions": actions,
        "db_diff": db_diff(env.initial, env.state),
        "final_hash": env.state_hash(full=full_hash),
    }


def normalise_said(text: str) -> str:
    """tau-bench's comparison: lower case, thousands separators dropped."""
    return text.lower().replace(",", "")


def validate(task: GoldTask, line: dict[str, Any], env: Environment) -> list[str]:
    """Problems of a task's gold: actions naming unknown tools or failing, outputs no action produces."""
    problems = []
    known = set(env.tool_names()) | set(env.tool_names("user"))
    for i, (action, done) in enumerate(zip(task.actions, line["actions"], strict=True)):
        if action["name"] not in known:
            problems.append(f"action {i} calls unknown tool {action['name']!r}")
        elif done["error"]:
            problems.append(f"action {i} {action['name']} errors: {done['output']}")
    said = normalise_said(" ".join(a["output"] for a in line["actions"]))
    for out in task.outputs:
        if normalise_said(out) not in said:
            problems.append(f"output {out!r} is never produced by the gold actions")
    return problems


def to_jsonl(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, default=str)
