"""The tau-style runner: agent × user simulator × environment, n trials per task, scored as tau2 scores.

An episode starts with the agent's greeting; the user (an LLM given the task's scenario, or a script of
user turns) answers; the agent then calls tools until it replies in text, and so on. It ends when the
user says a stop token, the agent transfers to a human, the agent errs too often, the model cannot be
reached, or ``max_steps`` agent steps have run. Every episode is committed as soon as it ends (on a
writer thread, off the event loop), so an interrupted run resumes where it stopped (``resume_run``).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from fcstudio.envs.base import Environment, State
from fcstudio.envs.diff import diff
from fcstudio.envs.registry import get_domain
from fcstudio.envs.tasks import load_tasks
from fcstudio.evals import eval_store
from fcstudio.evals.review import build_review, executable_env
from fcstudio.evals.rewards import EvalTask, db_check, evaluate, is_user_side, replay
from fcstudio.jobs import finish_job, job_failures, record_failure, run_job, set_total, start_job
from fcstudio.llm import LLMClient, LLMConfig, Reply, Usage, parse_arguments, parse_json_reply
from fcstudio.store import run, transaction

GREETING = "Hi! How can I help you today?"
TAU2_DOMAINS = ("airline", "retail", "telecom")  # runs on these sit on the τ²-bench leaderboard beside published rows
STOP, TRANSFER, OUT_OF_SCOPE = "###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###"
Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)

AGENT_PROMPT = """<instructions>
You are a customer service agent. Help the user within the rules of the policy below.
Each turn, either send the user a message or call tools; not both.
Follow the policy strictly, ask for what you need before acting, and confirm before any change.
Tool arguments must be valid JSON.
</instructions>
<policy>
{policy}
</policy>"""

USER_PROMPT = """You play a customer talking to a customer service agent. Stay in character.

Your scenario:
{scenario}

Rules:
- Say one message at a time, short and natural; give information only when the agent needs it.
- Never invent facts beyond the scenario; if asked for something you do not know, say so.
- Do not repeat the scenario word for word.
- When your request is fully handled, or cannot be, end with a message that contains only {stop}.
- If you are transferred to a human agent, reply {transfer}.
- If the scenario does not give you what the agent asks for and you cannot go on, reply {oos}.{tools}"""

USER_TOOLS_NOTE = """
- You hold your own phone and have tools to act on it. When the agent asks you to check or change something on
  it, call the tool yourself, then tell the agent in words what you did and saw; the agent cannot see your
  screen or your tool results. Never invent a result you did not get from a tool."""
MAX_USER_TOOL_ROUNDS = 10  # tool calls the user may chain in one turn before saying something


class RunSpec(BaseModel):
    """What a run was asked to do; stored with the run so that it can be resumed exactly."""

    domain: str
    tasks_file: str
    task_ids: list[str] | None = None
    trials: int = Field(1, ge=1, le=32)
    max_steps: int = Field(30, ge=1, le=500)
    max_errors: int = Field(10, ge=1)
    agent: LLMConfig
    user: LLMConfig | None = None  # None: the scripted user replays each task's ``user_turns``
    judge: LLMConfig | None = None


@dataclass
class RunSummary:
    run_id: int
    job_id: int
    episodes: int = 0
    skipped: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    status: str = "running"
    failed: dict[str, str] = field(default_factory=dict)  # item (task/trial) -> error, also in job_failures


class RunError(ValueError):
    """A run that cannot start: unknown domain, no database, no tasks, no user turns for a scripted user."""


def default_tasks_file(domain: str) -> Path:
    return get_domain(domain).default_file("tasks.json")


def load_eval_tasks(spec: RunSpec, bad: list[tuple[str, str]] | None = None) -> list[EvalTask]:
    """The run's tasks. With ``bad``, a malformed task is left out and listed there (item, reason) instead of
    stopping the run; without it, the first one raises."""
    tasks = []
    for gold in load_tasks(spec.tasks_file, bad=bad):
        try:
            tasks.append(EvalTask.from_gold(gold, spec.domain))
        except (TypeError, ValueError, AttributeError) as exc:
            if bad is None:
                raise RunError(f"{spec.tasks_file}: task {gold.task_id}: {exc}") from None
            bad.append((f"task {gold.task_id}", f"{type(exc).__name__}: {exc}"))
    if spec.task_ids:
        wanted = set(spec.task_ids)
        unknown = wanted - {t.task_id for t in tasks} - {ref.removeprefix("task ") for ref, _ in bad or []}
        if unknown:
            raise RunError(f"{spec.tasks_file}: no task(s) {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t.task_id in wanted]
        if bad is not None:
            bad[:] = [(ref, why) for ref, why in bad if ref.removeprefix("task ") in wanted]
    if not tasks:
        reason = f"; {len(bad)} unreadable, first: {bad[0][1]}" if bad else ""
        raise RunError(f"{spec.tasks_file}: no tasks to run{reason}")
    if spec.user is None:
        silent = [t.task_id for t in tasks if not t.user_turns]
        if silent:
            raise RunError(
                f"the scripted user needs 'user_turns' in each task; missing for {', '.join(silent[:5])}: "
                "give --user-model for a simulated user"
            )
    return tasks


# -- the user side ---------------------------------------------------------------------------------------
class ScriptedUser:
    """Replays fixed user turns, then stops."""

    def __init__(self, turns: list[str]):
        self.turns = list(turns)

    async def respond(
        self, messages: list[dict[str, Any]], salt: str, tally: Tally | None = None
    ) -> tuple[str | None, Reply | None]:
        return (self.turns.pop(0) if self.turns else STOP), None


def _said(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .!?")


def user_turn_problem(messages: list[dict[str, Any]]) -> str | None:
    """Why the user's last turn (the last message) cannot go on, or None: a simulator that says nothing, says the
    agent's own words back or repeats its previous turn would loop until max steps (a small model did so ~20
    times, paying for every round), so the episode ends as ``user_error`` with this reason. Only the stop tokens
    end it as the user's stop."""
    text = _said(str(messages[-1].get("content") or ""))
    if not text:
        return "the simulated user said nothing"
    spoken = [m for m in messages[:-1] if isinstance(m.get("content"), str) and m["content"].strip()]
    agent = next((m for m in reversed(spoken) if m["role"] == "assistant" and not m.get("tool_calls")), None)
    if agent is not None and _said(agent["content"]) == text:
        return f"the simulated user echoed the agent: {messages[-1]['content'].strip()[:120]!r}"
    before = next((m for m in reversed(spoken) if m["role"] == "user" and not m.get("requestor")), None)
    if before is not None and _said(before["content"]) == text:
        return f"the simulated user repeated its previous turn: {messages[-1]['content'].strip()[:120]!r}"
    return None


class SimulatedUser:
    """An LLM playing the task's user: it sees the agent's words as the other party's, its own as its own.

    In a dual-control domain (``env`` given) it is offered the user's tools; its calls run on the user's side
    of the environment and are kept in the episode as user-side messages (``requestor: "user"``), which the
    agent never sees: the agent learns only what the user then says."""

    def __init__(self, client: LLMClient, scenario: str, env: Environment | None = None):
        self.client = client
        self.env = env if env is not None and env.dual_control else None
        self.tools = [s.openai() for s in self.env.tool_specs("user")] if self.env else None
        note = USER_TOOLS_NOTE if self.env else ""
        self.system = USER_PROMPT.format(scenario=scenario, stop=STOP, transfer=TRANSFER, oos=OUT_OF_SCOPE, tools=note)

    def _view(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conversation from the user's seat: roles swapped, the agent's tool use left out."""
        flipped: list[dict[str, Any]] = [{"role": "system", "content": self.system}]
        for m in messages:
            text = m.get("content")
            if is_user_side(m):
                if m["role"] == "tool":
                    flipped.append({"role": "tool", "tool_call_id": m["tool_call_id"], "content": text or ""})
                else:
                    flipped.append({"role": "assistant", "content": text, "tool_calls": m["tool_calls"]})
            elif m["role"] == "assistant" and isinstance(text, str) and text.strip() and not m.get("tool_calls"):
                flipped.append({"role": "user", "content": text})
            elif m["role"] == "user":
                flipped.append({"role": "assistant", "content": text or ""})
        return flipped

    async def respond(
        self, messages: list[dict[str, Any]], salt: str, tally: Tally | None = None
    ) -> tuple[str | None, Reply | None]:
        """The user's next words; before them, any tool calls the user makes (appended to ``messages``)."""
        for round_ in range(MAX_USER_TOOL_ROUNDS + 1):
            reply = await self.client.chat(self._view(messages), tools=self.tools, purpose="eval_user", cache_salt=salt)
            if tally is not None:
                tally.add(reply, self.client.config)
            if reply.error:
                return None, reply
            if not (self.env and reply.tool_calls):
                return (reply.content or "").strip(), reply  # an empty reply is the user's error, not a stop
            if round_ == MAX_USER_TOOL_ROUNDS:
                break
            messages.append({**reply.message(), "role": "user", "requestor": "user"})
            for i, tc in enumerate(reply.tool_calls):
                fn = tc.get("function") or {}
                name = str(fn.get("name") or "")
                call_id = str(tc.get("id") or f"user_call_{len(messages)}_{i}")
                args, problem = parse_arguments(fn.get("arguments"), name)
                if problem or args is None:
                    output = f"Error: {problem or 'arguments are not a JSON object'}"
                else:
                    output = self.env.execute(name, args, side="user").output
                messages.append({**_tool_message(call_id, name, output), "requestor": "user"})
        return None, Reply(error=f"the user called tools {MAX_USER_TOOL_ROUNDS} times in a row without speaking")


# -- one episode -------------------------------------------------------------------------------------------
@dataclass
class Tally:
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0

    def add(self, reply: Reply | None, config: LLMConfig) -> None:
        if reply is None or reply.cached:
            return
        self.tokens_in += reply.prompt_tokens
        self.tokens_out += reply.completion_tokens
        self.cost += (reply.prompt_tokens * config.price_in + reply.completion_tokens * config.price_out) / 1e6


def _tool_message(call_id: str, name: str, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}


async def run_episode(
    task: EvalTask,
    trial: int,
    env: Environment,
    agent: LLMClient,
    user: ScriptedUser | SimulatedUser,
    spec: RunSpec,
    tools: list[dict[str, Any]],
) -> dict[str, Any]:
    """Play one episode; returns messages, termination, tokens and cost (scoring happens after)."""
    env.reset()
    env.start_task(task.initial_state)
    salt = f"{task.task_id}/{trial}"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": AGENT_PROMPT.format(policy=env.policy)},
        {"role": "assistant", "content": GREETING},
    ]
    tally = Tally()
    steps = errors = 0
    started = time.perf_counter()
    termination = ""
    error: str | None = None
    while not termination:
        text, reply = await user.respond(messages, salt, tally)
        if text is None:
            termination = "user_error"
            error = reply.error if reply else None
            break
        messages.append({"role": "user", "content": text})
        if problem := user_turn_problem(messages):
            termination, error = "user_error", problem
            break
        if STOP in text or OUT_OF_SCOPE in text:
            termination = "user_stop"
            break
        if TRANSFER in text:
            termination = "transfer"
            break
        while True:  # the agent acts until it speaks to the user
            if steps >= spec.max_steps:
                termination = "max_steps"
                break
            steps += 1
            seen = [m for m in messages if not is_user_side(m)]  # the user's own tool use stays on the phone
            answer = await agent.chat(seen, tools=tools, purpose="eval_agent", cache_salt=salt)
            tally.add(answer, agent.config)
            if answer.error:
                termination = "agent_error"
                error = answer.error
                break
            messages.append(answer.message())
            if not answer.tool_calls:
                break
            transferred = False
            for i, tc in enumerate(answer.tool_calls):
                fn = tc.get("function") or {}
                name = str(fn.get("name") or "")
                call_id = str(tc.get("id") or f"call_{steps}_{i}")
                args, problem = parse_arguments(fn.get("arguments"), name)
                if problem or args is None:
                    errors += 1
                    messages.append(
                        _tool_message(call_id, name, f"Error: {problem or 'arguments are not a JSON object'}")
                    )
                    continue
                result = env.execute(name, args)
                errors += int(result.error)
                messages.append(_tool_message(call_id, name, result.output))
                transferred = transferred or (name == "transfer_to_human_agents" and not result.error)
            if transferred:
                termination = "transfer"
                break
            if errors >= spec.max_errors:
                termination = "too_many_errors"
                break
        if termination:
            break
    return {
        "messages": messages,
        "termination": termination,
        "steps": steps,
        "tokens_in": tally.tokens_in,
        "tokens_out": tally.tokens_out,
        "cost": tally.cost,
        "duration": time.perf_counter() - started,
        "error": error,
    }


async def judge_assertions(
    judge: LLMClient, assertions: list[str], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """tau2's NL assertions, judged by an LLM over the transcript."""
    transcript = "\n".join(
        f"{m['role']}: {m.get('content')}" for m in messages if m["role"] in ("user", "assistant") and m.get("content")
    )
    prompt = (
        "Read the customer service conversation and decide, for each assertion, whether it holds.\n"
        f"Conversation:\n{transcript[-12000:]}\n\nAssertions:\n"
        + "\n".join(f"{i + 1}. {a}" for i, a in enumerate(assertions))
        + '\n\nReply with JSON only: {"results": [{"assertion": "...", "met": true|false, "reason": "..."}]}'
    )
    reply = await judge.chat([{"role": "user", "content": prompt}], purpose="eval_judge")
    parsed = parse_json_reply(reply.content) if not reply.error else None
    results = parsed.get("results") if isinstance(parsed, dict) else None
    if not isinstance(results, list) or len(results) != len(assertions):
        why = reply.error or "the judge's reply is not the JSON asked for"
        return [{"assertion": a, "met": False, "reason": f"not judged: {why}"} for a in assertions]
    return [
        {
            "assertion": a,
            "met": bool(r.get("met")) if isinstance(r, dict) else False,
            "reason": str((r or {}).get("reason", "")),
        }
        for a, r in zip(assertions, results, strict=True)
    ]


# -- a run ---------------------------------------------------------------------------------------------------
class _Writer:
    """Commits finished episodes on one worker thread with its own cursor, so the event loop never waits.

    An episode whose write fails is rolled back alone and recorded as a failed item of the job."""

    def __init__(self, con: duckdb.DuckDBPyConnection, job_id: int):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="episode-writer")
        self._cursor = con.cursor()
        self._job_id = job_id
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()
        self.failed: dict[str, str] = {}
        self.written = 0

    def submit(self, run_id: int, episode: dict[str, Any], clients: list[LLMClient]) -> None:
        """Commit the episode, and the model calls logged so far with it (off the event loop too)."""
        logs = [row for c in clients for row in c.take_log()]

        def write() -> None:
            try:
                with transaction(self._cursor):
                    eval_store.add_episode(self._cursor, run_id, episode)
                    LLMClient.write_log(self._cursor, logs)
                self.written += 1
            except Exception as exc:
                with transaction(self._cursor):
                    LLMClient.write_log(self._cursor, logs)
                self._record(f"{episode['task_id']}/{episode['trial']}", exc)

        self._run(write)

    def fail(self, item: str, error: BaseException | str, clients: list[LLMClient]) -> None:
        """Record a failed item (and the calls it made) on the writer thread."""
        logs = [row for c in clients for row in c.take_log()]

        def write() -> None:
            with transaction(self._cursor):
                LLMClient.write_log(self._cursor, logs)
            self._record(item, error)

        self._run(write)

    def _record(self, item: str, error: BaseException | str) -> None:
        with transaction(self._cursor):
            self.failed[item] = record_failure(self._cursor, self._job_id, item, error)

    def _run(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._futures.append(self._pool.submit(fn))

    def close(self) -> None:
        for f in self._futures:
            f.result()  # re-raise a write that could not even record its failure
        self._pool.shutdown()
        self._cursor.close()


def create_run(con: duckdb.DuckDBPyConnection, spec: RunSpec) -> int:
    """A new run (status 'running') with its spec; ``execute_run`` plays it."""
    load_eval_tasks(spec, bad=[])  # fail before creating anything when nothing could run
    job_id = start_job(con, "eval", "openai", spec.agent.model, {"spec": spec.model_dump(mode="json")})
    return eval_store.create_run(
        con,
        benchmark="tau2" if spec.domain in TAU2_DOMAINS else "fcstudio",
        domain=spec.domain,
        model=spec.agent.model,
        user_model=spec.user.model if spec.user else "scripted",
        source="run",
        origin=spec.tasks_file,
        config={"spec": spec.model_dump(mode="json")},
        status="running",
        trials=spec.trials,
        job_id=job_id,
    )


def spec_of(con: duckdb.DuckDBPyConnection, run_id: int) -> RunSpec:
    found = eval_store.get_run(con, run_id)
    if found is None:
        raise RunError(f"no run {run_id}")
    if found["source"] != "run" or "spec" not in found["config"]:
        raise RunError(f"run {run_id} was {found['source']}ed, not run here: it cannot be resumed")
    return RunSpec.model_validate(found["config"]["spec"])


def execute_run(con: duckdb.DuckDBPyConnection, run_id: int, progress: Progress | None = None) -> RunSummary:
    """Play every (task, trial) of the run that has no episode yet, then score the run.

    A task that cannot be read, or an episode that breaks (the model's endpoint aside, whose errors end the
    episode as ``agent_error``/``user_error`` as in tau2), is recorded as a failed item of the run's job; the
    others go on, and a resume tries the failed ones again.
    """
    spec = spec_of(con, run_id)
    found = eval_store.get_run(con, run_id)
    if found is None:  # spec_of has just read it: only a concurrent delete gets here
        raise RunError(f"no run {run_id}")
    job_id = int(found["job_id"])
    bad: list[tuple[str, str]] = []
    tasks = load_eval_tasks(spec, bad=bad)
    env0 = executable_env(spec.domain)
    if env0 is None:
        raise RunError(f"no database for {spec.domain} on this machine: the runner needs an executable domain")
    with transaction(con):  # this attempt's failures replace the last one's: a resume retries them all
        run(con, "DELETE FROM job_failures WHERE job_id = ?", [job_id])
        set_total(con, job_id, (len(tasks) + len(bad)) * spec.trials)
        for item, why in bad:
            record_failure(con, job_id, item, why)
    done = eval_store.done_keys(con, run_id)
    gold_states: dict[str, State] = {}  # the DB check's expected state, built as tau2's evaluator builds it
    live_states: dict[str, State] = {}  # the gold as a live episode leaves it (dual control: synced after each call)
    for t in tasks:
        try:
            replay(env0, t.actions, t.initial_state, gold=True)
            gold_states[t.task_id] = env0.state
            if env0.dual_control:
                replay(env0, t.actions, t.initial_state)
            live_states[t.task_id] = env0.state
        except Exception as exc:
            with transaction(con):
                record_failure(con, job_id, f"task {t.task_id}", exc)
    todo = [(t, n) for t in tasks if t.task_id in gold_states for n in range(spec.trials) if (t.task_id, n) not in done]
    summary = RunSummary(run_id=run_id, job_id=job_id, skipped=len(done))
    tools = [s.openai() for s in env0.tool_specs()]
    started = time.perf_counter()
    agent = LLMClient(spec.agent, con, job_id)
    user_client = LLMClient(spec.user, con, job_id) if spec.user else None
    judge = LLMClient(spec.judge, con, job_id) if spec.judge else None
    clients = [c for c in (agent, user_client, judge) if c is not None]
    writer = _Writer(con, job_id)
    gate = asyncio.Semaphore(max(1, spec.agent.concurrency))
    finished = 0

    async def play(task: EvalTask, trial: int) -> dict[str, Any]:
        async with gate:
            env = executable_env(spec.domain)
            assert env is not None
            user = SimulatedUser(user_client, task.scenario, env) if user_client else ScriptedUser(task.user_turns)
            played = await run_episode(task, trial, env, agent, user, spec, tools)
            db, state_diff = db_check(gold_states[task.task_id], env.state)
            if env.dual_control:  # the review shows what differs from a live gold episode, not tau2's unsynced one
                state_diff = diff(live_states[task.task_id], env.state)
            env_checks = [env.run_assertion(a) for a in task.env_assertions]  # after the DB check, as tau2
            nl = (
                await judge_assertions(judge, task.nl_assertions, played["messages"])
                if judge and task.nl_assertions
                else None
            )
        reward_info = evaluate(
            task, played["messages"], played["termination"], db=db, nl_verdicts=nl, env_checks=env_checks
        )
        if played["error"]:
            reward_info["notes"].append(f"model error: {played['error']}")
        episode = {
            "task_id": task.task_id,
            "trial": trial,
            "domain": spec.domain,
            "reward": reward_info["reward"],
            "reward_info": reward_info,
            "termination": played["termination"],
            "messages": played["messages"],
            "gold": {"actions": task.actions, "outputs": task.outputs, "initial_state": task.initial_state},
            "instruction": task.scenario,
            "cost": played["cost"],
            "tokens_in": played["tokens_in"],
            "tokens_out": played["tokens_out"],
            "duration": played["duration"],
        }
        episode["review"] = json.loads(json.dumps(build_review(episode, state_diff), default=str))
        return episode

    async def one(task: EvalTask, trial: int) -> None:
        nonlocal finished
        try:
            episode = await play(task, trial)
        except Exception as exc:  # one broken episode never stops the run
            writer.fail(f"{task.task_id}/{trial}", exc, clients)
        else:
            writer.submit(run_id, episode, clients)
            summary.episodes += 1
        finished += 1
        if progress:
            progress(finished / max(len(todo), 1), f"{finished} of {len(todo)} episodes")

    async def main() -> None:
        try:
            await asyncio.gather(*(one(t, n) for t, n in todo))
        finally:
            for client in clients:
                await client.aclose()

    def end(crashed: BaseException | None) -> None:
        writer.close()
        summary.episodes = writer.written
        with transaction(con):
            for client in clients:
                client.flush(con)
            usage = _usage(agent, user_client, judge)
            summary.status = finish_job(
                con,
                job_id,
                usage,
                items=summary.episodes + summary.skipped,
                finished=finished == len(todo),
                crashed=crashed,
            )
            summary.report = eval_store.recompute_scores(con, run_id)
            eval_store.set_status(con, run_id, summary.status)
        summary.failed = {item: why for item, why in _failures(con, job_id)}
        summary.usage = usage.as_dict()
        summary.seconds = time.perf_counter() - started

    run_job(lambda: asyncio.run(main()), end)
    return summary


def _failures(con: duckdb.DuckDBPyConnection, job_id: int) -> list[tuple[str, str]]:
    return [(f["item"], f["error"]) for f in job_failures(con, job_id)]


def _usage(*clients: LLMClient | None) -> Usage:
    """The job's totals over the agent, user and judge clients."""
    total = Usage()
    for c in clients:
        if c is not None:
            for f in fields(Usage):
                setattr(total, f.name, getattr(total, f.name) + getattr(c.usage, f.name))
    return total


def run_eval(con: duckdb.DuckDBPyConnection, spec: RunSpec, progress: Progress | None = None) -> RunSummary:
    return execute_run(con, create_run(con, spec), progress)
