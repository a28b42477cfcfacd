"""Rewards as tau2 defines them, combined by the task's reward basis.

- DB: the final database hash equals that of the initial database after replaying the gold actions (in a
  dual-control domain both databases: the operator's and the user's phone);
- ENV_ASSERTION: every env assertion of the task holds on the final state (telecom: checks of either side);
- ACTION: every gold action appears among the calls (the agent's, and in a dual-control domain the user's
  too, as tau2 extracts them from both; same name; the arguments the call gives equal the gold's, or only
  ``compare_args`` when the task names them);
- COMMUNICATE: every required string appears in some assistant text (case-insensitive, commas dropped);
- NL_ASSERTION: an LLM judge says each assertion holds (skipped, and said so, when no judge is set).

The reward is the product of the parts the task's reward basis names (tau2's ``evaluate_simulation`` with
``EvaluationType.ALL``). An episode that did not end normally (the agent or user stopped, or the agent
transferred) gets 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fcstudio.catalog.schemas import canonical_json
from fcstudio.envs.base import Environment, State
from fcstudio.envs.diff import diff
from fcstudio.envs.tasks import GoldTask
from fcstudio.llm import parse_arguments

NORMAL_ENDS = frozenset({"user_stop", "agent_stop", "transfer"})
DEFAULT_BASIS = ("DB", "COMMUNICATE")


@dataclass
class EvalTask:
    """A benchmark task as the runner and the rewards need it."""

    task_id: str
    domain: str
    actions: list[dict[str, Any]]  # {"name", "arguments", "requestor", "compare_args"}
    outputs: list[str] = field(default_factory=list)
    nl_assertions: list[str] = field(default_factory=list)
    reward_basis: tuple[str, ...] = DEFAULT_BASIS
    scenario: str = ""
    user_turns: list[str] = field(default_factory=list)
    initial_state: dict[str, Any] | None = None  # tau2's set-up (telecom's initialization actions)
    env_assertions: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_gold(cls, gold: GoldTask, domain: str = "") -> EvalTask:
        raw = gold.raw or {}
        criteria = raw.get("evaluation_criteria")
        if not isinstance(criteria, dict):
            criteria = {}
        raw_actions = criteria.get("actions") or []
        actions = []
        for i, a in enumerate(gold.actions):
            extra = raw_actions[i] if i < len(raw_actions) and isinstance(raw_actions[i], dict) else {}
            actions.append({**a, "compare_args": extra.get("compare_args")})
        basis = criteria.get("reward_basis") or DEFAULT_BASIS
        turns = raw.get("user_turns")
        if not isinstance(turns, list):
            turns = []
        return cls(
            task_id=gold.task_id,
            domain=domain or gold.domain,
            actions=actions,
            outputs=list(gold.outputs),
            nl_assertions=[str(x) for x in criteria.get("nl_assertions") or []],
            reward_basis=tuple(str(b) for b in basis),
            scenario=gold.instruction,
            user_turns=[str(t) for t in turns],
            initial_state=gold.initial_state,
            env_assertions=list(gold.env_assertions),
        )


def is_user_side(message: dict[str, Any]) -> bool:
    """A message of the user's own tool use (a call or its result): the agent never sees these."""
    return message.get("requestor") == "user"


def agent_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every assistant tool call in order: name, parsed arguments (None if broken), where it sits."""
    return [c for c in all_calls(messages) if c["requestor"] == "assistant"]


def all_calls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every tool call in order, the agent's and (dual control) the user's, each with its ``requestor``."""
    out = []
    for i, m in enumerate(messages):
        if m.get("role") == "assistant":
            requestor = "assistant"
        elif m.get("role") == "user" and m.get("tool_calls"):
            requestor = "user"
        else:
            continue
        for j, tc in enumerate(m.get("tool_calls") or []):
            fn = tc.get("function") or {}
            args, problem = parse_arguments(fn.get("arguments"), fn.get("name", ""))
            out.append(
                {
                    "name": fn.get("name", ""),
                    "arguments": args,
                    "problem": problem,
                    "message": i,
                    "call": j,
                    "id": tc.get("id"),
                    "requestor": requestor,
                }
            )
    return out


def action_matches(gold: dict[str, Any], call: dict[str, Any]) -> bool:
    """tau2's comparison: same name, and the compared arguments equal (all the call's, by default)."""
    if gold["name"] != call["name"] or call.get("arguments") is None:
        return False
    keys = gold.get("compare_args")
    if keys is None:
        keys = list(call["arguments"])
    if not keys:
        return True
    mine = {k: v for k, v in call["arguments"].items() if k in keys}
    theirs = {k: v for k, v in (gold.get("arguments") or {}).items() if k in keys}
    return mine == theirs


def said(messages: list[dict[str, Any]], info: str) -> bool:
    needle = info.lower()
    return any(
        m.get("role") == "assistant"
        and isinstance(m.get("content"), str)
        and needle in m["content"].lower().replace(",", "")
        for m in messages
    )


def replay(
    env: Environment,
    calls: list[dict[str, Any]],
    initial_state: dict[str, Any] | None = None,
    *,
    gold: bool = False,
) -> None:
    """Reset ``env``, apply the task's set-up, and run ``calls`` ({"name", "arguments", "requestor"?}) on it,
    errors included. ``gold``: as tau2's evaluator builds the expected state, with no sync between the calls
    (it calls the tools directly); otherwise as a live episode ran them."""
    env.reset()
    env.start_task(initial_state)
    for c in calls:
        if c.get("arguments") is None:
            continue
        side = "user" if c.get("requestor") == "user" else "assistant"
        if gold:
            env.call_raw(c["name"], c["arguments"], side=side)
        else:
            env.execute(c["name"], c["arguments"], side=side)


def db_check(gold_state: State, final_state: State) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the DB reward's record, the expected → actual diff).

    tau2 compares hashes of the key-sorted JSON of both databases. Equal hashes mean every table has the
    same keys and every record the same JSON, so we compare record by record instead, and only records
    that are not the very same object (copy-on-write: records neither side wrote are shared): the same
    verdict without encoding the whole database twice per episode.
    """
    d = diff(gold_state, final_state)
    if d:
        return {"match": False}, d
    for table, records in gold_state.items():
        other = final_state.get(table, {})
        for key, record in records.items():
            if other.get(key) is not record and canonical_json(record) != canonical_json(other.get(key)):
                return {"match": False, "note": f"{table}/{key} differs only in number types"}, d
    return {"match": True}, d


def evaluate(
    task: EvalTask,
    messages: list[dict[str, Any]],
    termination: str,
    *,
    db: dict[str, Any] | None,
    nl_verdicts: list[dict[str, Any]] | None = None,
    env_checks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The reward and its parts (JSON-able): ``reward``, ``basis``, ``db``, ``actions``, ``communicate``, ``nl``,
    ``env_assertions``.

    ``db`` is ``{"match": bool, "hash", "gold_hash"}`` from an executable environment, None without one;
    ``env_checks`` the task's env assertions run on the final state (``Environment.run_assertion``).
    """
    calls = all_calls(messages)
    action_checks = [
        {
            "name": g["name"],
            "arguments": g.get("arguments") or {},
            "requestor": g.get("requestor") or "assistant",
            "matched": any(action_matches(g, c) for c in calls),
        }
        for g in task.actions
    ]
    communicate = [{"info": o, "met": said(messages, o)} for o in task.outputs]
    parts = {
        "DB": 1.0 if db and db.get("match") else 0.0,
        "ACTION": 1.0 if all(a["matched"] for a in action_checks) else 0.0,
        "COMMUNICATE": 1.0 if all(c["met"] for c in communicate) else 0.0,
    }
    notes = []
    if env_checks is not None:
        parts["ENV_ASSERTION"] = 1.0 if all(c.get("met") for c in env_checks) else 0.0
    elif "ENV_ASSERTION" in task.reward_basis and task.env_assertions:
        notes.append("env assertions not run (no executable environment)")
    if nl_verdicts is not None:
        parts["NL_ASSERTION"] = 1.0 if all(v.get("met") for v in nl_verdicts) else 0.0
    elif "NL_ASSERTION" in task.reward_basis and task.nl_assertions:
        notes.append("NL assertions not judged (no judge model configured)")
    if db is None and "DB" in task.reward_basis:
        notes.append("no executable environment: DB check skipped")
    reward = 1.0
    used = []
    for basis in task.reward_basis:
        if basis in parts and not (basis == "DB" and db is None):
            reward *= parts[basis]
            used.append(basis)
    if termination not in NORMAL_ENDS:
        reward = 0.0
        notes.append(f"ended early ({termination}): reward 0")
    return {
        "reward": reward,
        "basis": list(task.reward_basis),
        "used": used,
        "breakdown": parts,
        "db": db,
        "actions": action_checks,
        "communicate": communicate,
        "nl": nl_verdicts or [],
        "env_assertions": env_checks or [],
        "notes": notes,
    }


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
