"""Load-balancing and stability losses: plain functions of router outputs, no coefficients (the caller weights them)."""
from __future__ import annotations

import torch
from torch import Tensor

from .checks import check_expert_ids, check_logits, check_same_rows, check_tensor


def _load_fraction_dot_probs(probs: Tensor, indices: Tensor, valid: Tensor | None) -> Tensor:
    """E * sum_i f_i * P_i over the last dims: probs [..., S, E], indices [..., S, k] -> [...]."""
    num_experts = probs.shape[-1]
    batch_shape = indices.shape[:-2]
    # bincount over (group, expert) ids: far faster on CPU than scatter_add_ into E bins
    group_offset = torch.arange(batch_shape.numel(), device=indices.device).view(*batch_shape, 1, 1) * num_experts
    slot_mask = None if valid is None else valid.flatten().float()
    counts = torch.bincount((indices + group_offset).flatten(), slot_mask, minlength=batch_shape.numel() * num_experts)
    counts = counts.view(*batch_shape, num_experts).float()                              # [..., E]
    fraction = counts / counts.sum(-1, keepdim=True).clamp_min(1)                          # f_i, no gradient
    mean_probs = probs.float().mean(dim=-2)                                               # P_i, carries gradient
    return num_experts * (fraction * mean_probs).sum(-1)


def switch_aux_loss(router_probs: Tensor, expert_indices: Tensor, valid: Tensor | None = None) -> Tensor:
    """Switch load-balancing loss E * sum_i f_i * P_i (Fedus et al. 2021; Megatron-Core's convention).

    f_i = c_i / (k T) is the fraction of (valid) slots routed to expert i, P_i = mean_t p_ti. Uniform routing gives
    exactly 1.0; only P carries gradient. HF transformers' `load_balancing_loss_func` uses f_i = c_i / T, so its value
    is k times ours (and it concatenates layers before averaging, letting imbalances of different layers cancel).
    """
    check_tensor("router_probs", router_probs, ndim=2, floating=True)
    check_tensor("expert_indices", expert_indices, ndim=2)
    check_same_rows("expert_indices", expert_indices, "router_probs", router_probs)
    check_expert_ids("expert_indices", expert_indices, router_probs.shape[1])
    if valid is not None and valid.shape != expert_indices.shape:
        raise ValueError(f"valid shape {tuple(valid.shape)} must equal expert_indices shape "
                         f"{tuple(expert_indices.shape)}")
    return _load_fraction_dot_probs(router_probs, expert_indices, valid)


def sequence_aux_loss(router_probs: Tensor, expert_indices: Tensor) -> Tensor:
    """The switch loss computed per sequence, then the mean over sequences (DeepSeek-V3; Megatron's seq aux loss).

    router_probs [B, S, E], expert_indices [B, S, k]. Balances within each sequence, not only over the batch.
    """
    check_tensor("router_probs", router_probs, ndim=3, floating=True)
    check_tensor("expert_indices", expert_indices, ndim=3)
    if expert_indices.shape[:2] != router_probs.shape[:2]:
        raise ValueError(f"expert_indices [B, S] {tuple(expert_indices.shape[:2])} must equal router_probs [B, S] "
                         f"{tuple(router_probs.shape[:2])}")
    check_expert_ids("expert_indices", expert_indices, router_probs.shape[2])
    return _load_fraction_dot_probs(router_probs, expert_indices, None).mean()


def z_loss(router_logits: Tensor) -> Tensor:
    """Router z-loss (ST-MoE): mean_t (logsumexp_j x_tj)^2; keeps logits small. Typical coefficient 1e-3."""
    check_logits("router_logits", router_logits)
    return torch.logsumexp(router_logits.float(), dim=-1).square().mean()


def cv_squared(values: Tensor) -> Tensor:
    """Squared coefficient of variation var / mean^2 (population variance; 0 for a single value)."""
    check_tensor("values", values, ndim=1)
    values = values.float()
    if values.numel() < 2:
        return values.new_zeros(())
    return values.var(unbiased=False) / (values.mean().square() + 1e-10)


def importance_loss(gates: Tensor) -> Tensor:
    """Shazeer 2017 importance loss: CV^2 of the per-expert sum of gates [T, E] (0 for unselected experts)."""
    check_tensor("gates", gates, ndim=2, floating=True)
    return cv_squared(gates.sum(dim=0))


def load_loss(load: Tensor) -> Tensor:
    """Shazeer 2017 load loss: CV^2 of the smooth load estimate [E] (RoutingResult.load of the noisy router)."""
    check_tensor("load", load, ndim=1, floating=True)
    return cv_squared(load)
