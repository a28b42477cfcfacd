"""BFCL's multi-turn checker: the model's decoded calls against the ground truth, turn by turn.

Both sides are executed in sessions of their own that live across turns. A turn whose ground truth is empty
is not checked (the model's calls in it still run, so later state checks see them). Otherwise the model must
have answered with calls, every stateful instance's public attributes must equal the ground truth's, and the
results of all the model's calls so far must contain the ground truth's results of this turn (a multiset,
order free). The first failure ends the check, with BFCL's error type. ``check_entry`` adds the runner's own
checks: a result that is not a list (``multi_turn:inference_error``), a turn count that differs from the
ground truth's (``multi_turn:force_terminated``), and empty steps dropped (as its decoder drops them).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fcstudio.envs.bfcl.classes import STATELESS, api_class
from fcstudio.envs.bfcl.session import Session, is_long_context, public_state
from fcstudio.envs.bfcl.session import clear_caches as session_caches
from fcstudio.envs.bfcl.state import plain
from fcstudio.envs.bfcl.world import World


@dataclass
class MultiTurnVerdict:
    valid: bool
    error_type: str | None = None
    error_message: str = ""
    turn: int | None = None  # the turn the check failed at
    details: dict[str, Any] = field(default_factory=dict)  # live values; plain_details() for JSON
    # per checked turn: {"turn", "model_results", "ground_truth_results"}; states (plain) of both sides per turn
    turns: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> dict[str, Any]:
        return {"valid": self.valid, "error": self.error_type}

    def plain_details(self) -> dict[str, Any]:
        """``details`` as JSON-ready values (a state mismatch keeps the live values until asked)."""
        return plain(self.details)


_MISSING = object()


def _never(long_context: bool, ground_truth: list[list[str]]) -> bool:
    return False


class _GroundTruth:
    """The ground truth's side of a check: its results and each class's public attributes after each turn.

    The ground truth does not depend on the model, so for an entry whose classes share nothing with the
    model's instances (``_shares_world``) it is executed once and its per-turn results and public attributes
    (copies, only ever read) are reused by every later check of the entry; otherwise it runs alongside the
    model's, in the same world, as in BFCL."""

    _memo: ClassVar[
        dict[tuple[int, int, int], tuple[Any, list[tuple[list[str], dict[str, dict[str, Any]]]] | None]]
    ] = {}
    _limit: ClassVar[int] = 2048

    def __init__(self, entry: dict[str, Any], ground_truth: list[list[str]], world: World):
        self.session = Session.for_entry(entry, world)
        self.ground_truth = ground_truth
        self.done: list[tuple[list[str], dict[str, dict[str, Any]]]] | None = None

    @classmethod
    def of(cls, entry: dict[str, Any], ground_truth: list[list[str]], world: World) -> _GroundTruth:
        key = (id(entry), id(ground_truth), id(entry.get("initial_config")))
        hit = cls._memo.get(key)
        if hit is not None and hit[0][0] is entry and hit[0][1] is ground_truth:
            if hit[1] is None:  # this entry's sides share a world: live, as in BFCL
                return cls(entry, ground_truth, world)
            memo = cls.__new__(cls)
            memo.done = hit[1]
            return memo
        if len(cls._memo) >= cls._limit:
            cls._memo.clear()
        long_context = is_long_context(entry["id"])
        if any(
            getattr(api_class(c), "_shares_world", _never)(long_context, ground_truth)
            for c in entry["involved_classes"]
        ):
            cls._memo[key] = ((entry, ground_truth), None)
            return cls(entry, ground_truth, world)
        fresh = cls(entry, ground_truth, World())
        done = []
        for n, calls in enumerate(ground_truth):
            results = fresh.session.execute(calls)
            states = _public_states(fresh.session.instances)
            if n + 1 < len(ground_truth):  # later turns change the instances: keep a copy of this turn's state
                states = pickle.loads(pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL))
            done.append((results, states))
        cls._memo[key] = ((entry, ground_truth), done)
        memo = cls.__new__(cls)
        memo.done = done
        return memo

    def turn(self, n: int) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Turn ``n``'s results and, by class, the public attributes after it (to be read, never changed)."""
        if self.done is not None:
            return self.done[n]
        return self.session.execute(self.ground_truth[n]), _public_states(self.session.instances)


def _public_states(instances: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: public_state(instance) for name, instance in instances.items()}


def clear_caches() -> None:
    """Forget the memoised ground truths and the sessions' templates: the next checks start cold."""
    _GroundTruth._memo.clear()
    session_caches()


def is_empty_response(response: list[Any]) -> bool:
    """BFCL's test: no steps, or one step with no calls."""
    return len(response) == 0 or (len(response) == 1 and len(response[0]) == 0)


def _missing_unordered(expected: list[str], got: list[str]) -> list[str]:
    pool = list(got)
    missing = []
    for item in expected:
        try:
            pool.remove(item)
        except ValueError:
            missing.append(item)
    return missing


def check(
    decoded: list[list[list[str]]], ground_truth: list[list[str]], entry: dict[str, Any], *, keep_states: bool = False
) -> MultiTurnVerdict:
    """BFCL's ``multi_turn_checker`` on one entry: ``decoded`` is, per turn, the model's steps of call strings."""
    world = World()  # the two sides share what BFCL's process would share between them
    model = Session.for_entry(entry, world)
    gold = _GroundTruth.of(entry, ground_truth, world)
    all_model_results: list[str] = []
    turns: list[dict[str, Any]] = []
    for turn, gt_calls in enumerate(ground_truth):
        response = decoded[turn]
        model_results: list[str] = []
        for step in response:
            model_results.extend(model.execute(step))
        gt_results, gt_states = gold.turn(turn)
        all_model_results.extend(model_results)
        record: dict[str, Any] = {"turn": turn, "model_results": model_results, "ground_truth_results": gt_results}
        if keep_states:
            record["model_state"] = {k: plain(v) for k, v in model.state().items()}
            record["ground_truth_state"] = {k: plain(v) for k, v in gt_states.items() if k not in STATELESS}
        turns.append(record)
        empty = not response or is_empty_response(response)
        failed = _judge(turn, gt_calls, empty, model.instances, gt_states, gt_results, all_model_results)
        if failed is not None:
            failed.turns = turns
            return failed
    return MultiTurnVerdict(True, turns=turns)


def _judge(
    turn: int,
    gt_calls: list[str],
    empty: bool,
    model_instances: dict[str, Any],
    gt_states: dict[str, dict[str, Any]],
    gt_results: list[str],
    all_model_results: list[str],
) -> MultiTurnVerdict | None:
    """The check after one turn, or None when it passes (or is not checked: no call was due)."""
    if not gt_calls:
        return None
    if empty:
        return MultiTurnVerdict(
            False, "multi_turn:empty_turn_model_response", f"Model response list is empty for turn {turn}", turn
        )
    for name, gt_state in gt_states.items():
        m_vars = vars(model_instances[name])
        differences = {
            attr: {"model": m_vars.get(attr), "ground_truth": value}
            for attr, value in gt_state.items()
            if m_vars.get(attr, _MISSING) != value
        }
        if differences:
            return MultiTurnVerdict(
                False,
                "multi_turn:instance_state_mismatch",
                f"Model instance for {name} does not match the state with ground truth instance.",
                turn,
                {"class": name, "differences": differences},
            )
    missing = _missing_unordered(gt_results, all_model_results)
    if missing:
        return MultiTurnVerdict(
            False,
            "multi_turn:execution_response_mismatch",
            "Model response execution results so far does not contain all the ground truth response "
            f"execution results for turn {turn}.",
            turn,
            {"missing_items": missing},
        )
    return None


def check_entry(
    model_result: Any, ground_truth: list[list[str]], entry: dict[str, Any], *, keep_states: bool = False
) -> MultiTurnVerdict:
    """The evaluator's per-entry path: shape checks first, then ``check``."""
    if not isinstance(model_result, list):
        return MultiTurnVerdict(
            False,
            "multi_turn:inference_error",
            "Error during inference phase. Model did not output a list of model responses.",
        )
    if len(model_result) != len(ground_truth):
        return MultiTurnVerdict(
            False,
            "multi_turn:force_terminated",
            "Model was force-terminated during inference phase. The length of the model result turns "
            f"({len(model_result)}) does not match the length of the ground truth turns ({len(ground_truth)}).",
        )
    # BFCL's evaluator decodes each step and drops the empty ones before checking
    steps = [[step for step in turn if not is_empty_response(step)] for turn in model_result]
    return check(steps, ground_truth, entry, keep_states=keep_states)
