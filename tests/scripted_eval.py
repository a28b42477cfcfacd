"""Scripted agent and user replies for the evaluation runner, served by ``openai_stub.StubServer``.

Requests with ``tools`` come from the agent, the others from the user simulator. The user states the
scenario's reason for calling, then stops once the agent has answered. The agent looks the task up by
that first user message and makes the gold calls in one turn (``wrong``: with a changed argument in the
first write), then answers with the required outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fcstudio.envs.tasks import load_tasks

ROOT = Path(__file__).resolve().parent.parent


def travel_tasks() -> dict[str, Any]:
    return {t.task_id: t for t in load_tasks(ROOT / "data" / "travel" / "tasks.json")}


def reason_for_call(system: str) -> str:
    """The scenario's reason for calling, read from the user simulator's system prompt."""
    m = re.search(r"Reason for call: (.*)", system)
    return m.group(1).strip() if m else "Hello."


def script(wrong: set[str] | None = None, counter: dict[str, int] | None = None, mistake=None):  # type: ignore[no-untyped-def]
    """``respond(body)`` for StubServer; ``wrong`` holds task ids the agent gets wrong (a changed argument).

    ``mistake(task_id, attempt) -> "wrong" | "skip" | None`` varies mistakes by attempt (the n-th time the
    task's first agent turn is asked: its trial, when episodes run one at a time); "skip" leaves the last
    gold action out.
    """
    tasks = travel_tasks()
    by_reason = {t.raw["user_scenario"]["instructions"]["reason_for_call"]: t for t in tasks.values()}
    wrong = wrong or set()
    attempts: dict[str, int] = {}
    went_wrong: dict[str, bool] = {}  # the task's latest episode had a mistake: its answer omits the outputs

    def respond(body: dict[str, Any]) -> Any:
        messages = body["messages"]
        if counter is not None:
            key = "agent" if body.get("tools") else "user"
            counter[key] = counter.get(key, 0) + 1
        if not body.get("tools"):  # the user simulator
            said = [m for m in messages if m["role"] == "assistant"]
            return reason_for_call(messages[0]["content"]) if not said else "Thanks, that is all. ###STOP###"
        first_user = next(m["content"] for m in messages if m["role"] == "user")
        task = by_reason.get(first_user)
        if task is None:
            return "Sorry, I cannot help with that."
        if messages[-1]["role"] == "tool":
            if went_wrong.get(task.task_id) or not task.outputs:
                return "Done."
            return "Done. " + " ".join(task.outputs)
        kind = "wrong" if task.task_id in wrong else None
        if mistake is not None:
            n = attempts.get(task.task_id, 0)
            attempts[task.task_id] = n + 1
            kind = mistake(task.task_id, n)
        went_wrong[task.task_id] = kind is not None and mistake is not None
        actions = task.actions[:-1] if kind == "skip" and len(task.actions) > 1 else task.actions
        calls = []
        changed = False
        for i, action in enumerate(actions):
            args = dict(action["arguments"])
            if kind == "wrong" and not changed and len(actions) - 1 == i:
                for k, v in args.items():
                    if isinstance(v, str):
                        args[k] = v + " (changed)"
                        changed = True
                        break
            calls.append(
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": action["name"], "arguments": json.dumps(args)},
                }
            )
        if not calls:
            return "I am sorry, that is not something I can do."
        return {"role": "assistant", "content": None, "tool_calls": calls}

    return respond
