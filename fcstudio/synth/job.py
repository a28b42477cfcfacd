"""Synthesis jobs: paths → verified trajectories in the workspace, resumable, with a progress callback.

Each finished trajectory is committed on its own (with the job's usage and the LLM call log so far), so an
interrupted job loses only the trajectories in flight; running again picks up the paths that still have
none, and the LLM cache answers every request that was already paid for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from fcstudio.envs.base import Environment, to_output
from fcstudio.envs.registry import DOMAINS, open_env
from fcstudio.jobs import close_job, record_failure, run_job, save_job_progress, start_job
from fcstudio.llm import LLMClient, LLMConfig, parse_arguments, run_async
from fcstudio.models import ToolSpec
from fcstudio.paths.fsp import FSP
from fcstudio.paths.store import get_path
from fcstudio.store import run, transaction
from fcstudio.synth.execution import synthesize
from fcstudio.synth.plan import SynthError
from fcstudio.synth.trajectories import store_synthesised, tool_specs
from fcstudio.synth.translation import LLMTranslator, TemplateTranslator, Translator
from fcstudio.synth.values import ValueBank, bank_from_workspace, simulate_output
from fcstudio.synth.verify import judge_semantics, verify

Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)
BACKENDS = ("template", "openai")


@dataclass
class SynthSummary:
    job_id: int
    requested: int
    created: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # paths that already had a trajectory
    failed: dict[int, str] = field(default_factory=dict)  # path id -> error, also in job_failures
    duplicates: int = 0  # another job stored the path's trajectory meanwhile
    verified: int = 0
    status: str = "running"
    usage: dict[str, Any] = field(default_factory=dict)


class EnvPool:
    """Per-job resources: fresh environments per trajectory (each database read once) and value banks."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._loaded: dict[str, Environment] = {}
        self._banks: dict[str | None, ValueBank] = {}

    def available(self) -> list[str]:
        return [n for n, d in DOMAINS.items() if d.default_file("db.json").is_file()]

    def make(self, name: str) -> Environment:
        if name not in self._loaded:
            self._loaded[name] = open_env(name)
        loaded = self._loaded[name]
        return type(loaded)(loaded.initial, policy=loaded.policy)

    def bank(self, name: str | None) -> ValueBank:
        """The workspace's observed values plus this domain's database, built once per job."""
        if name not in self._banks:
            self._banks[name] = bank_from_workspace(self.con, self.make(name).initial if name else None)
        return self._banks[name]

    def choose(self, names: list[str], choice: str) -> str | None:
        """``auto``: the available domain implementing most of the path's functions (none if it implements none)."""
        if choice == "none":
            return None
        if choice != "auto":
            if choice not in DOMAINS:
                raise ValueError(f"unknown environment {choice!r}; known: auto, none, {', '.join(DOMAINS)}")
            return choice
        best, hits = None, 0
        for name in self.available():
            n = sum(1 for x in names if DOMAINS[name].env.tool_kind(x) is not None)
            if n > hits:
                best, hits = name, n
        return best


def pending_paths(con: duckdb.DuckDBPyConnection, ids: list[int] | None = None) -> tuple[list[int], list[int]]:
    """(paths to do, paths skipped because they already have a trajectory)."""
    done = {r[0] for r in run(con, "SELECT DISTINCT path_id FROM trajectories WHERE path_id IS NOT NULL")}
    if ids is None:
        ids = [r[0] for r in run(con, "SELECT id FROM fsp_paths ORDER BY id")]
    else:
        known = {r[0] for r in run(con, "SELECT id FROM fsp_paths")}
        missing = [i for i in ids if i not in known]
        if missing:
            raise KeyError(f"no path(s) {', '.join(map(str, missing))} in the workspace")
    return [i for i in ids if i not in done], [i for i in ids if i in done]


def run_synth(
    con: duckdb.DuckDBPyConnection,
    *,
    path_ids: list[int] | None = None,
    backend: str = "template",
    llm: LLMConfig | None = None,
    env: str = "auto",
    judge: bool = False,
    progress: Progress | None = None,
) -> SynthSummary:
    """Synthesise a trajectory for every path without one. A path that fails is recorded (``job_failures``) and
    the others go on; the job ends ``done`` only when none failed."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}")
    if (backend == "openai" or judge) and llm is None:
        raise ValueError("the openai backend and the semantic judge need a model: pass --model (and --base-url)")
    todo, skipped = pending_paths(con, path_ids)
    params = {"paths": todo, "env": env, "judge": judge, "base_url": llm.base_url if llm else None}
    job_id = start_job(con, "synth", backend, llm.model if llm else None, params, total=len(todo))
    summary = SynthSummary(job_id=job_id, requested=len(todo) + len(skipped), skipped=skipped)
    client = LLMClient(llm, con, job_id) if llm is not None else None

    def end(crashed: BaseException | None) -> None:
        with transaction(con):
            finished = len(summary.created) + len(summary.failed) + summary.duplicates == len(todo)
            summary.status, summary.usage = close_job(
                con, job_id, client, items=len(summary.created), finished=finished, crashed=crashed
            )

    run_job(lambda: run_async(_run(con, todo, backend, client, env, judge, summary, progress), client), end)
    return summary


def _fail(con: duckdb.DuckDBPyConnection, summary: SynthSummary, pid: int, error: BaseException | str) -> None:
    with transaction(con):
        summary.failed[pid] = record_failure(con, summary.job_id, f"path {pid}", error)


async def _run(
    con: duckdb.DuckDBPyConnection,
    todo: list[int],
    backend: str,
    client: LLMClient | None,
    env_choice: str,
    judge: bool,
    summary: SynthSummary,
    progress: Progress | None,
) -> None:
    pool = EnvPool(con)
    translator: Translator = LLMTranslator(client) if backend == "openai" and client else TemplateTranslator()
    limit = asyncio.Semaphore(client.config.concurrency if client else 1)
    paths: dict[int, FSP] = {}
    for pid in todo:  # a path whose stored JSON no longer reads fails alone
        try:
            found = get_path(con, pid)
            if found is None:
                raise SynthError(f"path {pid} was removed")
            paths[pid] = found["fsp"]
        except Exception as exc:
            _fail(con, summary, pid, exc)
    needed = {c.tool_id for fsp in paths.values() for _, _, c in fsp.calls()}
    invalid: dict[str, str] = {}
    tools = tool_specs(
        con, sorted(needed | {t for fsp in paths.values() for t in fsp.distractor_tools}), invalid=invalid
    )

    async def one(pid: int) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None, BaseException | None]:
        try:
            fsp = paths[pid]
            for _, _, call in fsp.calls():
                if call.tool_id not in tools:
                    raise SynthError(
                        invalid.get(call.tool_id)
                        or f"the path calls {call.name} ({call.tool_id}), which is not in the catalogue"
                    )
            domain = pool.choose([c.name for _, _, c in fsp.calls()], env_choice)
            environment = pool.make(domain) if domain else None
            async with limit:
                result = await synthesize(
                    fsp,
                    tools,
                    translator,
                    env=environment,
                    bank=pool.bank(domain),
                    seed=pid,
                    simulator=client if backend == "openai" else None,
                )
                named = {tools[t].name: tools[t] for t in result["tool_ids"] if t in tools}
                verdict = verify(result["messages"], named, result["meta"])
                if judge and client is not None:
                    verdict = await judge_semantics(client, result["messages"], verdict)
        except Exception as exc:  # one bad path never stops the job: it is recorded and the rest go on
            return pid, None, None, exc
        return pid, result, verdict, None

    tasks = [asyncio.create_task(one(pid)) for pid in todo if pid in paths]
    done = len(summary.failed)
    for finished in asyncio.as_completed(tasks):
        pid, result, verdict, error = await finished
        done += 1
        if error is None and result is not None and verdict is not None:
            try:
                with transaction(con):
                    tid = store_synthesised(con, path_id=pid, job_id=summary.job_id, result=result, verdict=verdict)
                    save_job_progress(con, summary.job_id, client, items=len(summary.created) + (tid is not None))
            except Exception as exc:
                error = exc
            else:
                if tid is None:
                    summary.duplicates += 1
                else:
                    summary.created.append(tid)
                    summary.verified += int(verdict["passed"])
        if error is not None:
            _fail(con, summary, pid, error)
        if progress:
            state = "failed" if error is not None else "stored"
            progress(done / len(todo), f"path {pid}: {state} ({done} of {len(todo)}, {len(summary.failed)} failed)")


# -- re-execution after an edit ------------------------------------------------------------------------


def reexecute(
    con: duckdb.DuckDBPyConnection,
    messages: list[dict[str, Any]],
    from_index: int,
    domain: str | None,
    tools: dict[str, ToolSpec],
) -> list[dict[str, Any]]:
    """Recompute every tool result at or after ``from_index``: earlier calls rebuild the state, later ones run again.

    ``tools`` are the trajectory's functions by name; those the environment lacks get the offline simulated
    response, as in synthesis.
    """
    pool = EnvPool(con)
    known = domain if domain and domain in pool.available() else None
    environment = pool.make(known) if known else None
    out = [dict(m) for m in messages]
    for i, name, args, problem in tool_results(out):
        if problem is not None:
            output = f"Error: {problem}"
        elif environment is not None and environment.tool_kind(name) is not None:
            output = environment.execute(name, args).output  # runs before and after: the state must be rebuilt
        elif name in tools:
            output = to_output(simulate_output(name, args, tools[name].returns, pool.bank(known)))
        else:
            output = f"Error: Tool '{name}' not found."
        if i >= from_index:
            out[i] = {**out[i], "content": output}
    return out


def tool_results(messages: list[dict[str, Any]]) -> Iterator[tuple[int, str, dict[str, Any], str | None]]:
    """(index of the tool message, function name, arguments, problem) for every answered call, in order."""
    pending: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    for i, m in enumerate(messages):
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function") or {}
            args, problem = parse_arguments(fn.get("arguments"), fn.get("name", ""))
            pending[tc["id"]] = (fn.get("name", ""), args or {}, problem)
        if m.get("role") == "tool" and m.get("tool_call_id") in pending:
            yield (i, *pending.pop(m["tool_call_id"]))
