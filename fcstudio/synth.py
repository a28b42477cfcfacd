"""FSP → trajectory: back-translation to user turns, forth-translation to assistant actions, real tool results.

For each turn of a path: argument values are chosen first (from real data, ``values.ValueBank``), the
user message is written from the turn's signatures (never naming a function, saying every user-given
value, pointing at earlier outputs indirectly), then the assistant acts with the turn as a *hint*:
calls with arguments (a turn whose calls feed each other becomes several assistant messages), a
clarifying question for a withheld argument, a statement that it cannot for a function not offered,
and a closing reply. Calls run in the environment when it implements them, else get a simulated,
schema-shaped response. Two translators: ``TemplateTranslator`` (offline, deterministic) and
``LLMTranslator`` (any OpenAI-compatible model through ``llm.LLMClient``).

The trajectory's ``meta["plan"]`` records, per turn, its kind, the planned calls (resolved arguments and
their sources) and which tool-call ids carried them; verification and pair-making read it back.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from fcstudio.envs.base import Environment, to_output
from fcstudio.llm import CheckedCall, LLMClient, check_tool_calls, parse_json_reply
from fcstudio.models import ToolSpec
from fcstudio.paths import FSP
from fcstudio.values import ValueBank, extract_field, simulate_output

SYSTEM_PROMPT = (
    "You are a helpful assistant that can call functions. Call a function when it helps; ask the user for any "
    "required detail you do not have; say so plainly when no offered function can do what is asked."
)
MAX_STEPS_PER_TURN = 6


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
        """(output text, error) from the environment, or a simulated response for a tool it lacks."""
        if self.env is not None and self.env.tool_kind(name) is not None:
            result = self.env.execute(name, arguments)
            return result.output, result.error
        spec = self.by_name.get(name)
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


class Translator(Protocol):
    name: str

    async def user_message(self, ep: Episode, plan: TurnPlan, rng: random.Random) -> str: ...

    async def assistant_step(
        self, ep: Episode, plan: TurnPlan, hint: TurnPlan | None, done: list[PlannedCall]
    ) -> tuple[str | None, list[dict[str, Any]], list[CheckedCall]]: ...

    async def closing(self, ep: Episode, plan: TurnPlan, results: list[tuple[str, str, bool]]) -> str: ...


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
                    args[arg] = bank.value(
                        spec.name, arg, props.get(arg) if isinstance(props.get(arg), dict) else {}, rng
                    )
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
        if value is None:  # the producer failed or lacks the field: fall back to a plausible value
            spec = ep.spec(call.tool_id)
            props = spec.property_schemas()
            value = ep.bank.value(call.name, arg, props.get(arg) or {}, random.Random(arg))
        args[arg] = value
    return args


# -- the template translator (offline) -------------------------------------------------------------------


def _intent(spec: ToolSpec) -> str:
    """The tool's purpose as a phrase, from its description, with its own name scrubbed out."""
    text = (spec.description or spec.name.replace("_", " ")).strip().split(". ")[0].rstrip(".")
    text = re.sub(re.escape(spec.name), "it", text, flags=re.IGNORECASE)
    return text[:1].lower() + text[1:] if text else "that"


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


def _say(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class TemplateTranslator:
    """Back- and forth-translation by templates: no model needed, the same path gives the same text."""

    name = "template"

    async def user_message(self, ep: Episode, plan: TurnPlan, rng: random.Random) -> str:
        parts = []
        if plan.answers:
            parts.append(" ".join(f"The {_words(a)} is {_say(v)}." for a, v in plan.answers.items()))
        if plan.announced and not plan.answers:
            parts.append("You should be able to do that now, please go ahead.")
        for call in plan.calls:
            if call.index in plan.resumed:
                continue
            spec = ep.spec(call.tool_id)
            details = []
            for arg, src in call.sources.items():
                if src.get("kind") == "user":
                    details.append(f"{_words(arg)} {_say(call.args[arg])}")
                elif src.get("kind") == "output":
                    producer = _producer_phrase(plan, src)
                    details.append(f"the {_words(str(src.get('field') or arg).split('.')[-1].strip('[]'))} {producer}")
            opener = rng.choice(["I'd like to", "Please help me", "Could you", "Next, I need to"])
            sentence = f"{opener} look into this: {_intent(spec)}"
            if details:
                sentence += " — " + ", ".join(details)
            parts.append(sentence + ("?" if opener == "Could you" else "."))
        return " ".join(parts) or "Thanks, that's all."

    async def assistant_step(
        self, ep: Episode, plan: TurnPlan, hint: TurnPlan | None, done: list[PlannedCall]
    ) -> tuple[str | None, list[dict[str, Any]], list[CheckedCall]]:
        hint = hint or plan
        if hint.kind == "miss_param":
            missing = sorted({a for c in hint.calls for a in c.withheld})
            return f"Sure — what {' and '.join(_words(a) for a in missing)} should I use?", [], []
        if hint.kind == "miss_func":
            wanted = ", ".join(_intent(ep.spec(c.tool_id)) for c in hint.calls)
            return f"I'm sorry, none of the functions I have can help with that ({wanted}).", [], []
        done_keys = {(c.turn, c.index) for c in done}
        wave = [
            c
            for c in hint.calls
            if (c.turn, c.index) not in done_keys and all(src in done_keys or src[0] < c.turn for src in c.feeds_from())
        ]
        if not wave:
            return None, [], []
        calls = []
        for c in wave:
            cid = ep.next_call_id()
            ep.call_ids[cid] = [c.turn, c.index]
            calls.append(
                {"id": cid, "type": "function", "function": {"name": c.name, "arguments": json.dumps(resolve(c, ep))}}
            )
        return None, calls, check_tool_calls(calls, ep.by_name)

    async def closing(self, ep: Episode, plan: TurnPlan, results: list[tuple[str, str, bool]]) -> str:
        lines = []
        for name, output, error in results:
            spec = ep.by_name.get(name)
            what = _intent(spec) if spec else _words(name)
            brief = output if len(output) <= 160 else output[:157] + "..."
            lines.append(f"I couldn't {what}: {brief}" if error else f"Here is the result ({what}): {brief}")
        return " ".join(lines) or "Done."


def _producer_phrase(plan: TurnPlan, src: dict[str, Any]) -> str:
    """How a user points at an earlier output without naming the call (nested, short or long dependency)."""
    gap = plan.index - int(src.get("turn") or 0)
    return {0: "from what you find first", 1: "from your last answer"}.get(gap, "from what you found earlier")


# -- the LLM translator -------------------------------------------------------------------------------


def hint_text(ep: Episode, hint: TurnPlan) -> str:
    """The FSP turn as an instruction for the assistant model (forth-translation with hints)."""
    if hint.kind == "miss_param":
        missing = sorted({a for c in hint.calls for a in c.withheld})
        return f"Hint: do not call any function yet; ask the user for: {', '.join(missing)}."
    if hint.kind == "miss_func":
        return "Hint: no offered function can do what the user asks; say so and do not call any function."
    lines = ["Hint: make exactly these calls (calls that need an earlier result come after it):"]
    for c in hint.calls:
        args = []
        for arg, src in c.sources.items():
            if src.get("kind") == "output":
                args.append(f"{arg}=<the {src.get('field')} returned by call {src['turn']}.{src['call']}>")
            elif arg in c.args:
                args.append(f"{arg}={json.dumps(c.args[arg])}")
        lines.append(f"- call {c.turn}.{c.index}: {c.name}({', '.join(args)})")
    lines.append("Then answer the user briefly from the results.")
    return "\n".join(lines)


class LLMTranslator:
    """Back-translation, forth-translation (with or without the FSP hint) and simulated responses by a model."""

    name = "openai"

    def __init__(self, client: LLMClient, use_hints: bool = True):
        self.client = client
        self.use_hints = use_hints

    async def user_message(self, ep: Episode, plan: TurnPlan, rng: random.Random) -> str:
        del rng
        calls = []
        for c in plan.calls:
            if c.index in plan.resumed:
                continue
            spec = ep.spec(c.tool_id)
            given = {a: v for a, v in c.args.items() if a not in c.withheld and c.sources[a].get("kind") == "user"}
            fed = [a for a, s in c.sources.items() if s.get("kind") == "output"]
            calls.append({"purpose": spec.description, "values to state": given, "values from earlier results": fed})
        history = [m for m in ep.messages if m["role"] in ("user", "assistant") and m.get("content")][-6:]
        prompt = (
            "Write the user's next message in a conversation with an assistant. The user wants the following done "
            "(as JSON). State every value under 'values to state' exactly; refer to 'values from earlier results' "
            "indirectly (e.g. 'that place'); never mention function names or technical terms.\n"
            f"Wanted: {json.dumps(calls)}\n"
            + (f"The user now answers the assistant's question: {json.dumps(plan.answers)}\n" if plan.answers else "")
            + f"Conversation so far: {json.dumps(history)}\nReply with the message text only."
        )
        reply = await self.client.chat([{"role": "user", "content": prompt}], purpose="back_translation")
        if reply.error or not (reply.content or "").strip():
            raise SynthError(f"back-translation failed: {reply.error or 'empty reply'}")
        return reply.content.strip()

    async def assistant_step(
        self, ep: Episode, plan: TurnPlan, hint: TurnPlan | None, done: list[PlannedCall]
    ) -> tuple[str | None, list[dict[str, Any]], list[CheckedCall]]:
        del done
        messages = list(ep.messages)
        if hint is not None and self.use_hints:  # the hint sits right after the user turn it is about
            at = max(i for i, m in enumerate(messages) if m["role"] == "user") + 1
            messages.insert(at, {"role": "system", "content": hint_text(ep, hint)})
        tools = [ep.tools[t].openai() for t in ep.offered]
        reply = await self.client.chat(messages, tools=tools or None, purpose="forth_translation")
        if reply.error:
            raise SynthError(f"forth-translation failed: {reply.error}")
        calls = []
        for tc in reply.tool_calls:
            cid = ep.next_call_id()
            calls.append({**tc, "id": cid})
        checked = check_tool_calls(calls, ep.offered_specs())
        for call in checked:  # map a call to the planned one it carries out (first unmatched of that name)
            taken = {tuple(v) for v in ep.call_ids.values()}
            for c in plan.calls:
                if c.name == call.name and (c.turn, c.index) not in taken:
                    ep.call_ids[call.id] = [c.turn, c.index]
                    break
        return reply.content, calls, checked

    async def closing(self, ep: Episode, plan: TurnPlan, results: list[tuple[str, str, bool]]) -> str:
        return ""  # the model's own text after its last call is the closing reply


class SynthError(RuntimeError):
    """A trajectory could not be produced (the model endpoint failed for good)."""


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
    return {
        "messages": ep.messages,
        "tool_ids": list(dict.fromkeys(ep.offered)),
        "meta": {
            "plan": plan_meta(plans, records),
            "call_ids": ep.call_ids,
            "backend": translator.name,
            "env": env.name if env is not None else None,
            "ops": [p.get("op") for p in fsp.provenance],
            "removed_tools": fsp.removed_tools,
        },
    }
