"""A scripted teacher model for the local OpenAI-protocol server: deterministic replies to fcstudio's prompts.

- back-translation prompts ("Write the user's next message"): a sentence stating every value to state;
- forth-translation (the request offers tools): the calls the hint names, with its values (an output reference
  is filled from the latest tool result), then, after tool results, a closing sentence. Without a hint it
  calls the first offered tool with no arguments (a plausible weak model);
- calls to a function in ``broken`` come back with arguments that are not valid JSON;
- simulated tool responses and judges get small JSON answers.
"""

from __future__ import annotations

import json
import re
from typing import Any


def _hint(messages: list[dict[str, Any]]) -> str | None:
    for m in reversed(messages):
        if m["role"] == "system" and (m.get("content") or "").startswith("Hint:"):
            return m["content"]
        if m["role"] == "user":
            return None
    return None


def _last_tool_json(messages: list[dict[str, Any]]) -> Any:
    for m in reversed(messages):
        if m["role"] == "tool":
            try:
                return json.loads(m["content"])
            except json.JSONDecodeError:
                return None
    return None


def _field(value: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        many = part.endswith("[]")
        part = part.removesuffix("[]")
        if part:
            value = value.get(part) if isinstance(value, dict) else None
        if many:
            value = value[0] if isinstance(value, list) and value else None
    return value


def teacher(broken: set[str] | None = None, counter: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    broken = broken or set()

    def respond(body: dict[str, Any]) -> Any:
        if counter is not None:
            counter["n"] = counter.get("n", 0) + 1
        messages = body["messages"]
        last = messages[-1]
        text = last.get("content") or ""
        if "tools" not in body:
            if "Write the user's next message" in text:
                wanted = json.loads(re.search(r"^Wanted: (.*)$", text, re.M).group(1))
                values = [json.dumps(v) for w in wanted for v in w["values to state"].values()]
                return "Please help me with this: " + ", ".join(v.strip('"') for v in values) + "."
            if "You simulate a function" in text:
                return '{"ok": true}'
            if "Did the assistant do what the user asked" in text:
                return '{"ok": true, "reason": "the calls match the request"}'
            return "{}"
        if last["role"] == "tool":
            return f"Done: {last['content'][:80]}"
        hint = _hint(messages)
        if hint is None or "make exactly these calls" not in hint:
            if hint and "ask the user" in hint:
                return "Which value should I use?"
            if hint:
                return "Sorry, I cannot do that with the functions I have."
            first = body["tools"][0]["function"]["name"]
            return {"tool_calls": [{"id": "c1", "type": "function", "function": {"name": first, "arguments": "{}"}}]}
        calls = []
        output = _last_tool_json(messages)
        for i, line in enumerate(re.findall(r"^- call \d+\.\d+: (\w+)\((.*)\)$", hint, re.M)):
            name, arg_text = line
            args: dict[str, Any] = {}
            for key, value in re.findall(r'(\w+)=(<[^>]*>|"(?:[^"\\]|\\.)*"|[^,]+)', arg_text):
                if value.startswith("<the "):
                    field = value[5:].split(" returned by", 1)[0]
                    args[key] = _field(output, field)
                else:
                    args[key] = json.loads(value)
            raw = json.dumps(args)
            if name in broken:
                raw = raw[:-1]  # a truncated object: not valid JSON
            calls.append({"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": raw}})
        return {"tool_calls": calls}

    return respond
