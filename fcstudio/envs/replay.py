"""Gold replay and the task validator: fresh state, gold actions in order, what changed, what went wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fcstudio.envs.base import Environment, State
from fcstudio.envs.diff import db_diff
from fcstudio.envs.tasks import GoldTask


def replay_task(
    env: Environment,
    task: GoldTask,
    progress: Callable[[int, int], object] | None = None,
    *,
    full_hash: bool = False,
) -> dict[str, Any]:
    """One JSON-able line: task_id, each action (with who asked for it) with output and error flag, db_diff,
    final_hash; in a dual-control domain also user_db_diff, final_user_hash and the env assertions' verdicts.

    The task's ``initial_state`` is applied first (telecom's set-up functions); the diffs are from the state
    the task starts in to the final one. ``full_hash`` re-encodes the whole database for the hash (the same
    value; benchmarks compare the two)."""
    env.reset()
    env.start_task(task.initial_state)
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
                "requestor": side,
                "output": result.output,
                "error": result.error,
            }
        )
    line: dict[str, Any] = {"task_id": task.task_id, "actions": actions}
    if not env.dual_control:
        line["db_diff"] = db_diff(env.start, env.state)
        line["final_hash"] = env.state_hash(full=full_hash)
        return line
    user = set(env.user_tables)
    line["db_diff"] = db_diff(_tables(env.start, user, False), _tables(env.state, user, False))
    user_diff = db_diff(_tables(env.start, user, True), _tables(env.state, user, True))
    line["user_db_diff"] = {k: v for rows in user_diff.values() for k, v in rows.items()}  # {device: record, ...}
    line["final_hash"] = env.state_hash(full=full_hash)
    line["final_user_hash"] = env.user_state_hash()
    line["env_assertions"] = [env.run_assertion(a) for a in task.env_assertions]
    return line


def _tables(state: State, names: set[str], inside: bool) -> State:
    return {t: records for t, records in state.items() if (t in names) == inside}


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
    for check in line.get("env_assertions") or []:
        if check.get("error"):
            problems.append(f"env assertion {check['func_name']} cannot run: {check['error']}")
        elif not check.get("met"):
            problems.append(f"env assertion {check['func_name']} is not met after the gold actions")
    said = normalise_said(" ".join(a["output"] for a in line["actions"]))
    for out in task.outputs:
        if normalise_said(out) not in said:
            problems.append(f"output {out!r} is never produced by the gold actions")
    return problems


def to_jsonl(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, default=str)
