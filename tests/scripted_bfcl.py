"""A scripted model for BFCL multi-turn entries, served by the local OpenAI-protocol test server.

Per turn it answers with the ground truth's calls as tool calls in one step, then (once the results are back)
with a text. Entries in ``fail`` answer their turn 1 with a text and no call, so the checker fails them there;
entries in ``drop_last`` leave out turn 0's last call, so their state differs from the ground truth's there.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import Any

from fcstudio.envs.bfcl.classes import func_docs


def tool_call(call: str, i: int, classes: list[str]) -> dict[str, Any]:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    order = next(list(d["parameters"]["properties"]) for c in classes for d in func_docs(c) if d["name"] == name)
    args = {order[k]: ast.literal_eval(a) for k, a in enumerate(node.args)}
    args |= {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def script(
    entries: list[dict[str, Any]], fail: frozenset[str] = frozenset(), drop_last: frozenset[str] = frozenset()
) -> Callable[[dict[str, Any]], Any]:
    firsts = {e["question"][0][0]["content"]: e for e in entries}
    assert len(firsts) == len(entries), "the script tells entries apart by their first user message"

    def respond(body: dict[str, Any]) -> Any:
        msgs = body["messages"]
        first_user = next(m["content"] for m in msgs if m["role"] == "user")
        entry = firsts[first_user]
        turn = sum(1 for m in msgs if m["role"] == "user") - 1
        if msgs[-1]["role"] == "tool":
            return "Done."
        if entry["id"] in fail and turn == 1:
            return "I will not do that."
        calls = entry["ground_truth"][turn]
        if entry["id"] in drop_last and turn == 0:
            calls = calls[:-1]  # the turn's last call left out: the state differs from the ground truth's
        if not calls:
            return "None of the functions I have can do that."
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call(c, i, entry["involved_classes"]) for i, c in enumerate(calls)],
        }

    return respond
