"""Aux-loss-free load balancing (DeepSeek-V3): the per-expert bias update."""
import torch


def update_expert_bias(bias: torch.Tensor, tokens_per_expert: torch.Tensor,
                       rate: float) -> torch.Tensor:
    """New bias = bias + rate * sign(mean(c) - c).

    Does not modify `bias`; keeps its dtype.
    """
    raise NotImplementedError
