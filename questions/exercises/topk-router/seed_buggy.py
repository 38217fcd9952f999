"""Seed 000 §2.2 / 001 Q4's router, as a function: divides the top-k logits by their sum (the bug)."""
import torch


def topk_softmax(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    top_k_weights, top_k_indices = torch.topk(logits, k, dim=-1)
    top_k_weights = top_k_weights / top_k_weights.sum(dim=-1, keepdim=True)
    return top_k_weights, top_k_indices
