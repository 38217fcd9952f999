"""MoE with shared experts (DeepSeekMoE), optionally sigmoid-gated (Qwen2-MoE)."""
import torch


def moe_with_shared_experts(
        x: torch.Tensor, router_weight: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor,
        w3: torch.Tensor, shared: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
        top_k: int, shared_gate: torch.Tensor | None = None) -> torch.Tensor:
    """x [T, d] -> routed top-k SwiGLU experts (renormalised softmax weights)
    + the shared experts on every token.

    shared: list of (w1 [d, f], w2 [f, d], w3 [d, f]); shared_gate [1, d], when given,
    scales the shared part by sigmoid(x @ shared_gate.T).
    """
    raise NotImplementedError
