"""Verification of a synthesised trajectory, in the spirit of APIGen's three stages, per turn and overall.

- format: every assistant call names a function offered at that point and its arguments validate;
- execution: no error result where none is expected; a miss-param turn asks instead of calling, a
  miss-func turn calls nothing; given the environment, every call it runs is run again, in order, on a fresh
  copy of the start state, and must give exactly the recorded result (a result that was edited, simulated
  or corrupted fails);
- coverage (back-translation): a user turn never names a function and says every value it gives;
- plan: the calls made are the path's calls with the values the user gave;
- replies: no assistant reply quotes a tool result that a re-execution changed (``stale.py``);
- semantic (optional): an LLM judge's verdict on whether the assistant did what was asked, with its reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fcstudio.envs.base import Environment
from fcstudio.llm import CheckedCall, LLMClient, check_tool_calls, parse_json_reply
from fcstudio.models import ToolSpec

CHECKS = ("format", "execution", "coverage", "plan")


def _scalars(value: Any) -> list[str]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _scalars(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, float) and value.is_integer():
        return [str(int(value))]
    return [str(value)]


def _said(value: Any, text: str) -> bool:
    low = text.lower()
    return all(s.lower() in low for s in _scalars(value))


def _names_function(name: str, text: str) -> bool:
    """Only distinctive names count (``get_weather``, ``getWeather``), not plain words like ``navigate``."""
    if "_" not in name and not re.search(r"[a-z][A-Z]", name):
        return False
    return re.search(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE) is not None


def _rerun(env: Environment, call: CheckedCall, recorded: str, spec: ToolSpec | None) -> str | None:
    """Run a call again; the problem when its result differs from the recorded one or is an error."""
    if not env.binds(call.name, spec.labels if spec is not None else ()):
        return None
    result = env.execute(call.name, call.arguments or {})
    if result.output != recorded:
        return (
            f"{call.name}: the recorded result is not what the call gives when run again "
            f"(recorded {recorded[:120]!r}, executed {result.output[:120]!r})"
        )
    if result.error and not recorded.startswith("Error"):
        return f"{call.name} returned an error: {recorded[:200]}"
    return None


def verify(
    messages: list[dict[str, Any]],
    tools: dict[str, ToolSpec],
    meta: dict[str, Any],
    env: Environment | None = None,
    stale: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The verdict: per-check pass/fail with problems, per-turn problems, and ``passed``.

    ``env``: the environment on the start state the trajectory ran on; its calls are run there again.
    ``stale``: replies that quote a tool result which changed (``stale.py``); any fails the ``replies`` check."""
    if env is not None:
        env.reset()
    plan = meta.get("plan") or []
    removed = {c["name"] for t in plan if t["kind"] == "miss_func" for c in t["calls"]}
    available = {n: s for n, s in tools.items() if n not in removed}
    call_ids = meta.get("call_ids") or {}
    turns = []
    user_text = ""
    for entry in plan:
        problems: dict[str, list[str]] = {c: [] for c in CHECKS}
        window = messages[entry["start"] : entry["end"]]
        results = {m.get("tool_call_id"): m.get("content") or "" for m in window if m.get("role") == "tool"}
        user = " ".join(m.get("content") or "" for m in window if m.get("role") == "user")
        user_text += " " + user
        made = []
        for m in window:
            if m.get("role") != "assistant" or not m.get("tool_calls"):
                continue
            for call in check_tool_calls(m["tool_calls"], available):
                made.append(call)
                if call.problem:
                    problems["format"].append(call.problem)
                output = results.get(call.id, "")
                if output.startswith("Error") and not call.problem:
                    problems["execution"].append(f"{call.name} returned an error: {output[:200]}")
                rerun = _rerun(env, call, output, tools.get(call.name)) if env and not call.problem else None
                if rerun is not None:
                    problems["execution"].append(rerun)
        if entry["kind"] == "miss_param":
            if made:
                problems["execution"].append(
                    f"called {', '.join(c.name for c in made)} instead of asking for "
                    + ", ".join(a for c in entry["calls"] for a in c["withheld"])
                )
            last: dict[str, Any] = next((m for m in reversed(window) if m.get("role") == "assistant"), {})
            if "?" not in (last.get("content") or ""):
                problems["execution"].append("the assistant did not ask for the missing value")
        elif entry["kind"] == "miss_func" and made:
            problems["execution"].append(f"called {', '.join(c.name for c in made)} although it is not offered")
        if entry["kind"] == "miss_func":
            available.update({c["name"]: tools[c["name"]] for c in entry["calls"] if c["name"] in tools})
        for name in tools:
            if _names_function(name, user):
                problems["coverage"].append(f"the user message names the function {name}")
        for c in entry["calls"]:
            for arg, src in c["sources"].items():
                if src.get("kind") == "user" and arg in c["args"] and not _said(c["args"][arg], user_text):
                    problems["coverage"].append(f"the user never says the {arg} ({json.dumps(c['args'][arg])})")
        if entry["kind"] == "normal":
            by_slot = {tuple(v): cid for cid, v in call_ids.items()}
            made_by_id = {c.id: c for c in made}
            for i, c in enumerate(entry["calls"]):
                actual = made_by_id.get(by_slot.get((entry["turn"], i), ""))
                if actual is None:
                    problems["plan"].append(f"planned call {c['name']} was not made")
                    continue
                for arg, src in c["sources"].items():
                    if src.get("kind") == "user" and arg in c["args"]:
                        got = (actual.arguments or {}).get(arg)
                        if got != c["args"][arg]:
                            problems["plan"].append(
                                f"{c['name']}: {arg} is {json.dumps(got)}, the user said {json.dumps(c['args'][arg])}"
                            )
            planned = len(entry["calls"])
            if len(made) > planned:
                problems["plan"].append(f"{len(made) - planned} call(s) beyond the plan")
        replies = [m["reason"] for m in stale or [] if entry["start"] <= m["message"] < entry["end"]]
        turns.append({"turn": entry["turn"], "kind": entry["kind"], **problems, "replies": replies})
    checks = {
        name: {"ok": not any(t[name] for t in turns), "problems": [p for t in turns for p in t[name]]}
        for name in CHECKS
    }
    checks["replies"] = {"ok": not stale, "problems": [m["reason"] for m in stale or []]}
    return {"checks": checks, "turns": turns, "semantic": None, "passed": all(c["ok"] for c in checks.values())}


async def judge_semantics(client: LLMClient, messages: list[dict[str, Any]], verdict: dict[str, Any]) -> dict[str, Any]:
    """Add an LLM judge's semantic verdict; an unusable reply is recorded, never fatal, and does not fail the data."""
    convo = [
        {k: m.get(k) for k in ("role", "content", "tool_calls") if m.get(k) is not None}
        for m in messages
        if m.get("role") != "system"
    ]
    prompt = (
        "You check synthetic function-calling conversations. Did the assistant do what the user asked, with "
        "arguments that fit the user's words and earlier results, and answer faithfully from the tool results? "
        'Reply with JSON only: {"ok": true|false, "reason": "..."}.\n'
        f"Conversation: {json.dumps(convo)[:12000]}"
    )
    reply = await client.chat([{"role": "user", "content": prompt}], purpose="semantic_check")
    try:
        parsed = parse_json_reply(reply.content) if not reply.error else None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("ok"), bool):
            raise ValueError("expected {'ok': bool, 'reason': str}")
        semantic = {"ok": parsed["ok"], "reason": str(parsed.get("reason", ""))}
    except ValueError as exc:
        semantic = {"ok": None, "reason": f"judge reply unusable: {reply.error or exc}"}
    out = {**verdict, "semantic": semantic}
    out["passed"] = verdict["passed"] and semantic["ok"] is not False
    return out
