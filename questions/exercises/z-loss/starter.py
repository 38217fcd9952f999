"""Router z-loss (ST-MoE)."""
import torch


def z_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """router_logits [T, E] -> scalar mean over tokens of logsumexp(logits)^2.

    Stable for large logits.
    """
    raise NotImplementedError
