"""pass@k and pass^k (tau-bench): unbiased per-task estimators from n trials with c successes, averaged.

pass@k = 1 - C(n-c, k) / C(n, k): the chance that at least one of k trials drawn from the n succeeds.
pass^k = C(c, k) / C(n, k): the chance that all k succeed, i.e. the agent is reliable k times in a row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from math import comb
from typing import Any

SUCCESS_AT = 1 - 1e-6  # a reward counts as a success when it is 1 (tau2 allows float noise)


def is_success(reward: float | None) -> bool:
    return reward is not None and reward >= SUCCESS_AT


def pass_hat_k(n: int, c: int, k: int) -> float:
    if k > n:
        raise ValueError(f"k={k} exceeds the {n} trials")
    return comb(c, k) / comb(n, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    if k > n:
        raise ValueError(f"k={k} exceeds the {n} trials")
    return 1.0 - comb(n - c, k) / comb(n, k)


def report(results: Iterable[tuple[str, bool]], rewards: Iterable[float] | None = None) -> dict[str, Any]:
    """``{"episodes", "tasks", "trials", "pass_hat_k": {"1": ..}, "pass_at_k": {..}}`` from (task, success).

    ``trials`` is the fewest trials any task has, so k runs 1..trials for every task.
    """
    per_task: dict[str, list[bool]] = defaultdict(list)
    episodes = 0
    for task_id, success in results:
        per_task[str(task_id)].append(bool(success))
        episodes += 1
    out: dict[str, Any] = {"episodes": episodes, "tasks": len(per_task), "trials": 0, "pass_hat_k": {}, "pass_at_k": {}}
    if not per_task:
        return out
    trials = min(len(v) for v in per_task.values())
    out["trials"] = trials
    for k in range(1, trials + 1):
        hat = [pass_hat_k(len(v), sum(v), k) for v in per_task.values()]
        at = [pass_at_k(len(v), sum(v), k) for v in per_task.values()]
        out["pass_hat_k"][str(k)] = sum(hat) / len(hat)
        out["pass_at_k"][str(k)] = sum(at) / len(at)
    if rewards is not None:
        values = list(rewards)
        if values:
            out["average_reward"] = sum(values) / len(values)
    return out
