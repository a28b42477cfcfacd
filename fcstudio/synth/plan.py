"""Turn plans: what each turn of a path will do, with every argument value chosen before any text is written.

``plan_turns`` picks the user-given values from real data (``values.ValueBank``); ``resolve`` fills the
output-fed ones from the producers' actual results; ``Episode`` is the conversation so far with its environment
(calls run there when it implements them, else get a simulated, schema-shaped response). The trajectory's
``meta["plan"]`` stores these plans (``plans_from_meta`` reads them back for verification and pair-making).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from fcstudio.envs.base import Environment, to_output
from fcstudio.llm import LLMClient, parse_json_reply
from fcstudio.models import ToolSpec
from fcstudio.paths.fsp import FSP
from fcstudio.synth.values import ValueBank, extract_field, field_kind, fits, fits_kind, simulate_output

SYSTEM_PROMPT = (
    "You are a helpful assistant that can call functions. Call a function when it helps; ask the user for any "
    "required detail you do not have; say so plainly when no offered function can do what is asked."
)
MAX_STEPS_PER_TURN = 6


class SynthError(RuntimeError):
    """A trajectory could not be produced (the model endpoint failed for good)."""


@dataclass
class PlannedCall:
    turn: int
    index: int
    tool_id: str
    name: str
    args: dict[str, Any]  # user-given values (chosen up front); output-fed ones are filled when run
    sources: dict[str, dict[str, Any]]
    withheld: list[str] = field(default_factory=list)

    def feeds_from(self) -> list[tuple[int, int]]:
        return [(s["turn"], s["call"]) for s in self.sources.values() if s.get("kind") == "output"]


@dataclass
class TurnPlan:
    index: int
    kind: str
    calls: list[PlannedCall]
    answers: dict[str, Any] = field(default_factory=dict)  # withheld values the user now gives
    resumed: list[int] = field(default_factory=list)  # calls asked for in the previous turn
    announced: list[str] = field(default_factory=list)  # tools offered from this turn on


@dataclass
class Episode:
    """Everything a turn needs: tools, the environment, outputs so far, the messages so far."""

    tools: dict[str, ToolSpec]  # by tool id
    env: Environment | None
    bank: ValueBank
    long_outputs: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)  # tool ids
    outputs: dict[tuple[int, int], Any] = field(default_factory=dict)
    call_ids: dict[str, list[int]] = field(default_factory=dict)  # tool-call id -> [turn, call]
    counter: int = 0
    simulator: LLMClient | None = None  # simulates tools without implementation; offline when None

    by_name: dict[str, ToolSpec] = field(init=False)  # the first spec of each name, looked up per call

    def __post_init__(self) -> None:
        self.by_name = {}
        for spec in self.tools.values():
            self.by_name.setdefault(spec.name, spec)

    def spec(self, tool_id: str) -> ToolSpec:
        return self.tools[tool_id]

    def offered_specs(self) -> dict[str, ToolSpec]:
        return {self.tools[t].name: self.tools[t] for t in self.offered}

    def next_call_id(self) -> str:
        self.counter += 1
        return f"call_{self.counter}"

    async def execute(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """(output text, error) from the environment, or a simulated response for a tool it does not run."""
        spec = self.by_name.get(name)
        if self.env is not None and self.env.binds(name, spec.labels if spec is not None else ()):
            result = self.env.execute(name, arguments)
            return result.output, result.error
        if spec is None:
            return f"Error: Tool '{name}' not found.", True
        output = None
        if self.simulator is not None:
            output = await simulate_with_llm(self.simulator, spec, arguments)
        if output is None:
            output = simulate_output(name, arguments, spec.returns, self.bank)
        if self.long_outputs and isinstance(output, dict):
            output = {**output, "notes": [f"record {i}: no further details" for i in range(60)]}
        return to_output(output), False


async def simulate_with_llm(client: LLMClient, spec: ToolSpec, arguments: dict[str, Any]) -> Any:
    """A plausible response from a model; None (offline simulation instead) when its reply is unusable."""
    prompt = (
        "You simulate a function for testing. Reply with its JSON result only.\n"
        f"Function: {json.dumps(spec.openai()['function'])}\n"
        + (f"Result schema: {json.dumps(spec.returns)}\n" if spec.returns else "")
        + f"Arguments: {json.dumps(arguments)}"
    )
    reply = await client.chat([{"role": "user", "content": prompt}], purpose="simulate_response")
    try:
        return parse_json_reply(reply.content) if not reply.error else None
    except ValueError:
        return None


# -- planning -----------------------------------------------------------------------------------------


def plan_turns(fsp: FSP, tools: dict[str, ToolSpec], bank: ValueBank, rng: random.Random) -> list[TurnPlan]:
    """Turn plans with every user-given value chosen; a call asked for in a miss turn keeps its values after."""
    plans: list[TurnPlan] = []
    asked: dict[str, PlannedCall] = {}
    for t, turn in enumerate(fsp.turns):
        plan = TurnPlan(index=t, kind=turn.kind, calls=[])
        previous = plans[-1] if plans else None
        for c, call in enumerate(turn.calls):
            spec = tools[call.tool_id]
            props = spec.property_schemas()
            earlier = asked.get(call.tool_id) if previous and previous.kind != "normal" else None
            args: dict[str, Any] = {}
            sources = {}
            for arg, src in call.args.items():
                sources[arg] = src.model_dump()
                if src.kind == "output":
                    continue
                if earlier and arg in earlier.args:
                    args[arg] = earlier.args[arg]
                else:
                    schema = props.get(arg)
                    args[arg] = bank.value(spec.name, arg, schema if isinstance(schema, dict) else {}, rng)
            withheld = [a for a, s in call.args.items() if s.kind == "withheld"]
            planned = PlannedCall(t, c, call.tool_id, spec.name, args, sources, withheld)
            if earlier is not None:
                plan.resumed.append(c)
                for arg in earlier.withheld:
                    plan.answers[arg] = args.get(arg)
                asked.pop(call.tool_id, None)
            if turn.kind != "normal":
                asked[call.tool_id] = planned
            plan.calls.append(planned)
        if previous is not None and previous.kind == "miss_func":
            plan.announced = [c.tool_id for c in previous.calls]
        plans.append(plan)
    return plans


def plans_from_meta(meta: dict[str, Any]) -> list[TurnPlan]:
    """Turn plans back from a stored trajectory's ``meta["plan"]``."""
    plans: list[TurnPlan] = []
    for entry in meta.get("plan") or []:
        calls = [
            PlannedCall(
                entry["turn"], i, c["tool_id"], c["name"], dict(c["args"]), dict(c["sources"]), list(c["withheld"])
            )
            for i, c in enumerate(entry["calls"])
        ]
        plan = TurnPlan(index=entry["turn"], kind=entry["kind"], calls=calls)
        if plans and plans[-1].kind == "miss_func":
            plan.announced = [c.tool_id for c in plans[-1].calls]
        plans.append(plan)
    return plans


def resolve(call: PlannedCall, ep: Episode) -> dict[str, Any]:
    """The call's arguments with output-fed ones taken from the producers' actual outputs."""
    args = {k: v for k, v in call.args.items() if k not in call.withheld}
    for arg, src in call.sources.items():
        if src.get("kind") != "output":
            continue
        produced = ep.outputs.get((src["turn"], src["call"]))
        value = extract_field(produced, src.get("field") or "") if produced is not None else None
        schema = ep.spec(call.tool_id).property_schemas().get(arg) or {}
        if value is None or not fits(value, schema) or not fits_kind(value, field_kind(arg, schema)):
            # the producer failed, lacks the field, or gave another type or kind (a time for a check-out date)
            value = ep.bank.value(call.name, arg, schema, random.Random(arg))
        args[arg] = value
    return args
