"""Back- and forth-translation: a turn plan into the user's message and the assistant's actions.

The user message is written from the turn's signatures (never naming a function, saying every user-given value,
pointing at earlier outputs indirectly); the assistant acts with the turn as a *hint*: calls with arguments, a
clarifying question for a withheld argument, a statement that it cannot for a function not offered, and a closing
reply. ``TemplateTranslator`` is offline and deterministic; ``LLMTranslator`` asks any OpenAI-compatible model.
"""

from __future__ import annotations

import json
import random
from typing import Any, Protocol

from fcstudio.llm import CheckedCall, LLMClient, check_tool_calls, parse_arguments
from fcstudio.models import ToolSpec
from fcstudio.synth.plan import Episode, PlannedCall, SynthError, TurnPlan, resolve
from fcstudio.synth.wording import action, answer, join_words, request, summary, words


class Translator(Protocol):
    name: str

    async def user_message(self, ep: Episode, plan: TurnPlan, rng: random.Random) -> str: ...

    async def assistant_step(
        self, ep: Episode, plan: TurnPlan, hint: TurnPlan | None, done: list[PlannedCall]
    ) -> tuple[str | None, list[dict[str, Any]], list[CheckedCall]]: ...

    async def closing(self, ep: Episode, plan: TurnPlan, results: list[tuple[str, str, bool]]) -> str: ...


# -- the template translator (offline) -------------------------------------------------------------------


def _wanted(spec: ToolSpec) -> str:
    verb, rest, imperative = action(spec)
    return f"{verb} {rest}".strip() if imperative else f"find {rest}"


class TemplateTranslator:
    """Back- and forth-translation by templates: no model needed, the same path gives the same text."""

    name = "template"

    async def user_message(self, ep: Episode, plan: TurnPlan, rng: random.Random) -> str:
        parts = []
        if plan.answers:
            parts += [answer(a, v, rng) for a, v in plan.answers.items()]
        if plan.announced and not plan.answers:
            parts.append(rng.choice(["You should be able to do that now, please go ahead.", "Please try that now."]))
        asked = [c for c in plan.calls if c.index not in plan.resumed]
        for n, call in enumerate(asked):
            given = {a: call.args[a] for a, src in call.sources.items() if src.get("kind") == "user" and a in call.args}
            fed = [
                f"the {words(str(src.get('field') or arg).split('.')[-1].strip('[]'))} {_producer_phrase(plan, src)}"
                for arg, src in call.sources.items()
                if src.get("kind") == "output"
            ]
            first = n == 0 and not parts and ep.counter == 0
            parts.append(request(ep.spec(call.tool_id), given, fed, rng, first=first, link=n > 0))
        return " ".join(parts) or rng.choice(["Thanks, that's all.", "Great, thank you!", "That's everything, thanks."])

    async def assistant_step(
        self, ep: Episode, plan: TurnPlan, hint: TurnPlan | None, done: list[PlannedCall]
    ) -> tuple[str | None, list[dict[str, Any]], list[CheckedCall]]:
        hint = hint or plan
        if hint.kind == "miss_param":
            missing = sorted({a for c in hint.calls for a in c.withheld})
            return f"Sure, I can do that. What {join_words([words(a) for a in missing])} should I use?", [], []
        if hint.kind == "miss_func":
            wanted = join_words([_wanted(ep.spec(c.tool_id)) for c in hint.calls])
            return f"I'm sorry, I have no way to {wanted} with the tools I have right now.", [], []
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
        del plan, results  # the results are read back from the turn's messages, with the calls' arguments
        return summarise_results(turn_results(ep.messages, len(ep.messages)), ep.by_name)


def turn_results(messages: list[dict[str, Any]], upto: int) -> list[tuple[str, dict[str, Any], str, bool]]:
    """(name, arguments, output, error) of every call answered in the turn that message ``upto`` ends: after the
    last user message before it."""
    start = max((i for i in range(upto) if messages[i].get("role") == "user"), default=-1) + 1
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    out = []
    for m in messages[start:upto]:
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function") or {}
            args, _ = parse_arguments(fn.get("arguments"), fn.get("name", ""))
            calls[tc.get("id", "")] = (fn.get("name", ""), args or {})
        if m.get("role") == "tool" and m.get("tool_call_id") in calls:
            name, args = calls[m["tool_call_id"]]
            content = m.get("content") or ""
            out.append((name, args, content, content.startswith("Error")))
    return out


def summarise_results(results: list[tuple[str, dict[str, Any], str, bool]], by_name: dict[str, ToolSpec]) -> str:
    """The closing reply of a turn: each result (name, arguments, output, error) said in sentences."""
    return " ".join(summary(by_name.get(name), name, args, output, error) for name, args, output, error in results) or (
        "Done."
    )


def _producer_phrase(plan: TurnPlan, src: dict[str, Any]) -> str:
    """How a user points at an earlier output without naming the call (nested, short or long dependency)."""
    gap = plan.index - int(src.get("turn") or 0)
    return {0: "you find first", 1: "from your last answer"}.get(gap, "from what you found earlier")


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
        text = (reply.content or "").strip()
        if reply.error or not text:
            raise SynthError(f"back-translation failed: {reply.error or 'empty reply'}")
        return text

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
