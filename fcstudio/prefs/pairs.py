"""Chosen/rejected pairs for multi-turn DPO (MAGNET §3.5).

A pair is the shared prefix of a verified trajectory (through one user turn), the chosen continuation (the
assistant turn the teacher produced with the path as hint, with its tool results) and a rejected one, made by:
- ``no_hint``: the model continues the same prefix without the hint;
- ``misleading_hint``: a wrong call is planted as the hint, and the translator follows it;
- ``perturb``: a controlled change of the chosen turn (wrong function, wrong or missing argument, skipped
  clarification, a call invented for a missing function, a nested call collapsed, a wrong final summary).
Rejected calls are executed against the state the prefix leaves, so their results are real too.
A trivial negative (same calls, text differing only in a returned identifier, see ``prefs.diff``) is skipped
and counted, unless asked to keep it; every stored pair carries its ``trivial`` flag.
A judge (an LLM when configured, rules otherwise) tags the rejected turn with MAGNET's error type.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from fcstudio.catalog.schemas import canonical_json
from fcstudio.jobs import close_job, record_failure, run_job, save_job_progress, start_job
from fcstudio.llm import LLMClient, LLMConfig, parse_arguments, parse_json_reply, run_async
from fcstudio.models import ToolSpec
from fcstudio.prefs.diff import is_trivial
from fcstudio.store import rows, run, scalar, transaction
from fcstudio.synth.execution import run_turn
from fcstudio.synth.job import EnvPool, tool_results
from fcstudio.synth.plan import Episode, TurnPlan, plans_from_meta, resolve
from fcstudio.synth.trajectories import get_trajectory, tool_specs
from fcstudio.synth.translation import LLMTranslator, TemplateTranslator, Translator

STRATEGIES = ("no_hint", "misleading_hint", "perturb")
PERTURBATIONS = (
    "wrong_function",
    "wrong_argument",
    "missing_argument",
    "skipped_clarification",
    "invented_call",
    "collapsed_nested",
    "wrong_summary",
)
ERROR_TYPES = (
    "nested_call_missing",
    "short_dependency",
    "long_dependency",
    "wrong_summary",
    "missed_function_or_parameters",
)
Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)


@dataclass
class PairSummary:
    job_id: int
    created: list[int] = field(default_factory=list)
    same_as_chosen: int = 0  # the negative came out identical to the positive: no pair
    skipped_trivial: int = 0  # the negative differed only in a returned identifier: no pair (unless kept)
    not_applicable: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # trajectory id -> error, also in job_failures
    eligible: int = 0  # candidate trajectories (verified, synthesised, not rejected, not paired so yet)
    ineligible: dict[str, int] = field(default_factory=dict)  # why the trajectories considered were not used
    reached: int = 0
    status: str = "running"
    usage: dict[str, Any] = field(default_factory=dict)


# -- rebuilding the state a prefix leaves ------------------------------------------------------------------


async def episode_at(traj: dict[str, Any], upto: int, pool: EnvPool, tools: dict[str, ToolSpec]) -> Episode:
    """An episode holding ``messages[:upto]``: the environment has run every call in it, outputs are known."""
    domain = traj.get("domain") if pool.runs(traj.get("domain")) else None
    env = pool.make(domain, traj["meta"].get("env_start")) if domain else None
    ep = Episode(tools=tools, env=env, bank=pool.bank(domain), long_outputs=False)
    plan = traj["meta"].get("plan") or []
    announced_at = {c["tool_id"]: p["end"] for p in plan if p["kind"] == "miss_func" for c in p["calls"]}
    ep.offered = [t for t in traj["tool_ids"] if t in tools and announced_at.get(t, 0) <= upto]
    ep.call_ids = dict(traj["meta"].get("call_ids") or {})
    ep.counter = max([int(re.sub(r"\D", "", k) or 0) for k in ep.call_ids] or [0])
    ep.messages = copy.deepcopy(traj["messages"][:upto])
    for i, name, args, _ in tool_results(ep.messages):
        spec = ep.by_name.get(name)
        if env is not None and env.binds(name, spec.labels if spec is not None else ()):
            env.execute(name, args)  # rebuild the state; the recorded output stays what it was
        where = ep.call_ids.get(ep.messages[i]["tool_call_id"])
        if where is not None:
            content = ep.messages[i].get("content")
            try:
                ep.outputs[(where[0], where[1])] = json.loads(content or "")
            except json.JSONDecodeError:
                ep.outputs[(where[0], where[1])] = content
    return ep


def _calls(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(name, canonical arguments) of every call, sorted: equal lists mean the same calls in any order."""
    out = []
    for m in messages:
        for tc in m.get("tool_calls") or []:
            args, problem = parse_arguments(tc["function"]["arguments"])
            out.append((tc["function"]["name"], tc["function"]["arguments"] if problem else canonical_json(args)))
    return sorted(out)


def _final_text(messages: list[dict[str, Any]]) -> str:
    return next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "assistant"), "")


# -- negatives ----------------------------------------------------------------------------------------


def _similar_tool(name: str, tools: dict[str, ToolSpec], offered: list[str], rng: random.Random) -> str | None:
    """Another offered (or catalogued) function, preferring one that shares parameter names."""
    spec = next((s for s in tools.values() if s.name == name), None)
    params = set((spec.parameters.get("properties") or {}) if spec else ())
    pool = [tools[t] for t in offered if t in tools and tools[t].name != name] or [
        s for s in tools.values() if s.name != name
    ]
    if not pool:
        return None
    scored = sorted(pool, key=lambda s: (-len(params & set(s.parameters.get("properties") or {})), s.name))
    best = [s for s in scored if scored and len(params & set(s.parameters.get("properties") or {})) > 0][:3]
    return rng.choice(best or pool).name


def applicable(plan: TurnPlan, has_text: bool) -> list[str]:
    kinds = []
    if plan.kind == "normal" and plan.calls:
        kinds += ["wrong_function", "wrong_argument"]
        if any(c.args for c in plan.calls):
            kinds.append("missing_argument")
        if any((c.turn, i) in {tuple(s) for d in plan.calls for s in d.feeds_from()} for i, c in enumerate(plan.calls)):
            kinds.append("collapsed_nested")
        if has_text:
            kinds.append("wrong_summary")
    elif plan.kind == "miss_param":
        kinds.append("skipped_clarification")
    elif plan.kind == "miss_func":
        kinds.append("invented_call")
    return kinds


def perturbed_hint(
    plan: TurnPlan, kind: str, ep: Episode, tools: dict[str, ToolSpec], rng: random.Random
) -> TurnPlan | None:
    """The wrong plan a perturbation (or a misleading hint) asks the translator to follow."""
    hint = TurnPlan(index=plan.index, kind="normal", calls=[copy.deepcopy(c) for c in plan.calls])
    if kind in ("skipped_clarification", "invented_call"):
        for c in hint.calls:  # act as if nothing were missing: guess the withheld value, call the absent tool
            spec = ep.spec(c.tool_id)
            props = spec.property_schemas()
            for arg in c.withheld:
                c.args[arg] = ep.bank.value(c.name, arg, props.get(arg) or {}, rng)
                c.sources[arg] = {"kind": "user"}
            c.withheld = []
        return hint
    target = rng.choice(hint.calls)
    spec = ep.spec(target.tool_id)
    props = spec.property_schemas()
    if kind == "wrong_function":
        other = _similar_tool(target.name, tools, ep.offered, rng)
        if other is None:
            return None
        other_id = next(t for t, s in tools.items() if s.name == other)
        keep = set(tools[other_id].parameters.get("properties") or {})
        target.tool_id, target.name = other_id, other
        target.args = {k: v for k, v in target.args.items() if k in keep}
        target.sources = {k: v for k, v in target.sources.items() if k in keep}
        new_props = tools[other_id].property_schemas()
        for arg in tools[other_id].parameters.get("required") or []:  # a plausible call, not a malformed one
            if arg not in target.sources:
                target.args[arg] = ep.bank.value(other, arg, new_props.get(arg) or {}, rng)
                target.sources[arg] = {"kind": "user"}
        return hint
    if kind == "wrong_argument":
        options = [a for a in target.sources if a in props]
        if not options:
            return None
        arg = rng.choice(sorted(options))
        current = resolve(target, ep).get(arg)
        for _ in range(8):
            value = ep.bank.value(target.name, arg, props.get(arg) or {}, rng)
            if value != current:
                break
        else:
            value = different_value(current)
        target.args[arg] = value
        target.sources[arg] = {"kind": "user"}
        return hint
    if kind == "missing_argument":
        options = sorted(target.sources)
        if not options:
            return None
        arg = rng.choice(options)
        target.sources.pop(arg)
        target.args.pop(arg, None)
        return hint
    if kind == "collapsed_nested":
        fed = {tuple(s) for c in hint.calls for s in c.feeds_from() if s[0] == plan.index}
        producers = [c for c in hint.calls if (c.turn, c.index) in fed]
        if not producers:
            return None
        gone = producers[0]
        hint.calls = [c for c in hint.calls if c is not gone]
        for c in hint.calls:  # the consumer gets a guessed value instead of the producer's output
            for arg, src in list(c.sources.items()):
                if src.get("kind") == "output" and (src["turn"], src["call"]) == (gone.turn, gone.index):
                    cprops = ep.spec(c.tool_id).property_schemas()
                    c.args[arg] = ep.bank.value(c.name, arg, cprops.get(arg) or {}, rng)
                    c.sources[arg] = {"kind": "user"}
        return hint
    return None


def different_value(value: Any) -> Any:
    """A value of the same shape as ``value`` that is not equal to it (for a wrong argument)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return f"{value}-x"
    if isinstance(value, list):
        return [*value[:-1], different_value(value[-1])] if value else ["x"]
    if isinstance(value, dict):
        if not value:
            return {"x": "x"}
        key = sorted(value)[0]
        return {**value, key: different_value(value[key])}
    return "x"


def wrong_summary(text: str, rng: random.Random) -> str:
    """The closing reply with its facts changed: numbers shifted, or a claim reversed."""
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if numbers:
        pick = rng.choice(numbers)
        changed = str(round(float(pick) * rng.choice([0.5, 2, 3]) + 1, 2)).removesuffix(".0")
        return text.replace(pick, changed)
    return "Everything is done and confirmed; nothing else was needed." if text else "I could not do that."


# -- judging the rejected turn -----------------------------------------------------------------------


def rule_judge(plan: TurnPlan, chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> tuple[str, str]:
    """MAGNET's error type of the rejected turn, from how its calls differ from the chosen ones."""
    c_calls, r_calls = _calls(chosen), _calls(rejected)
    if c_calls == r_calls:
        return "wrong_summary", "same calls, different final answer"
    r_names = [n for n, _ in r_calls]
    for c in plan.calls:
        for src in c.sources.values():
            if src.get("kind") == "output" and src.get("turn") == plan.index:
                producer = plan.calls[src["call"]]
                if producer.name not in r_names:
                    return "nested_call_missing", f"{producer.name}, whose output {c.name} needs, is not called"
    c_args = {n: json.loads(a) if a.startswith("{") else {} for n, a in c_calls}
    r_args = {n: json.loads(a) if a.startswith("{") else {} for n, a in r_calls}
    for c in plan.calls:
        if c.name not in r_args:
            continue
        for arg, src in c.sources.items():
            if src.get("kind") == "output" and r_args[c.name].get(arg) != c_args.get(c.name, {}).get(arg):
                gap = plan.index - int(src["turn"])
                kind = "short_dependency" if gap <= 1 else "long_dependency"
                return kind, f"{c.name}.{arg} should come from turn {src['turn']}'s output, {gap} turn(s) back"
    missing = sorted(set(n for n, _ in c_calls) - set(r_names))
    extra = sorted(set(r_names) - set(n for n, _ in c_calls))
    if missing or extra:
        return "missed_function_or_parameters", f"missing {missing or '-'}, unexpected {extra or '-'}"
    return "missed_function_or_parameters", "wrong or missing arguments"


async def llm_judge(
    client: LLMClient, prefix: list[dict[str, Any]], chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]
) -> tuple[str, str] | None:
    prompt = (
        "A function-calling assistant produced a good turn (chosen) and a bad one (rejected) after the same "
        f"conversation. Classify the bad turn's error as one of {list(ERROR_TYPES)}. "
        'Reply with JSON only: {"error_type": "...", "reason": "..."}.\n'
        f"Conversation (last messages): {json.dumps(prefix[-4:])[:6000]}\n"
        f"Chosen: {json.dumps(chosen)[:4000]}\nRejected: {json.dumps(rejected)[:4000]}"
    )
    reply = await client.chat([{"role": "user", "content": prompt}], purpose="pair_judge")
    try:
        parsed = parse_json_reply(reply.content) if not reply.error else None
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("error_type") in ERROR_TYPES:
        return parsed["error_type"], str(parsed.get("reason", ""))
    return None


# -- making pairs --------------------------------------------------------------------------------------


def candidate_trajectories(con: duckdb.DuckDBPyConnection, strategy: str, ids: list[int] | None) -> list[int]:
    """Verified, not rejected, synthesised trajectories without a pair of this strategy yet."""
    clause = " AND list_contains(?, t.id)" if ids is not None else ""
    return [
        r[0]
        for r in run(
            con,
            f"""SELECT t.id FROM trajectories t
                WHERE t.verified AND coalesce(t.status, 'pending') <> 'rejected' AND t.meta LIKE '%"plan"%'
                  AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.trajectory_id = t.id AND p.strategy = ?){clause}
                ORDER BY t.id""",
            [strategy, *([ids] if ids is not None else [])],
        )
    ]


def ineligible_trajectories(con: duckdb.DuckDBPyConnection, strategy: str, ids: list[int] | None) -> dict[str, int]:
    """Why the trajectories considered (the named ones, or all) are not candidates, counted by the first reason:
    so that making no pairs says why instead of printing 0."""
    found = {
        str(reason): int(n)
        for reason, n in run(
            con,
            f"""SELECT CASE
                    WHEN coalesce(t.status, 'pending') = 'rejected' THEN 'rejected by a reviewer'
                    WHEN t.meta IS NULL OR t.meta NOT LIKE '%"plan"%' THEN 'not synthesised from a path (no plan)'
                    WHEN NOT coalesce(t.verified, false) THEN 'not verified'
                    ELSE 'already paired with this strategy' END AS reason, count(*)
                FROM trajectories t
                WHERE NOT (t.verified AND coalesce(t.status, 'pending') <> 'rejected' AND t.meta LIKE '%"plan"%'
                    AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.trajectory_id = t.id AND p.strategy = ?))
                  {"AND list_contains(?, t.id)" if ids is not None else ""}
                GROUP BY reason ORDER BY reason""",
            [strategy, *([ids] if ids is not None else [])],
        )
    }
    if ids is not None:
        known = int(scalar(con, "SELECT count(*) FROM trajectories WHERE list_contains(?, id)", [ids]))
        if len(set(ids)) > known:
            found["no such trajectory"] = len(set(ids)) - known
    return found


def explain_none_made(summary: PairSummary) -> str:
    """Why a run made no pairs, in words (the CLI and the page say it instead of a bare 0)."""
    if summary.eligible == 0:
        why = ", ".join(f"{n} {reason}" for reason, n in summary.ineligible.items()) or "the workspace has none"
        return f"no pairs made: no trajectory was eligible ({why}); pairs start from verified synthesised trajectories"
    parts = [
        f"{summary.same_as_chosen} negatives came out equal to the positive" if summary.same_as_chosen else "",
        f"{summary.skipped_trivial} were trivial (--keep-trivial keeps them)" if summary.skipped_trivial else "",
        f"{summary.not_applicable} had no turn this strategy applies to" if summary.not_applicable else "",
        f"{len(summary.failed)} failed" if summary.failed else "",
    ]
    return f"no pairs made from {summary.eligible} eligible trajectories: " + "; ".join(p for p in parts if p)


def make_pairs(
    con: duckdb.DuckDBPyConnection,
    strategy: str,
    *,
    trajectory_ids: list[int] | None = None,
    llm: LLMConfig | None = None,
    annotators: int = 1,
    seed: int = 0,
    progress: Progress | None = None,
    keep_trivial: bool = False,
) -> PairSummary:
    """Make pairs of ``strategy`` for every candidate trajectory; ``keep_trivial`` stores trivial ones too."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    if strategy == "no_hint" and llm is None:
        raise ValueError("no_hint needs a model to continue without hints: pass --model (and --base-url)")
    if annotators < 1:
        raise ValueError("annotators must be at least 1")
    todo = candidate_trajectories(con, strategy, trajectory_ids)
    job_id = start_job(
        con,
        "pairs",
        "openai" if llm else "rules",
        llm.model if llm else None,
        {"strategy": strategy},
        total=len(todo),
    )
    summary = PairSummary(
        job_id=job_id, eligible=len(todo), ineligible=ineligible_trajectories(con, strategy, trajectory_ids)
    )
    client = LLMClient(llm, con, job_id) if llm else None

    def end(crashed: BaseException | None) -> None:
        with transaction(con):
            summary.status, summary.usage = close_job(
                con, job_id, client, items=len(summary.created), finished=summary.reached == len(todo), crashed=crashed
            )

    run_job(
        lambda: run_async(
            _make(con, strategy, todo, client, annotators, seed, summary, progress, keep_trivial), client
        ),
        end,
    )
    return summary


async def _make(
    con: duckdb.DuckDBPyConnection,
    strategy: str,
    todo: list[int],
    client: LLMClient | None,
    annotators: int,
    seed: int,
    summary: PairSummary,
    progress: Progress | None,
    keep_trivial: bool = False,
) -> None:
    """One trajectory at a time; a trajectory that breaks is recorded in ``job_failures`` and the rest go on."""
    pool = EnvPool(con)
    invalid: dict[str, str] = {}
    tools = tool_specs(con, invalid=invalid)
    for n, tid in enumerate(todo, start=1):
        try:
            traj = get_trajectory(con, tid)
            if traj is None:
                raise ValueError(f"trajectory {tid} was removed")
            broken = [invalid[t] for t in traj["tool_ids"] if t in invalid]
            if broken:
                raise ValueError(broken[0])
            rng = random.Random(seed * 1_000_003 + tid)
            made = await _pair_for(traj, strategy, client, pool, tools, rng)
            if not isinstance(made, str) and not keep_trivial and is_trivial(made["chosen"], made["rejected"]):
                made = "trivial"
            pair_id = None
            with transaction(con):
                if not isinstance(made, str):
                    pair_id = store_pair(con, traj, made, strategy, annotators, summary.job_id)
                save_job_progress(con, summary.job_id, client, items=len(summary.created) + (pair_id is not None))
            if pair_id is not None:
                summary.created.append(pair_id)
            elif made == "same":
                summary.same_as_chosen += 1
            elif made == "trivial":
                summary.skipped_trivial += 1
            else:
                summary.not_applicable += 1
        except Exception as exc:  # one bad trajectory never stops the job
            with transaction(con):
                summary.failed[tid] = record_failure(con, summary.job_id, f"trajectory {tid}", exc)
        summary.reached = n
        if progress:
            progress(n / len(todo), f"trajectory {tid} ({n} of {len(todo)}, {len(summary.failed)} failed)")


async def _pair_for(
    traj: dict[str, Any],
    strategy: str,
    client: LLMClient | None,
    pool: EnvPool,
    tools: dict[str, ToolSpec],
    rng: random.Random,
) -> dict[str, Any] | str:
    plans = plans_from_meta(traj["meta"])
    entries = traj["meta"]["plan"]
    options: list[tuple[TurnPlan, dict[str, Any], str | None]] = []
    for plan, entry in zip(plans, entries, strict=True):
        chosen = traj["messages"][entry["start"] + 1 : entry["end"]]
        if strategy == "perturb":
            options += [(plan, entry, k) for k in applicable(plan, bool(_final_text(chosen)))]
        elif plan.kind == "normal" and plan.calls:
            options.append((plan, entry, "wrong_function" if strategy == "misleading_hint" else None))
    if not options:
        return "n/a"
    plan, entry, kind = rng.choice(options)
    prefix = traj["messages"][: entry["start"] + 1]
    chosen = traj["messages"][entry["start"] + 1 : entry["end"]]
    ep = await episode_at(traj, entry["start"] + 1, pool, tools)
    user_text = prefix[-1].get("content") or ""
    if kind == "wrong_summary":
        rejected = copy.deepcopy(chosen)
        rejected[-1]["content"] = wrong_summary(_final_text(chosen), rng)
    else:
        translator: Translator
        if strategy == "no_hint":
            if client is None:  # make_pairs refuses no_hint without a model before any item runs
                raise ValueError("no_hint needs a model to continue without hints")
            translator = LLMTranslator(client, use_hints=False)
            hint = None
        else:
            hint = perturbed_hint(plan, kind or "wrong_function", ep, tools, rng)
            if hint is None:
                return "n/a"
            translator = LLMTranslator(client) if client is not None else TemplateTranslator()
        for c in hint.calls if hint else []:  # planted calls are matched to their slots by the template
            c.turn = plan.index
        await run_turn(ep, hint or plan, translator, hint=hint, rng=rng, user_text=user_text)
        rejected = ep.messages[len(prefix) :]
    if _calls(rejected) == _calls(chosen) and _final_text(rejected) == _final_text(chosen):
        return "same"
    judged = await llm_judge(client, prefix, chosen, rejected) if client is not None else None
    error_type, reason = judged or rule_judge(plan, chosen, rejected)
    offered = [tools[t].openai() for t in ep.offered if t in tools]
    return {
        "turn": plan.index,
        "prefix": prefix,
        "chosen": chosen,
        "rejected": rejected,
        "tools": offered,
        "perturbation": kind,
        "error_type": error_type,
        "judge": "llm" if judged else "rule",
        "judge_reason": reason,
    }


def store_pair(
    con: duckdb.DuckDBPyConnection,
    traj: dict[str, Any] | None,
    made: dict[str, Any],
    strategy: str,
    annotators: int,
    job_id: int | None,
    episode_ref: str | None = None,
) -> int:
    pid = int(scalar(con, "SELECT nextval('pair_seq')"))
    run(
        con,
        """INSERT INTO pairs (id, trajectory_id, episode_ref, turn, prefix, chosen, rejected, tools, strategy,
                              perturbation, error_type, judge, judge_reason, annotators_required, job_id, trivial)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            pid,
            traj["id"] if traj else None,
            episode_ref,
            made["turn"],
            json.dumps(made["prefix"]),
            json.dumps(made["chosen"]),
            json.dumps(made["rejected"]),
            json.dumps(made["tools"]),
            strategy,
            made.get("perturbation"),
            made["error_type"],
            made["judge"],
            made.get("judge_reason"),
            annotators,
            job_id,
            is_trivial(made["chosen"], made["rejected"]),
        ],
    )
    return pid


def get_pair(con: duckdb.DuckDBPyConnection, pair_id: int) -> dict[str, Any] | None:
    found = rows(con, "SELECT * FROM pairs WHERE id = ?", [pair_id])
    if not found:
        return None
    p = found[0]
    for key in ("prefix", "chosen", "rejected", "tools"):
        p[key] = json.loads(p[key])
    return p


def list_pairs(
    con: duckdb.DuckDBPyConnection, *, limit: int = 50, offset: int = 0, trivial: bool | None = None
) -> list[dict[str, Any]]:
    """Pairs with how they were made, whether they are trivial and how many of their labels are in;
    ``trivial`` True or False keeps only the trivial or the non-trivial ones."""
    return rows(
        con,
        """SELECT p.id, p.trajectory_id, p.episode_ref, p.turn, p.strategy, p.perturbation, p.error_type, p.judge,
                  p.trivial, p.annotators_required,
                  (SELECT count(*) FROM pair_labels l WHERE l.pair_id = p.id) AS labels
           FROM pairs p WHERE (? IS NULL OR p.trivial = ?) ORDER BY p.id LIMIT ? OFFSET ?""",
        [trivial, trivial, limit, offset],
    )
