"""BFCL single-turn categories against an OpenAI-compatible model, scored with ``bfcl.check`` into a run.

Function docs become OpenAI tools (BFCL's loose types mapped to JSON Schema; Java and JavaScript
parameters as source-text strings, as BFCL's FC mode asks). Dots in names are not allowed by the
OpenAI tool-name pattern, so they become underscores on the way out and are mapped back before checking.
Each case is stored as an episode (reward 1 or 0, the checker's error in ``reward_info``); the run's
scores are the accuracy per category and their unweighted mean.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from fcstudio.catalog.formats.types import TypeMapper
from fcstudio.evals import bfcl, eval_store
from fcstudio.evals.bfcl_data import load_cases
from fcstudio.jobs import close_job, record_failure, run_job, start_job
from fcstudio.llm import LLMClient, LLMConfig, parse_arguments
from fcstudio.store import transaction

Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)
SYSTEM = (
    "You are an expert in composing functions. Call the functions needed to answer the request; if none fits, say so."
)


@dataclass
class BfclRunSummary:
    run_id: int
    job_id: int = 0
    status: str = "running"
    cases: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # case id -> error, also in job_failures
    accuracy: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def safe_name(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64]


def openai_tool(doc: dict[str, Any], mapper: TypeMapper, name: str | None = None) -> dict[str, Any]:
    """One BFCL function doc as an OpenAI tool (its loose types mapped to JSON Schema), named ``name`` if given."""
    params = mapper.schema(doc.get("parameters") or {"type": "dict", "properties": {}}, doc["name"], top=True)
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    return {
        "type": "function",
        "function": {"name": name or doc["name"], "description": str(doc.get("description", "")), "parameters": params},
    }


def tools_for(case: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """(OpenAI tools, safe name → BFCL name) for a case's function docs."""
    mapper = TypeMapper(case["language"])
    tools, names = [], {}
    for doc in case["functions"]:
        name = safe_name(doc["name"])
        names[name] = doc["name"]
        tools.append(openai_tool(doc, mapper, name))
    return tools, names


def decode(tool_calls: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]] | None:
    """The model's calls as BFCL's decoded output ``[{name: {arg: value}}]``; None when one cannot be read."""
    out = []
    for tc in tool_calls:
        fn = tc.get("function") or {}
        args, problem = parse_arguments(fn.get("arguments"), fn.get("name", ""))
        if problem or args is None:
            return None
        out.append({names.get(fn.get("name", ""), fn.get("name", "")): args})
    return out


def _messages(case: dict[str, Any]) -> list[dict[str, Any]]:
    turns = case.get("question") or []
    first = turns[0] if turns and isinstance(turns[0], list) else turns
    return [{"role": "system", "content": SYSTEM}, *[{"role": m["role"], "content": m["content"]} for m in first]]


def run_bfcl(
    con: duckdb.DuckDBPyConnection,
    data_dir: str | Path,
    config: LLMConfig,
    *,
    categories: list[str] | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> BfclRunSummary:
    """Ask the model every case and store the run. A case that cannot be read, turned into tools or checked is
    recorded as a failed item of the job and left out of the accuracy; the others go on."""
    bad: list[tuple[str, str]] = []
    cases = load_cases(data_dir, categories, limit, bad=bad)

    async def case_result(client: LLMClient, case: dict[str, Any]) -> dict[str, Any]:
        tools, names = tools_for(case)
        messages = _messages(case)
        reply = await client.chat(messages, tools=tools, purpose="bfcl")
        output: Any = None if reply.error else decode(reply.tool_calls, names) if reply.tool_calls else []
        verdict = bfcl.check(case["functions"], case["possible_answer"], output, case["category"], case["language"])
        return {
            "task_id": case["id"],
            "trial": 0,
            "category": case["category"],
            "reward": 1.0 if verdict.valid else 0.0,
            "reward_info": {
                "valid": verdict.valid,
                "error": verdict.error,
                "detail": verdict.detail,
                "model_output": output,
                "reply_error": reply.error,
            },
            "termination": "agent_error" if reply.error else "agent_stop",
            "messages": [*messages, reply.message()],
            "gold": {"possible_answer": case["possible_answer"]},
            "tokens_in": reply.prompt_tokens,
            "tokens_out": reply.completion_tokens,
        }

    params = {"data": str(data_dir), "categories": categories, "limit": limit}
    return run_and_score(
        con,
        config,
        cases,
        bad,
        case_result,
        kind="bfcl",
        benchmark="bfcl-v4",
        origin=str(data_dir),
        params=params,
        run_config={"categories": categories, "limit": limit, "llm": config.model_dump(mode="json")},
        overall="overall_acc",
        what="cases",
        progress=progress,
    )


def run_and_score(
    con: duckdb.DuckDBPyConnection,
    config: LLMConfig,
    items: list[dict[str, Any]],
    bad: list[tuple[str, str]],
    result_of: Callable[[LLMClient, dict[str, Any]], Awaitable[dict[str, Any]]],
    *,
    kind: str,
    benchmark: str,
    origin: str,
    params: dict[str, Any],
    run_config: dict[str, Any],
    overall: str,
    what: str,
    progress: Progress | None = None,
) -> BfclRunSummary:
    """What a BFCL run does around its items (single-turn cases, multi-turn entries): a job and a run, every item's
    episode from ``result_of`` (concurrently; one that raises is a failed item of the job, the others go on),
    stored together, then accuracy per category (in the items' order) and ``overall``, their unweighted mean."""
    job_id = start_job(con, kind, "openai", config.model, params, total=len(items) + len(bad))
    run_id = eval_store.create_run(
        con,
        benchmark=benchmark,
        model=config.model,
        source="run",
        origin=origin,
        config=run_config,
        status="running",
        trials=1,
        job_id=job_id,
    )
    summary = BfclRunSummary(run_id=run_id, job_id=job_id)
    for item, why in bad:
        summary.failed[item] = record_failure(con, job_id, item, why)
    client = LLMClient(config, con, job_id)
    results: list[dict[str, Any]] = []
    failures: list[tuple[str, BaseException]] = []
    started = time.perf_counter()

    async def one(item: dict[str, Any]) -> None:
        try:
            results.append(await result_of(client, item))
        except Exception as exc:  # one item that breaks never stops the run
            failures.append((str(item["id"]), exc))
        if progress:
            done = len(results) + len(failures)
            progress(done / max(len(items), 1), f"{done} of {len(items)} {what}")

    async def main() -> None:
        try:
            await asyncio.gather(*(one(i) for i in items))
        finally:
            await client.aclose()

    def finish(crashed: BaseException | None) -> None:
        stored = _store_results(con, run_id, job_id, results, failures)
        summary.cases = len(stored)
        with transaction(con):
            for item, exc in failures:
                summary.failed[item] = record_failure(con, job_id, item, exc)
            by_cat: dict[str, list[float]] = {str(i["category"]): [] for i in items}
            for r in stored:
                by_cat.setdefault(r["category"], []).append(r["reward"])
            for cat, values in by_cat.items():
                if values:
                    summary.accuracy[cat] = sum(values) / len(values)
                    eval_store.set_score(con, run_id, cat, summary.accuracy[cat])
            if summary.accuracy:
                summary.accuracy[overall] = sum(summary.accuracy.values()) / len(summary.accuracy)
                eval_store.set_score(con, run_id, overall, summary.accuracy[overall])
            finished = len(results) + len(failures) == len(items)
            summary.status, summary.usage = close_job(
                con, job_id, client, items=len(stored), finished=finished, crashed=crashed
            )
            eval_store.set_status(con, run_id, summary.status)

    run_job(lambda: asyncio.run(main()), finish)
    summary.seconds = time.perf_counter() - started
    return summary


def _store_results(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    job_id: int,
    results: list[dict[str, Any]],
    failures: list[tuple[str, BaseException]],
) -> list[dict[str, Any]]:
    """Store every case's episode in one transaction; if one cannot be stored, each alone, the bad ones failing."""
    try:
        with transaction(con):
            for r in results:
                eval_store.add_episode(con, run_id, r)
        return results
    except Exception:
        pass
    stored = []
    for r in results:
        try:
            with transaction(con):
                eval_store.add_episode(con, run_id, r)
            stored.append(r)
        except Exception as exc:
            failures.append((str(r["task_id"]), exc))
    return stored


def check_file_lines(cases: list[Any]) -> list[dict[str, Any]]:
    """``bfcl check``: one ``{"id", "valid", "error"}`` per case, in order."""
    out = []
    for c in cases:
        v = bfcl.check(c.functions, c.possible_answer, c.model_output, c.category, c.language)
        out.append({"id": c.id, "valid": v.valid, "error": v.error, "_detail": v.detail})
    return out


def to_jsonl(lines: list[dict[str, Any]], detail: bool) -> str:
    return "".join(
        json.dumps({k: v for k, v in line.items() if k != "_detail"} | ({"detail": line["_detail"]} if detail else {}))
        + "\n"
        for line in lines
    )
