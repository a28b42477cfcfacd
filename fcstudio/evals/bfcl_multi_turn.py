"""BFCL multi-turn categories against an OpenAI-compatible model in function-calling mode, scored by the checker.

Each entry is played as BFCL's FC inference plays it: the involved classes' function docs become tools (a
miss_func entry's held-back functions are offered from their turn on, with BFCL's "I have updated some more
functions" user message); per turn the model is asked again after each step of calls, the results going back
as tool messages, until it answers without calls, its calls cannot be decoded, or ``max_steps`` steps (BFCL's
20) force it to quit, which ends the entry. Calls run in a ``Session`` on the entry's state. The decoded
calls are then checked with ``checker.check_entry``; each entry is stored as an episode with its messages,
per-turn calls and results and, per turn and class, the expected and actual state field by field.
Accuracy per category goes to a ``bfcl-v3`` run (the multi-turn set of v3 and v4 is the same) whose score
names are those of MAGNET's published table, so the Leaderboard shows both in the same columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.envs.bfcl.checker import MultiTurnVerdict, check_entry
from fcstudio.envs.bfcl.classes import func_docs
from fcstudio.envs.bfcl.entries import load_entries
from fcstudio.envs.bfcl.session import Session
from fcstudio.envs.bfcl.state import compare_fields
from fcstudio.evals.bfcl_run import BfclRunSummary, Progress, openai_tool, run_and_score
from fcstudio.llm import LLMClient, LLMConfig

MAX_STEPS = 20  # BFCL's MAXIMUM_STEP_LIMIT: more steps than this in one turn force the model to quit
ADDITIONAL_FUNCTIONS_PROMPT = "I have updated some more functions you can choose from. What about now?"
BENCHMARK = "bfcl-v3"
METRICS = {
    "multi_turn_acc": "Multi-turn: overall",
    "multi_turn_base": "Multi-turn: base",
    "multi_turn_miss_func": "Multi-turn: miss func",
    "multi_turn_miss_param": "Multi-turn: miss param",
    "multi_turn_long_context": "Multi-turn: long context",
}


def tools_of(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BFCL function docs as OpenAI tools, named as BFCL names them (multi-turn names are valid tool names)."""
    mapper = TypeMapper("python")
    return [openai_tool(doc, mapper) for doc in docs]


def entry_docs(entry: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """(the docs offered from the start, the docs held back per turn index) as BFCL splits them."""
    docs = [d for name in entry["involved_classes"] for d in func_docs(name)]
    held: dict[str, list[dict[str, Any]]] = {}
    for turn, names in entry.get("missed_function", {}).items():
        for name in names:
            for i, doc in enumerate(docs):
                if doc["name"] == name:
                    held.setdefault(turn, []).append(docs.pop(i))
                    break
    return docs, held


def call_string(name: str, arguments: dict[str, Any]) -> str:
    """A tool call as BFCL's FC decoder writes it: ``name(k=repr(v),...)``."""
    return f"{name}({','.join(f'{k}={v!r}' for k, v in arguments.items())})"


def decode_calls(tool_calls: list[dict[str, Any]]) -> list[str]:
    """The model's tool calls as call strings; raises ValueError when one's arguments are not a JSON object."""
    out = []
    for tc in tool_calls:
        fn = tc.get("function") or {}
        raw = fn.get("arguments")
        args = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
        if not isinstance(args, dict):
            raise ValueError(f"arguments of {fn.get('name')} are not a JSON object")
        out.append(call_string(str(fn.get("name", "")), args))
    return out


async def play(client: LLMClient, entry: dict[str, Any], *, max_steps: int = MAX_STEPS) -> dict[str, Any]:
    """One entry against the model: ``{"messages", "decoded", "turns", "forced", "error"}``."""
    docs, held = entry_docs(entry)
    tools = tools_of(docs)
    session = Session.for_entry(entry)
    messages: list[dict[str, Any]] = []
    decoded: list[list[list[str]]] = []
    turns: list[dict[str, Any]] = []
    forced, error = False, None
    for turn, turn_messages in enumerate(entry["question"]):
        current = [{"role": m["role"], "content": m["content"]} for m in turn_messages]
        if str(turn) in held:
            tools = tools + tools_of(held[str(turn)])
            current = [{"role": "user", "content": ADDITIONAL_FUNCTIONS_PROMPT}]
        messages.extend(current)
        steps: list[list[str]] = []
        record: dict[str, Any] = {"turn": turn, "start": len(messages) - len(current), "steps": []}
        for _ in range(max_steps + 1):
            reply = await client.chat(messages, tools=tools, purpose="bfcl-multi-turn", cache_salt=entry["id"])
            if reply.error:
                error = reply.error
                break
            messages.append(reply.message())
            if not reply.tool_calls:
                break
            try:
                calls = decode_calls(reply.tool_calls)
            except (ValueError, json.JSONDecodeError) as exc:
                record["decode_error"] = str(exc)
                break
            results = session.execute(calls)
            for tc, result in zip(reply.tool_calls, results, strict=True):
                messages.append({"role": "tool", "tool_call_id": tc.get("id", ""), "content": result})
            steps.append(calls)
            record["steps"].append({"calls": calls, "results": results})
            if len(steps) > max_steps:
                forced = True
                break
        record["end"] = len(messages)
        decoded.append(steps)
        turns.append(record)
        if forced or error:
            break
    return {"messages": messages, "decoded": decoded, "turns": turns, "forced": forced, "error": error}


def review_of(entry: dict[str, Any], verdict: MultiTurnVerdict) -> list[dict[str, Any]]:
    """Per checked turn: the model's and the ground truth's results, and per class each field, compared."""
    out = []
    for record in verdict.turns:
        out.append(
            {
                "turn": record["turn"],
                "model_results": record["model_results"],
                "ground_truth_results": record["ground_truth_results"],
                "ground_truth_calls": entry["ground_truth"][record["turn"]],
                "state": {
                    name: compare_fields(record["ground_truth_state"][name], record["model_state"].get(name, {}))
                    for name in record["ground_truth_state"]
                },
            }
        )
    return out


def score(entry: dict[str, Any], played: dict[str, Any]) -> dict[str, Any]:
    """The stored episode of one played entry."""
    verdict = check_entry(played["decoded"], entry["ground_truth"], entry, keep_states=True)
    termination = "agent_error" if played["error"] else "max_steps" if played["forced"] else "agent_stop"
    return {
        "task_id": entry["id"],
        "trial": 0,
        "category": entry["category"],
        "reward": 1.0 if verdict.valid else 0.0,
        "reward_info": {
            "valid": verdict.valid,
            "error": verdict.error_type,
            "error_message": verdict.error_message,
            "failed_turn": verdict.turn,
            "details": verdict.plain_details(),
            "model_output": played["decoded"],
            "turns": played["turns"],
            "review": review_of(entry, verdict),
            "reply_error": played["error"],
        },
        "termination": termination,
        "messages": played["messages"],
        "gold": {"ground_truth": entry["ground_truth"], "involved_classes": entry["involved_classes"]},
        "instruction": " / ".join(m["content"] for t in entry["question"][:1] for m in t),
    }


def multi_turn_review(episode: dict[str, Any]) -> dict[str, Any] | None:
    """A stored multi-turn episode's check, for the CLI (the Episodes page shows the same): its verdict, the turn
    it failed at and, per checked turn and class, the fields that differ. None for any other episode."""
    info = episode.get("reward_info") or {}
    if "review" not in info or "ground_truth" not in (episode.get("gold") or {}):
        return None
    return {
        "episode": episode["id"],
        "task_id": episode["task_id"],
        "valid": info.get("valid"),
        "error": info.get("error"),
        "error_message": info.get("error_message"),
        "failed_turn": info.get("failed_turn"),
        "turns": [
            {
                "turn": t["turn"],
                "ground_truth_calls": t["ground_truth_calls"],
                "model_calls": [c for s in (info.get("turns") or [])[t["turn"]]["steps"] for c in s["calls"]]
                if t["turn"] < len(info.get("turns") or [])
                else [],
                "differing": {
                    cls: [{k: r[k] for k in ("field", "expected", "actual")} for r in rows if not r["equal"]]
                    for cls, rows in t["state"].items()
                },
            }
            for t in info["review"]
        ],
    }


def run_multi_turn(
    con: duckdb.DuckDBPyConnection,
    data_dir: str | Path,
    config: LLMConfig,
    *,
    categories: list[str] | None = None,
    limit: int | None = None,
    ids: set[str] | None = None,
    max_steps: int = MAX_STEPS,
    progress: Progress | None = None,
) -> BfclRunSummary:
    """Play every entry, check it and store the run. An entry that cannot be read or played is a failed item of
    the job, left out of the accuracy; the others go on."""
    bad: list[tuple[str, str]] = []
    entries = load_entries(data_dir, categories, ids=ids, limit=limit, bad=bad)
    params = {"data": str(data_dir), "categories": categories, "limit": limit, "max_steps": max_steps}

    async def entry_result(client: LLMClient, entry: dict[str, Any]) -> dict[str, Any]:
        return score(entry, await play(client, entry, max_steps=max_steps))

    return run_and_score(
        con,
        config,
        entries,
        bad,
        entry_result,
        kind="bfcl-multi-turn",
        benchmark=BENCHMARK,
        origin=str(data_dir),
        params=params,
        run_config={**params, "llm": config.model_dump(mode="json"), "metrics": METRICS},
        overall="multi_turn_acc",
        what="entries",
        progress=progress,
    )
