"""Scripted agent and user replies for the evaluation runner, served by ``openai_stub.StubServer``.

Requests with ``tools`` come from the agent, the others from the user simulator. The user states the
scenario's reason for calling, then stops once the agent has answered. The agent looks the task up by
that first user message and makes the gold calls in one turn, then answers with the required outputs.

Its mistakes are the ones real agents make (``MISTAKES``): a write on the wrong date, a booking on another
flight of the same route and day, the wrong booking or calendar event cancelled, the last step forgotten,
the confirmation left out of the answer. ``wrong`` (for tests that need one predictable failure) changes the
first string argument of the last call instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fcstudio.envs.registry import open_env
from fcstudio.envs.tasks import GoldTask, load_tasks

ROOT = Path(__file__).resolve().parent.parent
MISTAKES = ("date", "booking", "cancel", "skip", "forget")


def travel_tasks() -> dict[str, Any]:
    return {t.task_id: t for t in load_tasks(ROOT / "data" / "travel" / "tasks.json")}


def reason_for_call(system: str) -> str:
    """The scenario's reason for calling, read from the user simulator's system prompt."""
    m = re.search(r"Reason for call: (.*)", system)
    return m.group(1).strip() if m else "Hello."


def _next_day(date: str) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()


def _other_flight(db: dict[str, Any], args: dict[str, Any]) -> str | None:
    """Another flight on the booked one's route and day: the one a hasty agent picks from the search."""
    booked = db["flights"].get(f"{args.get('flight_number')}@{args.get('date')}")
    if booked is None:
        return None
    for f in db["flights"].values():
        same_trip = (f["origin"], f["destination"], f["date"]) == (
            booked["origin"],
            booked["destination"],
            booked["date"],
        )
        if same_trip and f["flight_number"] != booked["flight_number"]:
            return str(f["flight_number"])
    return None


def _other_record(db: dict[str, Any], name: str, args: dict[str, Any]) -> tuple[str, str, str] | None:
    """(argument, right id, wrong id) for a cancellation: another confirmed booking (the latest, one that can
    still be cancelled), or another event of the same day (else the one before it in the calendar)."""
    if name == "cancel_flight_booking":
        right = str(args.get("booking_id"))
        others = [k for k, b in db["bookings"].items() if k != right and b.get("status") == "confirmed"]
        return ("booking_id", right, others[-1]) if others else None
    if name == "delete_calendar_event":
        right = str(args.get("event_id"))
        events = db["calendar"]
        if right not in events:
            return None
        same_day = [k for k, e in events.items() if k != right and e["date"] == events[right]["date"]]
        keys = list(events)
        before = keys[keys.index(right) - 1] if keys.index(right) > 0 else None
        wrong = same_day[0] if same_day else before
        return ("event_id", right, wrong) if wrong else None
    return None


def apply_mistake(
    task: GoldTask, kind: str, db: dict[str, Any], kinds: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]] | None:
    """The calls the agent makes with mistake ``kind`` and the values it then says instead of the right ones
    ({right: wrong}); None when the kind does not apply to the task (nothing to get wrong that way)."""
    actions = [{"name": a["name"], "arguments": dict(a["arguments"])} for a in task.actions]
    writes = [i for i, a in enumerate(actions) if kinds.get(a["name"]) == "write"]
    if kind == "date":
        for i in writes:
            if isinstance(actions[i]["arguments"].get("date"), str):
                right = actions[i]["arguments"]["date"]
                actions[i]["arguments"]["date"] = _next_day(right)
                return actions, {right: actions[i]["arguments"]["date"]}
        return None
    if kind == "booking":
        for a in actions:
            if a["name"] == "book_flight" and (other := _other_flight(db, a["arguments"])):
                right = a["arguments"]["flight_number"]
                a["arguments"]["flight_number"] = other
                return actions, {right: other}
        return None
    if kind == "cancel":
        for a in actions:
            if found := _other_record(db, a["name"], a["arguments"]):
                key, right, wrong = found
                a["arguments"][key] = wrong
                return actions, {right: wrong}
        return None
    if kind == "skip":
        return (actions[:-1], {}) if len(actions) > 1 and writes and writes[-1] == len(actions) - 1 else None
    if kind == "forget":
        return (actions, {o: "" for o in task.outputs}) if task.outputs else None
    raise ValueError(f"unknown mistake {kind!r}")


def mistake_kinds(task: GoldTask) -> list[str]:
    """The mistakes ``apply_mistake`` can make on ``task``, in ``MISTAKES`` order."""
    env = open_env("travel")
    kinds = {s.name: env.tool_kind(s.name) or "" for s in env.tool_specs()}
    db = json.loads((ROOT / "data" / "travel" / "db.json").read_text())
    return [k for k in MISTAKES if apply_mistake(task, k, db, kinds) is not None]


def script(wrong: set[str] | None = None, counter: dict[str, int] | None = None, mistake=None):  # type: ignore[no-untyped-def]
    """``respond(body)`` for StubServer; ``wrong`` holds task ids the agent gets wrong (a changed argument).

    ``mistake(task_id, attempt) -> kind | None`` (a kind of ``MISTAKES``) varies mistakes by attempt (the n-th
    time the task's first agent turn is asked: its trial, when episodes run one at a time).
    """
    tasks = travel_tasks()
    by_reason = {t.raw["user_scenario"]["instructions"]["reason_for_call"]: t for t in tasks.values()}
    wrong = wrong or set()
    attempts: dict[str, int] = {}
    says: dict[str, dict[str, str] | None] = {}  # the task's latest episode: what its answer says instead
    env = open_env("travel")
    kinds = {s.name: env.tool_kind(s.name) or "" for s in env.tool_specs()}
    db = json.loads((ROOT / "data" / "travel" / "db.json").read_text())

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
            instead = says.get(task.task_id) or {}
            told = [instead.get(o, o) for o in task.outputs if instead.get(o, o)]
            return "Done, that is all set." if not told else "Done. " + " ".join(told)
        actions: list[dict[str, Any]] = [dict(a) for a in task.actions]
        says[task.task_id] = None
        if mistake is not None:
            n = attempts.get(task.task_id, 0)
            attempts[task.task_id] = n + 1
            kind = mistake(task.task_id, n)
            made = apply_mistake(task, kind, db, kinds) if kind else None
            if made is not None:
                actions, says[task.task_id] = made
        elif task.task_id in wrong and actions:
            args = dict(actions[-1]["arguments"])
            for k, v in args.items():
                if isinstance(v, str):
                    args[k] = v + " (changed)"
                    break
            actions[-1] = {**actions[-1], "arguments": args}
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": a["name"], "arguments": json.dumps(a["arguments"])},
            }
            for i, a in enumerate(actions)
        ]
        if not calls:
            return "I am sorry, that is not something I can do."
        return {"role": "assistant", "content": None, "tool_calls": calls}

    return respond
