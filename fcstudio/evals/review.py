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
from fcstudio.envs.diff import diff, field_changes
from fcstudio.envs.registry import DOMAINS, get_domain, open_env
from fcstudio.evals import eval_store
from fcstudio.evals.rewards import action_matches, all_calls, is_user_side, replay, said
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
    return episode_pair(con, episode_id, chosen_call=chosen_call, annotators=annotators)[0]


def episode_pair(
    con: duckdb.DuckDBPyConnection,
    episode_id: int,
    *,
    chosen_call: dict[str, Any] | None = None,
    annotators: int = 1,
) -> tuple[int, bool]:
    """``make_episode_pair``'s pair id and whether it is new (False: the same pair was made before, so a
    second click can say it is already in the queue)."""
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
        return int(same), False
    return store_pair(con, None, made, "failed_episode", annotators, None, episode_ref=episode_ref), True


# -- why an episode failed, in words -------------------------------------------------------------------
EARLY_ENDS = {
    "max_steps": "the agent ran out of steps",
    "too_many_errors": "too many tool calls failed",
    "agent_error": "the agent's model returned an error",
    "user_error": "the user simulator's model returned an error",
}
_MAX_RECORDS, _MAX_FIELDS = 8, 4


def _show(value: Any, limit: int = 80) -> str:
    """A value as a person reads it: strings bare, anything else as compact JSON, long ones cut."""
    if value is None:
        return "missing"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _call_text(name: str, arguments: dict[str, Any] | None) -> str:
    args = ", ".join(f"{k}={_show(v, 40)}" for k, v in (arguments or {}).items())
    return f"{name}({args})"


def _field_words(changes: dict[str, tuple[Any, Any]]) -> str:
    """``date is 2025-05-03, expected 2025-05-02; ...`` for (expected, actual) pairs, the first few."""
    parts = [
        f"{f} is {_show(actual)}, which the gold does not have"
        if expected is None
        else f"{f} is {_show(actual)}, expected {_show(expected)}"
        for f, (expected, actual) in changes.items()
    ]
    more = len(parts) - _MAX_FIELDS
    return "; ".join(parts[:_MAX_FIELDS]) + (f" (and {more} more field{'s' if more > 1 else ''})" if more > 0 else "")


def _state_lines(d: dict[str, dict[str, Any]]) -> list[str]:
    """Each differing record of an expected → actual diff, field by field: first the records that tell what
    went wrong (added, removed, or with a changed text or flag), then those whose numbers only follow from it
    (seat counts, balances)."""
    telling: list[str] = []
    following: list[str] = []
    for table, parts in d.items():
        for rid, change in parts.get("changed", {}).items():
            numbers_only = all(
                isinstance(v, int | float) and not isinstance(v, bool)
                for pair in change["fields"].values()
                for v in pair
            )
            (following if numbers_only else telling).append(f"{table} {rid}: {_field_words(change['fields'])}.")
        for rid, record in parts.get("added", {}).items():
            telling.append(f"{table} {rid} is in the final database but should not be: {_show(record, 100)}.")
        for rid, record in parts.get("removed", {}).items():
            telling.append(f"{table} {rid} should be in the final database but is not: {_show(record, 100)}.")
    lines = telling + following
    if len(lines) > _MAX_RECORDS:
        lines = [*lines[:_MAX_RECORDS], f"… and {len(lines) - _MAX_RECORDS} more differing records."]
    return lines


def _action_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The gold actions missing or made with other arguments, and the writes no gold action asks for (a tool
    of unknown kind, e.g. tau-bench's ``think``, is not counted)."""
    lines = []
    extra: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        who = "the user" if row.get("requestor") == "user" else "the agent"
        where = " on the phone" if row.get("requestor") == "user" else ""
        gold_args = row.get("gold_arguments") or {}
        if row["status"] == "missing":
            lines.append(f"The gold action {_call_text(row['name'], gold_args)} was never called by {who}{where}.")
        elif row["status"] == "mismatch":
            made = row.get("arguments")
            if made is None:
                lines.append(f"{who.capitalize()} called {row['name']}{where} with arguments that are not valid JSON.")
                continue
            changes = field_changes(gold_args, made)
            lines.append(
                f"{who.capitalize()} called {row['name']}{where} with other arguments than the gold: "
                f"{_field_words(changes) if changes else 'the compared arguments differ'}."
            )
        elif row["status"] == "extra" and row.get("kind") == "write":
            extra.setdefault((who, where, row["name"]), []).append(row)
    for (who, where, name), made in extra.items():
        if len(made) == 1:
            call = _show(_call_text(name, made[0].get("arguments")), 160)
            lines.append(f"{who.capitalize()} called {call}{where}, which no gold action asks for.")
        else:
            lines.append(f"{who.capitalize()} called {name}{where} {len(made)} times more than the gold asks for.")
    return lines


def _unmet(info: dict[str, Any], *keys: str) -> list[dict[str, Any]]:
    for key in keys:
        found = info.get(key)
        if isinstance(found, list):
            return [c for c in found if isinstance(c, dict) and not c.get("met")]
    return []


def _multi_turn_lines(episode: dict[str, Any]) -> list[str]:
    """A BFCL multi-turn episode: the checker's verdict, the turn it failed at, each state field that differs."""
    from fcstudio.evals.bfcl_multi_turn import multi_turn_review

    summary = multi_turn_review(episode)
    if summary is None or summary["valid"]:
        return []
    turn = summary["failed_turn"]
    head = (
        f"The checker failed the episode{'' if turn is None else f' at turn {turn}'}: {summary['error'] or 'invalid'}"
    )
    lines = [head + (f" ({summary['error_message']})." if summary.get("error_message") else ".")]
    for t in summary["turns"]:
        for cls, fields in t["differing"].items():
            for f in fields[:_MAX_FIELDS]:
                lines.append(
                    f"Turn {t['turn']}, {cls}.{f['field']}: is {_show(f['actual'])}, expected {_show(f['expected'])}."
                )
        if not any(t["differing"].values()) and t["turn"] == turn:
            gold = "; ".join(t["ground_truth_calls"]) or "nothing"
            made = "; ".join(str(c) for c in t["model_calls"]) or "nothing"
            lines.append(
                f"Turn {t['turn']}: the ground truth calls {_show(gold, 160)}; the model called {_show(made, 160)}."
            )
    return lines


def explain_failure(episode: dict[str, Any]) -> list[str]:
    """Why a failed episode failed, one sentence per reason, for people (the Episodes page and ``eval review``).

    Reads what the episode records, whatever its source: the reward's checks (fcstudio's runner, tau2 results,
    tau-bench v1 files), the review's alignment and expected → actual state (``ensure_review``), a BFCL checker's
    verdict. A passed episode gets []; a failed one with no recorded reason says what is known."""
    if episode.get("success") or (episode.get("reward") or 0) >= 1:
        return []
    info = episode.get("reward_info") or {}
    gold = episode.get("gold") or {}
    lines: list[str] = []
    if "ground_truth" in gold and "review" in info:
        lines = _multi_turn_lines(episode)
    elif "possible_answer" in gold:  # a BFCL single-turn case
        if info.get("error"):
            lines.append(
                f"The checker rejected the call: {info['error']}"
                + (f" ({_show(info.get('detail'), 200)})." if info.get("detail") else ".")
            )
    else:
        lines = _tau_lines(episode, info, gold)
    termination = episode.get("termination") or ""
    if termination in EARLY_ENDS:
        lines.append(f"The episode ended early ({termination}: {EARLY_ENDS[termination]}), which scores 0.")
    if not lines:
        known = f"Reward {episode.get('reward') or 0:.2f}, ended by {termination or 'an unknown reason'}"
        recorded = sorted(k for k in info if k not in ("reward", "info"))
        lines.append(
            f"{known}; no recorded check says why"
            + (
                f" (the result records only {', '.join(recorded)})."
                if recorded
                else " (the result records only the reward)."
            )
        )
    return lines


def _tau_lines(episode: dict[str, Any], info: dict[str, Any], gold: dict[str, Any]) -> list[str]:
    """A tau-style episode (own run, tau2 results, tau-bench v1): outputs, state, actions, assertions."""
    lines = []
    messages = episode.get("messages") or []
    communicate = info.get("communicate", info.get("communicate_checks"))
    v1_outputs = (info.get("info") or {}).get("outputs") if isinstance(info.get("info"), dict) else None
    if isinstance(communicate, list):
        missing = [str(c.get("info")) for c in communicate if isinstance(c, dict) and not c.get("met")]
    elif isinstance(v1_outputs, dict):  # tau-bench v1: {output: said}
        missing = [str(o) for o, ok in v1_outputs.items() if not ok]
    else:
        missing = [str(o) for o in gold.get("outputs") or [] if not said(messages, str(o))]
    lines += [f'The agent never said "{o}", a required output.' for o in missing]

    review = episode.get("review") or {}
    if review.get("executable") and review.get("diff"):
        lines += _state_lines(review["diff"])
    elif not review.get("executable"):
        db = info.get("db_check") or info.get("db") or {}
        v1: dict[str, Any] = info["info"] if isinstance(info.get("info"), dict) else {}
        if (isinstance(db, dict) and (db.get("db_match") is False or db.get("match") is False)) or v1.get(
            "r_actions"
        ) == 0:
            where = (
                f"; the {episode.get('domain') or 'unknown'} database is not on this machine to say which record"
                if review
                else ""
            )
            lines.append(f"The final database differs from the expected one (the recorded DB check failed){where}.")
    rows = review.get("alignment")
    if rows is not None:
        lines += _action_lines(rows)
    else:  # no review: tau2's own action checks
        for c in info.get("action_checks") or []:
            action = c.get("action") if isinstance(c.get("action"), dict) else c
            if not (c.get("action_match") if "action_match" in c else c.get("matched", True)):
                lines.append(
                    f"The gold action {_call_text(str(action.get('name')), action.get('arguments'))} "
                    "was not made as the gold makes it."
                )
    for v in _unmet(info, "nl", "nl_assertions"):
        text = v.get("assertion") or v.get("nl_assertion") or ""
        why = str(v.get("reason") or v.get("justification") or "").strip().rstrip(".")
        lines.append(f'The assertion "{text}" does not hold' + (f": {why}" if why else "") + ".")
    for checked in _unmet(info, "env_assertions"):
        a: dict[str, Any] = checked["env_assertion"] if isinstance(checked.get("env_assertion"), dict) else checked
        check = _call_text(str(a.get("func_name")), a.get("arguments"))
        side = "the user's phone" if a.get("env_type") == "user" else "the operator's database"
        err = f" ({a['error']})" if a.get("error") else ""
        lines.append(f"The check {check} on {side} should be {a.get('assert_value', True)} and is not{err}.")
    return lines
