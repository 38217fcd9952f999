"""Aux-loss-free load balancing (DeepSeek-V3): nudge a per-expert selection bias toward equal load."""
from __future__ import annotations

import torch
from torch import Tensor

from .checks import check_float, check_same_rows, check_tensor


@torch.no_grad()
def update_expert_bias(bias: Tensor, tokens_per_expert: Tensor, rate: float = 1e-3) -> Tensor:
    """New bias b + rate * sign(mean(c) - c): underloaded experts go up, overloaded down. Does not modify `bias`.

    The bias only selects experts (sigmoid_group_limited); it never weights outputs. DeepSeek-V3 uses rate 1e-3.
    """
    check_tensor("bias", bias, ndim=1, floating=True)
    check_tensor("tokens_per_expert", tokens_per_expert, ndim=1)
    check_same_rows("tokens_per_expert", tokens_per_expert, "bias", bias)
    check_float("rate", rate, 0)
    load = tokens_per_expert.to(device=bias.device, dtype=torch.float32)
    return bias + (rate * torch.sign(load.mean() - load)).to(bias.dtype)
