"""Stacked expert weights: w1 gate / w3 up [E, d_model, d_ff], w2 down [E, d_ff, d_model] (x @ w, no transpose)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .checks import check_choice, check_int
from .dispatch import ACTIVATIONS, expert_ffn


class Experts(nn.Module):
    """E feed-forward experts applied to tokens already sorted by expert (see dispatch.permute)."""

    def __init__(self, num_experts: int, d_model: int, d_ff: int, activation: str = "swiglu"):
        super().__init__()
        check_int("num_experts", num_experts, 1)
        check_int("d_model", d_model, 1)
        check_int("d_ff", d_ff, 1)
        check_choice("activation", activation, ACTIVATIONS)
        self.activation = activation
        # fan-in scaled init keeps the output variance close to the input's
        self.w1 = nn.Parameter(torch.randn(num_experts, d_model, d_ff) * d_model ** -0.5)
        self.w3 = None
        if activation == "swiglu":
            self.w3 = nn.Parameter(torch.randn(num_experts, d_model, d_ff) * d_model ** -0.5)
        self.w2 = nn.Parameter(torch.randn(num_experts, d_ff, d_model) * d_ff ** -0.5)

    def forward(self, x_sorted: Tensor, tokens_per_expert) -> Tensor:
        return expert_ffn(x_sorted, tokens_per_expert, self.w1, self.w2, self.w3, self.activation)
