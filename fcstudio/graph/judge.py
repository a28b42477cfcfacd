"""The optional LLM judge of the tool graph (MAGNET, ToolFlow): keep or drop candidate edges, with a reason.

A job over edges: each verdict is stored on its edge (``judge`` = keep | drop | invalid, ``judge_reason``) as
soon as it arrives, so an interrupted job loses nothing and a rerun asks only the edges still unjudged. Dropped
edges stay in the table (the decision is reviewable) and leave the walks. Calls go through ``LLMClient``
(concurrency, retries, the workspace cache and call log). An edge whose call fails is recorded as a failed item
and left unjudged, so the next run asks again; a reply that is not the JSON asked for is stored as ``invalid``
and recorded as a failed item too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from fcstudio.jobs import close_job, record_failure, run_job, start_job
from fcstudio.llm import LLMClient, LLMConfig, run_async
from fcstudio.store import rows, run, transaction

Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)

JUDGE_PROMPT = """You check edges of a tool graph used to synthesise multi-step tool-use dialogues.
Tool A: {src_name}: {src_desc}
Tool B: {dst_name}: {dst_desc}
Proposed link ({kind}): {evidence}
Would a realistic user task call A and B together, with this link making sense? Answer only JSON:
{{"keep": true or false, "reason": "<one sentence>"}}"""


@dataclass
class JudgeSummary:
    job_id: int
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"keep": 0, "drop": 0, "invalid": 0})
    failed: dict[str, str] = field(default_factory=dict)  # edge -> why, also in job_failures
    status: str = "running"
    usage: dict[str, Any] = field(default_factory=dict)


def unjudged_edges(
    con: duckdb.DuckDBPyConnection, kinds: tuple[str, ...], limit: int | None = None
) -> list[dict[str, Any]]:
    """Edges of ``kinds`` without a verdict, strongest first, with both tools' names and descriptions."""
    marks = ", ".join("?" for _ in kinds)
    sql = f"""SELECT e.rowid AS rid, e.kind, e.evidence, s.name AS src_name, t1.description AS src_desc,
                     d.name AS dst_name, t2.description AS dst_desc
              FROM graph_edges e JOIN graph_nodes s ON s.tool_id = e.src JOIN graph_nodes d ON d.tool_id = e.dst
              JOIN tools t1 ON t1.id = e.src JOIN tools t2 ON t2.id = e.dst
              WHERE e.judge IS NULL AND e.kind IN ({marks}) ORDER BY e.score DESC, e.src, e.dst"""
    params: list[Any] = list(kinds)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return rows(con, sql, params)


def judge_prompt(edge: dict[str, Any]) -> str:
    evidence = "; ".join(
        f"{ev.get('from', ev.get('label', ''))} -> {ev.get('to', '')} ({ev.get('score')})"
        for ev in json.loads(edge["evidence"])
    )
    return JUDGE_PROMPT.format(
        evidence=evidence, **{k: edge[k] for k in ("src_name", "src_desc", "dst_name", "dst_desc", "kind")}
    )


def parse_verdict(reply: str | None) -> tuple[str, str]:
    """(keep | drop, reason) from the judge's reply; ValueError when it is not the JSON asked for."""
    text = reply or ""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"unusable judge reply (no complete JSON object; cut short?): {text[:200]!r}")
    try:
        verdict = json.loads(text[start : end + 1])
        keep = verdict["keep"]
    except json.JSONDecodeError as exc:
        raise ValueError(f"unusable judge reply (not JSON: {exc.msg}): {text[:200]!r}") from None
    except (KeyError, TypeError):
        raise ValueError(f"unusable judge reply (no 'keep' field): {text[:200]!r}") from None
    if not isinstance(keep, bool):
        raise ValueError(f"unusable judge reply ('keep' is not true or false): {text[:200]!r}")
    return ("keep" if keep else "drop"), str(verdict.get("reason", ""))[:500]


def judge_edges(
    con: duckdb.DuckDBPyConnection,
    llm: LLMConfig,
    *,
    kinds: tuple[str, ...] = ("dependency",),
    limit: int | None = None,
    progress: Progress | None = None,
) -> JudgeSummary:
    """Ask the model to keep or drop every unjudged edge of ``kinds`` (at most ``limit``, strongest first)."""
    if not kinds:
        raise ValueError("no edge kind to judge")
    todo = unjudged_edges(con, kinds, limit)
    job_id = start_job(con, "graph_judge", "openai", llm.model, {"kinds": list(kinds), "limit": limit}, total=len(todo))
    summary = JudgeSummary(job_id=job_id, total=len(todo))
    client = LLMClient(llm, con, job_id)
    reached = 0

    async def ask(edge: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        try:
            return edge, await client.chat([{"role": "user", "content": judge_prompt(edge)}], purpose="graph_judge")
        except Exception as exc:  # a prompt that cannot even be built (broken evidence JSON) fails alone
            return edge, exc

    async def main() -> None:
        nonlocal reached
        for finished in asyncio.as_completed([asyncio.create_task(ask(e)) for e in todo]):
            edge, reply = await finished
            reached += 1
            item = f"edge {edge['src_name']} -> {edge['dst_name']} ({edge['kind']})"
            with transaction(con):
                if isinstance(reply, Exception):
                    summary.failed[item] = record_failure(con, job_id, item, reply)
                elif reply.error:
                    summary.failed[item] = record_failure(con, job_id, item, f"judge call failed: {reply.error}")
                else:
                    try:
                        decision, reason = parse_verdict(reply.content)
                    except ValueError as exc:
                        decision, reason = "invalid", str(exc)
                        summary.failed[item] = record_failure(con, job_id, item, reason)
                    run(
                        con,
                        "UPDATE graph_edges SET judge = ?, judge_reason = ? WHERE rowid = ?",
                        [decision, reason, edge["rid"]],
                    )
                    summary.counts[decision] += 1
                client.flush(con)
            if progress:
                progress(reached / len(todo), f"judged {reached} of {len(todo)} ({len(summary.failed)} failed)")

    def end(crashed: BaseException | None) -> None:
        with transaction(con):
            summary.status, summary.usage = close_job(
                con, job_id, client, items=reached, finished=reached == len(todo), crashed=crashed
            )

    run_job(lambda: run_async(main(), client), end)
    return summary
