"""Failed-episode review: gold actions aligned with the agent's, the first divergence, the state diff, a pair.

Alignment is a small dynamic programme over the two call sequences: a call that matches a gold action
(tau2's comparison) pairs with it, a call of the same function with other arguments is a mismatch, and
the rest are missing gold actions or extra calls. The first divergence is the first mismatch, missing
action, or extra call that writes (extra reads change nothing and are not counted).

For a domain fcstudio can execute, both final states are rebuilt on the initial database (after the task's
set-up): the expected one by replaying the gold actions as a live episode would run them, the actual one by
replaying the recorded calls (the agent's and, in telecom, the user's). Their diff (expected → actual, per
record and field; both the operator's and the user's state) is what the Episodes page shows. tau2's own
DB check builds its expected state without telecom's sync between gold calls; the DB part of the reward
follows tau2 (``runner``), the review compares with what the gold really leaves.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

import duckdb

from fcstudio.catalog.schemas import canonical_json
from fcstudio.envs.base import Environment
from fcstudio.envs.diff import diff
from fcstudio.envs.registry import DOMAINS, get_domain, open_env
from fcstudio.evals import eval_store
from fcstudio.evals.rewards import action_matches, all_calls, is_user_side, replay
from fcstudio.llm import parse_arguments
from fcstudio.prefs.pairs import store_pair
from fcstudio.store import scalar

REVIEW_VERSION = (
    4  # 3: rows carry the requestor (dual control), the state comes from the task's set-up; 4: user_divergence
)


class ReviewError(ValueError):
    """The episode cannot give what was asked (no divergence, no agent turn to reject, bad edit)."""


@lru_cache(maxsize=4)
def _opened(domain: str) -> Environment:
    return open_env(domain)


def executable_env(domain: str) -> Environment | None:
    """A fresh environment for ``domain`` when its database is on this machine, else None."""
    if domain not in DOMAINS or not get_domain(domain).default_db().is_file():
        return None
    loaded = _opened(domain)
    return type(loaded)(loaded.initial, policy=loaded.policy)


# -- alignment -----------------------------------------------------------------------------------------
def align(gold: list[dict[str, Any]], calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ``{"status": match|mismatch|missing|extra, "gold": i|None, "call": j|None}`` in conversation order."""
    n, m = len(gold), len(calls)

    def score(i: int, j: int) -> int:
        if action_matches(gold[i], calls[j]):
            return 3
        return 1 if gold[i]["name"] == calls[j]["name"] else -(10**6)

    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], score(i, j) + best[i + 1][j + 1])
    out: list[dict[str, Any]] = []
    i, j = 0, 0
    while i < n or j < m:
        if i < n and j < m and best[i][j] == score(i, j) + best[i + 1][j + 1] and score(i, j) > 0:
            out.append({"status": "match" if score(i, j) == 3 else "mismatch", "gold": i, "call": j})
            i, j = i + 1, j + 1
        elif j < m and (i == n or best[i][j] == best[i][j + 1]):
            out.append({"status": "extra", "gold": None, "call": j})
            j += 1
        else:
            out.append({"status": "missing", "gold": i, "call": None})
            i += 1
    return out


def _kind(env: Environment | None, name: str) -> str:
    if env is None:
        return "unknown"
    return env.tool_kind(name) or "unknown"


def first_divergence(rows: list[dict[str, Any]]) -> int | None:
    """The first row where the agent went wrong (the user's own calls are not the agent's to get right)."""
    for k, row in enumerate(rows):
        if row.get("requestor", "assistant") == "user":
            continue
        if row["status"] in ("mismatch", "missing"):
            return k
        if row["status"] == "extra" and row.get("kind") not in ("read", "generic"):
            return k
    return None


def first_user_divergence(rows: list[dict[str, Any]]) -> int | None:
    """The first row where the user's own phone calls (dual control) differ from the gold: made otherwise or not
    at all. Not a divergence of the agent's, so no preference pair comes from it, but why the episode failed."""
    for k, row in enumerate(rows):
        if row.get("requestor") == "user" and row["status"] in ("mismatch", "missing"):
            return k
    return None


def _divergence_message(
    rows: list[dict[str, Any]], at: int, calls: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> int | None:
    """The message where the agent went wrong: its own call there, or its next turn after the last call it got right."""
    row = rows[at]
    if row["call"] is not None:
        return calls[row["call"]]["message"]
    before = [r["call"] for r in rows[:at] if r["call"] is not None]
    start = calls[before[-1]]["message"] + 1 if before else 0
    for i in range(start, len(messages)):
        if messages[i].get("role") == "assistant":
            return i
    return None


# -- review ----------------------------------------------------------------------------------------------
def build_review(episode: dict[str, Any], state_diff: dict[str, Any] | None = None) -> dict[str, Any]:
    """Alignment, first divergence, and (when the domain is executable) expected vs actual state.

    ``state_diff`` is the expected → actual diff when the caller already has it (the runner does)."""
    messages = episode["messages"]
    gold_all = list((episode.get("gold") or {}).get("actions") or [])
    initial_state = (episode.get("gold") or {}).get("initial_state")
    calls = all_calls(messages)
    env = executable_env(episode.get("domain") or "")
    # the agent's calls align with the agent's gold actions, the user's (dual control) with the user's
    placed = []  # (message position, side, order within the side, row): merged in conversation order
    for s, side in enumerate(("assistant", "user")):
        gold_ix = [i for i, g in enumerate(gold_all) if (g.get("requestor") or "assistant") == side]
        call_ix = [j for j, c in enumerate(calls) if c["requestor"] == side]
        pos = -1  # a missing gold action sits just after the call before it
        for k, row in enumerate(align([gold_all[i] for i in gold_ix], [calls[j] for j in call_ix])):
            call = call_ix[row["call"]] if row["call"] is not None else None
            if call is not None:
                pos = calls[call]["message"]
            entry = {
                "status": row["status"],
                "gold": gold_ix[row["gold"]] if row["gold"] is not None else None,
                "call": call,
                "requestor": side,
            }
            placed.append((pos, s, k, entry))
    rows = [entry for *_, entry in sorted(placed, key=lambda p: p[:3])]
    gold = gold_all
    for row in rows:
        name = gold[row["gold"]]["name"] if row["gold"] is not None else calls[row["call"]]["name"]
        row["name"] = name
        row["kind"] = _kind(env, name)
        if row["gold"] is not None:
            row["gold_arguments"] = gold[row["gold"]].get("arguments") or {}
        if row["call"] is not None:
            row["arguments"] = calls[row["call"]]["arguments"]
            row["message"] = calls[row["call"]]["message"]
    at = first_divergence(rows)
    review: dict[str, Any] = {
        "version": REVIEW_VERSION,
        "alignment": rows,
        "divergence": at,
        "user_divergence": first_user_divergence(rows),
        "divergence_message": _divergence_message(rows, at, calls, messages) if at is not None else None,
        "executable": env is not None,
    }
    if state_diff is not None:
        review["executable"] = True
        review["diff"] = state_diff
        review["db_match"] = not state_diff
    elif env is not None:
        replay(env, gold_all, initial_state)  # the gold as a live episode leaves it (telecom: synced)
        expected = env.state
        replay(env, [c for c in calls if c["arguments"] is not None], initial_state)
        review["diff"] = diff(expected, env.state)
        review["db_match"] = not review["diff"]  # equal states, i.e. equal hashes, without hashing the database
    return review


def ensure_review(con: duckdb.DuckDBPyConnection, episode_id: int) -> dict[str, Any]:
    """The episode with its review, computed and stored on first use."""
    ep = eval_store.get_episode(con, episode_id)
    if ep is None:
        raise KeyError(f"no episode {episode_id}")
    if (ep.get("review") or {}).get("version") != REVIEW_VERSION:
        ep["review"] = json.loads(json.dumps(build_review(ep), default=str))
        eval_store.save_review(con, episode_id, ep["review"])
    return ep


# -- a preference pair from the divergence ---------------------------------------------------------------
def _turn(messages: list[dict[str, Any]], at: int) -> list[dict[str, Any]]:
    """The assistant message at ``at`` with the tool results that answer it."""
    out = [copy.deepcopy(messages[at])]
    ids = {tc.get("id") for tc in messages[at].get("tool_calls") or []}
    for m in messages[at + 1 :]:
        if m.get("role") != "tool" or m.get("tool_call_id") not in ids:
            break
        out.append(copy.deepcopy(m))
    return out


def make_episode_pair(
    con: duckdb.DuckDBPyConnection,
    episode_id: int,
    *,
    chosen_call: dict[str, Any] | None = None,
    annotators: int = 1,
) -> int:
    """A chosen/rejected pair at the first divergence: rejected = what the agent did there, chosen = the
    gold action (or ``chosen_call`` = ``{"name", "arguments"}``, an edited one), run on the same state.
    Idempotent: asked again for the same episode, turn and chosen call, it returns the pair made before."""
    ep = ensure_review(con, episode_id)
    review = ep["review"]
    if review["divergence"] is None:
        raise ReviewError("the agent's calls match the gold actions: there is no divergence to learn from")
    at = review["divergence_message"]
    if at is None:
        raise ReviewError("the agent took no turn after the divergence, so there is nothing to reject")
    row = review["alignment"][review["divergence"]]
    if chosen_call is None:
        if row["gold"] is None:
            raise ReviewError("the divergence is an extra call with no gold action: give the chosen call to use")
        chosen_call = {"name": row["name"], "arguments": row.get("gold_arguments") or {}}
    if not isinstance(chosen_call.get("name"), str) or not isinstance(chosen_call.get("arguments"), dict):
        raise ReviewError('the chosen call must be {"name": str, "arguments": object}')
    messages = ep["messages"]
    prefix = copy.deepcopy(messages[:at])
    rejected = _turn(messages, at)
    gold_call = {
        "id": f"gold_{episode_id}_{at}",
        "type": "function",
        "function": {"name": chosen_call["name"], "arguments": canonical_json(chosen_call["arguments"])},
    }
    # The chosen turn is the agent's own turn with the divergent call replaced (its other calls kept), or
    # the gold call alone when the agent never made one there.
    turn = copy.deepcopy(messages[at])
    if row["call"] is not None and turn.get("tool_calls"):
        index = all_calls(messages)[row["call"]]["call"]
        turn["tool_calls"][index] = gold_call
    else:
        turn = {"role": "assistant", "content": None, "tool_calls": [gold_call]}
    chosen: list[dict[str, Any]] = [turn]
    env = executable_env(ep.get("domain") or "")
    tools: list[dict[str, Any]] = []
    if env is not None:
        if env.tool_kind(chosen_call["name"]) is None:
            raise ReviewError(f"{chosen_call['name']!r} is not a tool of the {ep['domain']} domain")
        initial_state = (ep.get("gold") or {}).get("initial_state")
        replay(env, [c for c in all_calls(prefix) if c["arguments"] is not None], initial_state)
        for tc in turn["tool_calls"]:
            args, problem = parse_arguments(tc["function"]["arguments"], tc["function"]["name"])
            output = (
                f"Error: {problem}" if problem or args is None else env.execute(tc["function"]["name"], args).output
            )
            chosen.append({"role": "tool", "tool_call_id": tc["id"], "name": tc["function"]["name"], "content": output})
        tools = [t.openai() for t in env.tool_specs()]
    prefix = [m for m in prefix if not is_user_side(m)]  # the pair is the agent's: what the agent saw
    kind = row["status"]
    reason = {
        "mismatch": f"{row['name']} called with other arguments than the gold",
        "missing": f"the gold action {row['name']} was never called",
        "extra": f"{row['name']} called although no gold action asks for it",
    }.get(kind, kind)
    made = {
        "turn": sum(1 for m in prefix if m.get("role") == "user"),
        "prefix": prefix,
        "chosen": chosen,
        "rejected": rejected,
        "tools": tools,
        "perturbation": None,
        "error_type": "missed_function_or_parameters",
        "judge": "rule",
        "judge_reason": f"episode divergence: {reason}",
    }
    episode_ref = f"{ep['run_id']}/{ep['task_id']}/{ep['trial']}#{episode_id}"
    same = scalar(  # a second click (or a second CLI call) for the same turn and chosen call: that pair
        con,
        "SELECT min(id) FROM pairs WHERE episode_ref = ? AND turn = ? AND chosen = ?",
        [episode_ref, made["turn"], json.dumps(made["chosen"])],
    )
    if same is not None:
        return int(same)
    return store_pair(con, None, made, "failed_episode", annotators, None, episode_ref=episode_ref)
