"""A run written as tau2's results layout (``info``, ``tasks``, ``simulations``), so tau2 tools can read it
and ``eval import tau2-results`` can read it back (the demo run ships this way)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from fcstudio.evals import eval_store
from fcstudio.store import run


def _tau2_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for turn, m in enumerate(messages):
        if m["role"] == "tool":
            out.append(
                {
                    "role": "tool",
                    "id": m.get("tool_call_id"),
                    "content": m.get("content"),
                    "requestor": "assistant",
                    "error": str(m.get("content") or "").startswith("Error"),
                    "turn_idx": turn,
                }
            )
            continue
        msg: dict[str, Any] = {"role": m["role"], "content": m.get("content"), "turn_idx": turn}
        calls = []
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function") or {}
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except json.JSONDecodeError:
                args = fn.get("arguments")
            calls.append({"id": tc.get("id"), "name": fn.get("name"), "arguments": args, "requestor": "assistant"})
        if calls:
            msg["tool_calls"] = calls
        out.append(msg)
    return out


def to_tau2_results(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    meta = eval_store.get_run(con, run_id)
    if meta is None:
        raise KeyError(f"no run {run_id}")
    ids = [i for (i,) in run(con, "SELECT id FROM episodes WHERE run_id = ? ORDER BY task_id, trial", [run_id])]
    simulations: list[dict[str, Any]] = []
    tasks: dict[str, dict[str, Any]] = {}
    for eid in ids:
        ep = eval_store.get_episode(con, eid)
        assert ep is not None
        gold = ep.get("gold") or {}
        tasks.setdefault(
            ep["task_id"],
            {
                "id": ep["task_id"],
                "user_scenario": {"instructions": ep.get("instruction") or ""},
                "evaluation_criteria": {
                    "actions": [
                        {"action_id": f"{ep['task_id']}_{i}", "name": a["name"], "arguments": a.get("arguments") or {}}
                        for i, a in enumerate(gold.get("actions") or [])
                    ],
                    "communicate_info": gold.get("outputs") or [],
                    "reward_basis": list((ep.get("reward_info") or {}).get("basis") or ["DB", "COMMUNICATE"]),
                },
            },
        )
        info = ep.get("reward_info") or {}
        simulations.append(
            {
                "id": f"{run_id}-{ep['task_id']}-{ep['trial']}",
                "task_id": ep["task_id"],
                "trial": ep["trial"],
                "duration": ep.get("duration"),
                "termination_reason": ep["termination"],
                "agent_cost": ep.get("cost"),
                "user_cost": 0.0,
                "reward_info": {
                    "reward": ep.get("reward"),
                    "db_check": {
                        "db_match": bool((info.get("db") or {}).get("match")),
                        "db_reward": (info.get("breakdown") or {}).get("DB"),
                    },
                    "reward_basis": info.get("basis"),
                    "reward_breakdown": info.get("breakdown"),
                    "action_checks": info.get("actions"),
                    "communicate_checks": info.get("communicate"),
                    "info": {"notes": info.get("notes")},
                },
                "messages": _tau2_messages(ep["messages"]),
            }
        )
    return {
        "info": {
            "agent_info": {"implementation": "fcstudio", "llm": meta["model"]},
            "user_info": {"implementation": "fcstudio", "llm": meta.get("user_model")},
            "environment_info": {"domain_name": meta["domain"]},
            "num_trials": meta.get("trials"),
            "source": {"fcstudio_run": run_id, "benchmark": meta["benchmark"], "origin": meta.get("origin")},
        },
        "tasks": list(tasks.values()),
        "simulations": simulations,
    }
