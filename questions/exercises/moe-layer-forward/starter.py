"""The whole MoE layer: route, apply the capacity, permute, run the experts, combine."""
import torch


def moe_forward(x: torch.Tensor, router_weight: torch.Tensor, w1: torch.Tensor,
                w2: torch.Tensor, w3: torch.Tensor, top_k: int,
                capacity_factor: float | None = None) -> torch.Tensor:
    """x [T, d], router_weight [E, d], w1 / w3 [E, d, ff], w2 [E, ff, d] -> out [T, d].

    Top-k softmax routing (renormalised); at most ceil(capacity_factor * top_k * T / E)
    slots per expert, the earliest in token-major order (None: no dropping); SwiGLU
    experts; the weighted sum of the kept slots.
    """
    raise NotImplementedError
