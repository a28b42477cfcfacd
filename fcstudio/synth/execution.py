"""FSP → trajectory: run each turn of a path (translate, call, record results) and keep the plan in ``meta``.

``run_turn`` plays one turn on an ``Episode`` (a turn whose calls feed each other becomes several assistant
messages); ``synthesize`` plays a whole path and returns the messages, offered tools and ``meta["plan"]``, which
records per turn its kind, the planned calls (resolved arguments and their sources) and which tool-call ids
carried them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from fcstudio.envs.base import Environment
from fcstudio.llm import LLMClient
from fcstudio.models import ToolSpec
from fcstudio.paths.fsp import FSP
from fcstudio.synth.plan import MAX_STEPS_PER_TURN, SYSTEM_PROMPT, Episode, PlannedCall, TurnPlan, plan_turns
from fcstudio.synth.translation import Translator
from fcstudio.synth.values import ValueBank

# -- running a path ----------------------------------------------------------------------------------


@dataclass
class TurnRecord:
    start: int  # message index of the user message
    end: int  # one past the last message of the turn
    invalid_calls: list[dict[str, Any]] = field(default_factory=list)


async def run_turn(
    ep: Episode,
    plan: TurnPlan,
    translator: Translator,
    *,
    hint: TurnPlan | None,
    rng: random.Random,
    user_text: str | None = None,
) -> TurnRecord:
    """Append one turn (user message, assistant actions, tool results, closing reply) to ``ep.messages``.

    ``user_text`` given: the user message is already in ``ep.messages`` (continuing a prefix for a pair).
    """
    for tool_id in plan.announced:
        if tool_id not in ep.offered:
            ep.offered.append(tool_id)
            spec = ep.tools[tool_id]
            if user_text is not None:
                continue
            ep.messages.append(
                {"role": "system", "content": f"A new function is available: {json.dumps(spec.openai()['function'])}"}
            )
    start = len(ep.messages)
    if user_text is None:
        ep.messages.append({"role": "user", "content": await translator.user_message(ep, plan, rng)})
    else:
        start -= 1
    record = TurnRecord(start, start)
    done: list[PlannedCall] = []
    results: list[tuple[str, str, bool]] = []
    text: str | None = None
    for _ in range(MAX_STEPS_PER_TURN):
        text, calls, checked = await translator.assistant_step(ep, plan, hint, done)
        if not calls:
            break
        ep.messages.append({"role": "assistant", "content": text, "tool_calls": calls})
        text = None
        for call in checked:
            if call.problem:
                record.invalid_calls.append({"id": call.id, "name": call.name, "problem": call.problem})
                output, error = f"Error: {call.problem}", True
            else:
                output, error = await ep.execute(call.name, call.arguments or {})
            ep.messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
            results.append((call.name, output, error))
            where = ep.call_ids.get(call.id)
            if where is not None:
                try:
                    ep.outputs[(where[0], where[1])] = json.loads(output)
                except json.JSONDecodeError:
                    ep.outputs[(where[0], where[1])] = output
                planned = _done_call(hint or plan, where)
                if planned is not None:
                    done.append(planned)
    if text is None:
        text = await translator.closing(ep, plan, results)
    ep.messages.append({"role": "assistant", "content": text or "Done."})
    record.end = len(ep.messages)
    return record


def _done_call(plan: TurnPlan, where: list[int]) -> PlannedCall | None:
    return next((c for c in plan.calls if [c.turn, c.index] == where), None)


def tool_specs_for(fsp: FSP, tools: dict[str, ToolSpec]) -> list[str]:
    """Tool ids offered at the start: every tool the path calls (minus those held back) and the distractors."""
    ids: list[str] = []
    for _, _, call in fsp.calls():
        if call.tool_id not in ids and call.tool_id not in fsp.removed_tools:
            ids.append(call.tool_id)
    return ids + [t for t in fsp.distractor_tools if t in tools and t not in ids]


def plan_meta(plans: list[TurnPlan], records: list[TurnRecord]) -> list[dict[str, Any]]:
    out = []
    for plan, rec in zip(plans, records, strict=True):
        out.append(
            {
                "turn": plan.index,
                "kind": plan.kind,
                "start": rec.start,
                "end": rec.end,
                "calls": [
                    {"tool_id": c.tool_id, "name": c.name, "args": c.args, "sources": c.sources, "withheld": c.withheld}
                    for c in plan.calls
                ],
                "invalid_calls": rec.invalid_calls,
            }
        )
    return out


async def synthesize(
    fsp: FSP,
    tools: dict[str, ToolSpec],
    translator: Translator,
    *,
    env: Environment | None,
    bank: ValueBank,
    seed: int,
    simulator: LLMClient | None = None,
) -> dict[str, Any]:
    """One trajectory for one path: ``{"messages", "tool_ids", "meta"}`` (meta holds the plan)."""
    rng = random.Random(seed)
    if env is not None:
        env.reset()
    plans = plan_turns(fsp, tools, bank, rng)
    ep = Episode(tools=tools, env=env, bank=bank, long_outputs=fsp.long_outputs, simulator=simulator)
    ep.offered = tool_specs_for(fsp, tools)
    system = SYSTEM_PROMPT + (f"\n\n# Policy\n{env.policy}" if env is not None and env.policy else "")
    ep.messages.append({"role": "system", "content": system})
    records = []
    for plan in plans:
        records.append(await run_turn(ep, plan, translator, hint=plan, rng=rng))
    meta: dict[str, Any] = {
        "plan": plan_meta(plans, records),
        "call_ids": ep.call_ids,
        "backend": translator.name,
        "env": env.name if env is not None else None,
        "ops": [p.get("op") for p in fsp.provenance],
        "removed_tools": fsp.removed_tools,
    }
    start = env.start_record() if env is not None else None
    if start is not None:  # a start state that is not the domain's own database: kept to run the calls again
        meta["env_start"] = start
    return {"messages": ep.messages, "tool_ids": list(dict.fromkeys(ep.offered)), "meta": meta}
