"""Sinkhorn-balanced routing: a balanced plan chooses, the plain softmax weighs."""
import torch


def sinkhorn_balance(logits: torch.Tensor, iterations: int = 100,
                     tol: float = 1e-4) -> torch.Tensor:
    """logits [T, E] -> plan [T, E] = diag(a) exp(logits) diag(b), no gradient.

    Rows sum to 1, columns to T / E.
    """
    raise NotImplementedError


def sinkhorn_route(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """-> (weights [T, k]: softmax(logits) of the chosen experts,
           indices [T, k]: the top-k of the plan per token)."""
    raise NotImplementedError
