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

from dataclasses import dataclass, field
from typing import Any

from fcstudio.envs.bfcl.session import Session, public_state
from fcstudio.envs.bfcl.state import plain
from fcstudio.envs.bfcl.world import World


@dataclass
class MultiTurnVerdict:
    valid: bool
    error_type: str | None = None
    error_message: str = ""
    turn: int | None = None  # the turn the check failed at
    details: dict[str, Any] = field(default_factory=dict)
    # per checked turn: {"turn", "model_results", "ground_truth_results"}; states (plain) of both sides per turn
    turns: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> dict[str, Any]:
        return {"valid": self.valid, "error": self.error_type}


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
    gold = Session.for_entry(entry, world)
    all_model_results: list[str] = []
    turns: list[dict[str, Any]] = []
    for turn, gt_calls in enumerate(ground_truth):
        response = decoded[turn]
        model_results: list[str] = []
        for step in response:
            model_results.extend(model.execute(step))
        gt_results = gold.execute(gt_calls)
        all_model_results.extend(model_results)
        record: dict[str, Any] = {"turn": turn, "model_results": model_results, "ground_truth_results": gt_results}
        if keep_states:
            record["model_state"] = {k: plain(v) for k, v in model.state().items()}
            record["ground_truth_state"] = {k: plain(v) for k, v in gold.state().items()}
        turns.append(record)
        if not gt_calls:
            continue
        if not response or is_empty_response(response):
            return MultiTurnVerdict(
                False,
                "multi_turn:empty_turn_model_response",
                f"Model response list is empty for turn {turn}",
                turn,
                turns=turns,
            )
        for name, gt_instance in gold.instances.items():
            m_instance = model.instances[name]
            differences = {
                attr: {"model": plain(getattr(m_instance, attr)), "ground_truth": plain(value)}
                for attr, value in public_state(gt_instance).items()
                if getattr(m_instance, attr) != value
            }
            if differences:
                return MultiTurnVerdict(
                    False,
                    "multi_turn:instance_state_mismatch",
                    f"Model instance for {name} does not match the state with ground truth instance.",
                    turn,
                    {"class": name, "differences": differences},
                    turns,
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
                turns,
            )
    return MultiTurnVerdict(True, turns=turns)


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
