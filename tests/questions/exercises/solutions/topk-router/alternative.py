"""A correct topk-router solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def topk_softmax(logits, k):
    if not 1 <= k <= logits.shape[-1]:
        raise ValueError("k must be in [1, E]")
    values, indices = logits.topk(k, dim=-1)
    return values.softmax(-1), indices
