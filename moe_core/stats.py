"""Routing statistics for monitoring and the sandbox: load spread, drops, router entropy (plain floats)."""
from __future__ import annotations

from torch import Tensor

from .checks import check_int, check_tensor


def _load(tokens_per_expert: Tensor) -> Tensor:
    check_tensor("tokens_per_expert", tokens_per_expert, ndim=1)
    if tokens_per_expert.numel() == 0:
        raise ValueError("tokens_per_expert must have at least one expert")
    return tokens_per_expert.float()


def load_cv(tokens_per_expert: Tensor) -> float:
    """Coefficient of variation std / mean of the per-expert load (population std); 0 = perfectly balanced."""
    load = _load(tokens_per_expert)
    mean = load.mean()
    return 0.0 if mean == 0 else float(load.std(unbiased=False) / mean)


def max_mean_load(tokens_per_expert: Tensor) -> float:
    """Busiest expert's load over the mean load; 1 = balanced, E = everything on one expert."""
    load = _load(tokens_per_expert)
    mean = load.mean()
    return 0.0 if mean == 0 else float(load.max() / mean)


def drop_rate(dropped: int, total_slots: int) -> float:
    """Fraction of routed slots dropped by the capacity limit."""
    check_int("total_slots", total_slots, 0)
    check_int("dropped", dropped, 0, total_slots, "total_slots")
    return 0.0 if total_slots == 0 else dropped / total_slots


def routing_entropy(probs: Tensor) -> float:
    """Mean over tokens of the router distribution's entropy in nats; log(E) = uniform, 0 = one-hot."""
    check_tensor("probs", probs, ndim=2, floating=True)
    probs = probs.float()
    return float(-(probs * probs.clamp_min(1e-30).log()).sum(-1).mean())
