"""Benchmark tasks with gold actions, read from tau2's ``tasks.json`` or tau-bench v1's task layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcstudio.envs.loading import read_json


@dataclass
class GoldTask:
    """What replay needs: the gold calls in order and the strings the agent must say."""

    task_id: str
    actions: list[dict[str, Any]]  # {"name", "arguments"}
    outputs: list[str] = field(default_factory=list)
    instruction: str = ""
    domain: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    initial_state: dict[str, Any] | None = None  # tau2's: initialization_data / initialization_actions
    env_assertions: list[dict[str, Any]] = field(default_factory=list)  # tau2's, run on the final state


class TaskFileError(ValueError):
    """A task file that is neither tau2's nor tau-bench v1's layout; names the task."""


def scenario_text(scenario: Any) -> str:
    """tau2's user scenario as readable text (instructions may be a string or a structured object)."""
    if not isinstance(scenario, dict):
        return str(scenario or "")
    instructions = scenario.get("instructions")
    if isinstance(instructions, dict):
        parts = [
            f"{label}: {instructions[key]}"
            for key, label in (
                ("reason_for_call", "Reason for call"),
                ("known_info", "Known info"),
                ("unknown_info", "Unknown info"),
                ("task_instructions", "Task instructions"),
            )
            if instructions.get(key)
        ]
        text = "\n".join(parts)
    else:
        text = str(instructions or "")
    if scenario.get("persona"):
        text = f"Persona: {scenario['persona']}\n{text}"
    return text


def parse_task(obj: Any, index: int, where: str) -> GoldTask:
    if not isinstance(obj, dict):
        raise TaskFileError(f"{where}: task {index} must be an object")
    if "evaluation_criteria" in obj or "user_scenario" in obj:  # tau2
        task_id = str(obj.get("id", index))
        criteria = obj.get("evaluation_criteria") or {}
        if not isinstance(criteria, dict):
            raise TaskFileError(f"{where}: task {task_id}: evaluation_criteria must be an object")
        for key in ("actions", "communicate_info"):
            if not isinstance(criteria.get(key) or [], list):
                raise TaskFileError(f"{where}: task {task_id}: evaluation_criteria.{key} must be a list")
        actions = []
        for i, a in enumerate(criteria.get("actions") or []):
            if (
                not isinstance(a, dict)
                or not isinstance(a.get("name"), str)
                or not isinstance(a.get("arguments", {}), dict)
            ):
                raise TaskFileError(f"{where}: task {task_id}: action {i} needs a string 'name' and object 'arguments'")
            actions.append(
                {"name": a["name"], "arguments": a.get("arguments") or {}, "requestor": a.get("requestor", "assistant")}
            )
        scenario = obj.get("user_scenario") or {}
        if not isinstance(scenario, (dict, str)):
            raise TaskFileError(f"{where}: task {task_id}: user_scenario must be an object")
        instructions = scenario.get("instructions") if isinstance(scenario, dict) else None
        domain = instructions.get("domain", "") if isinstance(instructions, dict) else ""
        domain = domain if isinstance(domain, str) else ""
        outputs = [str(x) for x in (criteria.get("communicate_info") or [])]
        initial = obj.get("initial_state")
        if initial is not None and not isinstance(initial, dict):
            raise TaskFileError(f"{where}: task {task_id}: initial_state must be an object")
        for key in ("initialization_actions",):
            if initial and not isinstance(initial.get(key) or [], list):
                raise TaskFileError(f"{where}: task {task_id}: initial_state.{key} must be a list")
        assertions = criteria.get("env_assertions") or []
        if not isinstance(assertions, list) or not all(
            isinstance(a, dict) and isinstance(a.get("func_name"), str) for a in assertions
        ):
            raise TaskFileError(f"{where}: task {task_id}: env_assertions must be objects with a 'func_name'")
        return GoldTask(
            task_id, actions, outputs, scenario_text(scenario), domain or "", obj, initial or None, list(assertions)
        )
    if "actions" in obj and ("instruction" in obj or "user_id" in obj):  # tau-bench v1
        task_id = str(obj.get("task_id", obj.get("id", index)))
        if not isinstance(obj.get("actions") or [], list) or not isinstance(obj.get("outputs") or [], list):
            raise TaskFileError(f"{where}: task {task_id}: 'actions' and 'outputs' must be lists")
        actions = []
        for i, a in enumerate(obj.get("actions") or []):
            if not isinstance(a, dict) or not isinstance(a.get("name"), str):
                raise TaskFileError(f"{where}: task {task_id}: action {i} needs a string 'name'")
            args = a.get("kwargs", a.get("arguments", {}))
            if not isinstance(args, dict):
                raise TaskFileError(f"{where}: task {task_id}: action {i} kwargs must be an object")
            actions.append({"name": a["name"], "arguments": args, "requestor": "assistant"})
        return GoldTask(
            task_id, actions, [str(x) for x in obj.get("outputs") or []], str(obj.get("instruction", "")), "", obj
        )
    raise TaskFileError(
        f"{where}: task {index} is neither tau2 (evaluation_criteria) nor tau-bench v1 (actions, instruction)"
    )


def load_tasks(path: str | Path, *, bad: list[tuple[str, str]] | None = None) -> list[GoldTask]:
    """Tasks from a tau2 tasks.json, a JSON list of tau-bench v1 tasks, or v1 trajectories (``info.task``).

    A malformed task raises TaskFileError, unless ``bad`` is given: then it is appended there as
    (task reference, reason) and the others are read (a run goes on without it).
    """
    data = read_json(path, TaskFileError)
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        data = data["tasks"]
    if not isinstance(data, list):
        raise TaskFileError(f"{path}: expected a JSON list of tasks")
    tasks: list[GoldTask] = []
    seen: set[str] = set()
    for i, obj in enumerate(data):
        try:
            if (
                isinstance(obj, dict)
                and isinstance(obj.get("info"), dict)
                and isinstance(obj["info"].get("task"), dict)
            ):
                task = parse_task({**obj["info"]["task"], "task_id": obj.get("task_id", i)}, i, str(path))
            else:
                task = parse_task(obj, i, str(path))
        except TaskFileError as exc:
            if bad is None:
                raise
            ref = obj.get("id", obj.get("task_id", i)) if isinstance(obj, dict) else i
            bad.append((f"task {ref}", str(exc)))
            continue
        if task.task_id in seen:
            continue  # v1 trajectory files repeat each task once per trial
        seen.add(task.task_id)
        tasks.append(task)
    return tasks


def gold_task_from_row(task: dict[str, Any]) -> GoldTask:
    """A workspace task (``store.get_task``) as a replayable GoldTask."""
    actions = [
        {"name": g["name"], "arguments": g.get("arguments") or {}, "requestor": g.get("requestor") or "assistant"}
        for g in task["gold"]
    ]
    meta = task.get("meta") or {}
    return GoldTask(
        str(task["source_ref"]),
        actions,
        list(task.get("outputs") or []),
        task.get("instruction", ""),
        task.get("domain", ""),
        initial_state=meta.get("initial_state") or None,
        env_assertions=list(meta.get("env_assertions") or []),
    )
