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
from fcstudio.envs.bfcl.environment import is_bfcl, open_bfcl
from fcstudio.envs.registry import DOMAINS, get_domain, open_env, runnable
from fcstudio.jobs import close_job, record_failure, run_job, save_job_progress, start_job
from fcstudio.llm import LLMClient, LLMConfig, parse_arguments, run_async
from fcstudio.models import BfclStart, ToolSpec
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
    """Per-job resources: fresh environments per trajectory (each database read once) and value banks.

    ``bfcl_start`` is the start state of the BFCL domains (a BFCL entry's or a file's) instead of their
    shipped defaults."""

    def __init__(self, con: duckdb.DuckDBPyConnection, bfcl_start: BfclStart | None = None) -> None:
        self.con = con
        self.bfcl_start = bfcl_start
        self._loaded: dict[str, Environment] = {}
        self._banks: dict[str | None, ValueBank] = {}

    def available(self) -> list[str]:
        return [n for n in DOMAINS if runnable(n)]

    def runs(self, name: str | None) -> bool:
        """A domain this machine can execute (a listed one, or a BFCL combination such as ``bfcl:A+B``)."""
        return bool(name) and runnable(str(name))

    def make(self, name: str, start: dict[str, Any] | None = None) -> Environment:
        """A fresh environment: on the start state a trajectory recorded (``meta["env_start"]``), if any."""
        if start is not None:
            return get_domain(name).env.from_start(start)
        if name not in self._loaded:
            if is_bfcl(name) and self.bfcl_start is not None:
                self._loaded[name] = open_bfcl(name, start=self.bfcl_start)
            else:
                self._loaded[name] = open_env(name)
        return self._loaded[name].fresh()

    def bank(self, name: str | None) -> ValueBank:
        """The workspace's observed values plus this domain's database (and its real calls), built once per job."""
        if name not in self._banks:
            env = self.make(name) if name else None
            bank = bank_from_workspace(self.con, env.value_state() if env is not None else None)
            for tool, arguments in env.value_calls() if env is not None else []:
                bank.add_call(tool, arguments)
            self._banks[name] = bank
        return self._banks[name]

    def choose(self, tools: list[ToolSpec], choice: str) -> str | None:
        """``auto``: the available domain running most of the path's tools (none if it runs none); a tool runs in a
        domain that ``binds`` it (tau2 and travel by name, BFCL by name and class label)."""
        if choice == "none":
            return None
        if choice != "auto":
            try:
                get_domain(choice)
            except KeyError:
                raise ValueError(f"unknown environment {choice!r}; known: auto, none, {', '.join(DOMAINS)}") from None
            return choice
        best, hits = None, 0
        for name in self.available():
            n = sum(1 for t in tools if DOMAINS[name].env.binds(t.name, t.labels))
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
    bfcl_start: BfclStart | None = None,
) -> SynthSummary:
    """Synthesise a trajectory for every path without one. A path that fails is recorded (``job_failures``) and
    the others go on; the job ends ``done`` only when none failed. ``bfcl_start``: the BFCL domains' start state.
    Every trajectory is verified, its calls re-executed on a fresh copy of the start state it ran on."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}")
    if (backend == "openai" or judge) and llm is None:
        raise ValueError("the openai backend and the semantic judge need a model: pass --model (and --base-url)")
    todo, skipped = pending_paths(con, path_ids)
    params: dict[str, Any] = {"paths": todo, "env": env, "judge": judge, "base_url": llm.base_url if llm else None}
    if bfcl_start is not None:
        params["bfcl_start"] = bfcl_start.source
    job_id = start_job(con, "synth", backend, llm.model if llm else None, params, total=len(todo))
    summary = SynthSummary(job_id=job_id, requested=len(todo) + len(skipped), skipped=skipped)
    client = LLMClient(llm, con, job_id) if llm is not None else None

    def end(crashed: BaseException | None) -> None:
        with transaction(con):
            finished = len(summary.created) + len(summary.failed) + summary.duplicates == len(todo)
            summary.status, summary.usage = close_job(
                con, job_id, client, items=len(summary.created), finished=finished, crashed=crashed
            )

    pool = EnvPool(con, bfcl_start)
    run_job(lambda: run_async(_run(con, todo, backend, client, env, judge, summary, progress, pool), client), end)
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
    pool: EnvPool,
) -> None:
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
            domain = pool.choose([tools[c.tool_id] for _, _, c in fsp.calls()], env_choice)
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
                replay = pool.make(domain, result["meta"].get("env_start")) if domain else None
                verdict = verify(result["messages"], named, result["meta"], env=replay)
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
    start: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Recompute every tool result at or after ``from_index``: earlier calls rebuild the state, later ones run again.

    ``tools`` are the trajectory's functions by name; those the environment lacks get the offline simulated
    response, as in synthesis. ``start`` is the start state the trajectory recorded (``meta["env_start"]``).
    """
    pool = EnvPool(con)
    known = domain if pool.runs(domain) else None
    environment = pool.make(known, start) if known else None
    out = [dict(m) for m in messages]
    for i, name, args, problem in tool_results(out):
        if problem is not None:
            output = f"Error: {problem}"
        elif environment is not None and environment.binds(name, tools[name].labels if name in tools else ()):
            output = environment.execute(name, args).output  # runs before and after: the state must be rebuilt
        elif name in tools:
            output = to_output(simulate_output(name, args, tools[name].returns, pool.bank(known)))
        else:
            output = f"Error: Tool '{name}' not found."
        if i >= from_index:
            out[i] = {**out[i], "content": output}
    return out


def replay_env(con: duckdb.DuckDBPyConnection, traj: dict[str, Any]) -> Environment | None:
    """A fresh environment on the start state a stored trajectory ran on, to verify it by execution (None when
    its domain does not run on this machine)."""
    pool = EnvPool(con)
    domain = traj.get("domain")
    return pool.make(str(domain), traj["meta"].get("env_start")) if pool.runs(domain) else None


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
