"""The multi-turn DPO objective (MAGNET): L = L_SFT(chosen) + λ · L_mDPO, over assistant turns only.

    L_mDPO = −log σ( η · Σ_turns [ log π(chosen_t)/π_ref(chosen_t) − log π(rejected_t)/π_ref(rejected_t) ] )

where each log π(·) is the sum of the per-token log-probabilities of one assistant turn (user and tool
tokens are context, never scored), and L_SFT is the mean negative log-likelihood per chosen assistant token.
Plain functions over per-token log-probabilities, so a trainer in any framework can check itself against them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Turns = Sequence[Sequence[float]]  # per assistant turn, the log-probabilities of its tokens


@dataclass(frozen=True)
class MDPOLoss:
    total: float
    sft: float
    mdpo: float
    margin: float  # η · Σ_turns (chosen log-ratio − rejected log-ratio)


def _check(name: str, policy: Turns, reference: Turns) -> None:
    if len(policy) != len(reference):
        raise ValueError(f"{name}: {len(policy)} policy turns but {len(reference)} reference turns")
    for i, (p, r) in enumerate(zip(policy, reference, strict=True)):
        if len(p) != len(r):
            raise ValueError(f"{name} turn {i}: {len(p)} policy tokens but {len(r)} reference tokens")
        if any(x > 0 for x in p) or any(x > 0 for x in r):
            raise ValueError(f"{name} turn {i}: log-probabilities must be <= 0")


def log_ratio(policy: Turns, reference: Turns) -> float:
    """Σ over turns of log π(turn) − log π_ref(turn), each turn's log-probability the sum over its tokens."""
    return sum(sum(p) - sum(r) for p, r in zip(policy, reference, strict=True))


def log_sigmoid(x: float) -> float:
    """log σ(x), stable for large |x|."""
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def mdpo_loss(
    chosen_policy: Turns,
    chosen_reference: Turns,
    rejected_policy: Turns,
    rejected_reference: Turns,
    *,
    eta: float = 0.1,
    lam: float = 1.0,
) -> MDPOLoss:
    """The loss for one chosen/rejected conversation pair (turn lists need not be the same length)."""
    _check("chosen", chosen_policy, chosen_reference)
    _check("rejected", rejected_policy, rejected_reference)
    tokens = sum(len(t) for t in chosen_policy)
    if tokens == 0:
        raise ValueError("the chosen side has no assistant tokens")
    sft = -sum(sum(t) for t in chosen_policy) / tokens
    margin = eta * (log_ratio(chosen_policy, chosen_reference) - log_ratio(rejected_policy, rejected_reference))
    mdpo = -log_sigmoid(margin)
    return MDPOLoss(total=sft + lam * mdpo, sft=sft, mdpo=mdpo, margin=margin)


def assistant_mask(roles: Sequence[str]) -> list[bool]:
    """Which messages are scored: assistant turns only."""
    return [r == "assistant" for r in roles]
