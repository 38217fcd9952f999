"""Expert capacity and token dropping: which routed slots fit into each expert's fixed number of slots."""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .checks import check_choice, check_expert_ids, check_int, check_positive, check_tensor

DROP_POLICIES = ("position", "probs")


def expert_capacity(num_tokens: int, num_experts: int, top_k: int, capacity_factor: float) -> int:
    """Slots per expert: ceil(capacity_factor * top_k * num_tokens / num_experts) (Megatron `get_capacity`)."""
    check_int("num_tokens", num_tokens, 0)
    check_int("num_experts", num_experts, 1)
    check_int("top_k", top_k, 1, num_experts, "num_experts")
    capacity_factor = check_positive("capacity_factor", capacity_factor)
    # the epsilon stops float noise (1.1 * 1000 = 1100.0000000000002) from adding a slot
    return max(0, math.ceil(capacity_factor * top_k * num_tokens / num_experts - 1e-9))


def apply_capacity(indices: Tensor, num_experts: int, capacity: int, policy: str = "position",
                   weights: Tensor | None = None, valid: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Keep at most `capacity` slots per expert; returns (keep [T, k] bool, position_in_expert [T, k] long).

    position_in_expert is the slot's rank in its expert's priority order (kept iff < capacity; -1 for invalid slots).
    - "position": earliest first in token-major order (token t slot j before token t+1), deterministic via a stable
      sort. Megatron's topk over a 0/1 routing map breaks ties arbitrarily; we do not.
    - "probs": highest weight first (ties: earlier slot first); the kept weights are not renormalised.
    A dropped slot contributes nothing to the layer output: the caller's residual connection carries the token.
    """
    check_tensor("indices", indices, ndim=2, integer=True)
    check_int("num_experts", num_experts, 1)
    check_expert_ids("indices", indices, num_experts)
    check_int("capacity", capacity, 0)
    check_choice("policy", policy, DROP_POLICIES)
    if valid is not None and valid.shape != indices.shape:
        raise ValueError(f"valid shape {tuple(valid.shape)} must equal indices shape {tuple(indices.shape)}")
    experts = indices.reshape(-1)                                 # [T*k], token-major
    if valid is not None:
        experts = experts.masked_fill(~valid.reshape(-1), num_experts)  # invalid slots into a spare bucket E
    if policy == "probs":
        if weights is None or weights.shape != indices.shape:
            raise ValueError(f"weights must have the shape of indices {tuple(indices.shape)} for policy 'probs'")
        by_weight = torch.argsort(weights.reshape(-1), descending=True, stable=True)
        order = by_weight[torch.argsort(experts[by_weight], stable=True)]  # by expert, then by weight
    else:
        order = torch.argsort(experts, stable=True)               # by expert, then by position
    counts = torch.bincount(experts, minlength=num_experts + 1)   # [E + 1]
    starts = counts.cumsum(0) - counts
    sorted_experts = experts[order]
    rank = torch.arange(experts.numel(), device=indices.device) - starts[sorted_experts]
    position = torch.empty_like(rank).scatter_(0, order, rank)
    position = position.masked_fill(experts == num_experts, -1).view_as(indices)
    keep = (position >= 0) & (position < capacity)
    return keep, position
