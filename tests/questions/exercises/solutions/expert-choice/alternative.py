"""A correct expert-choice solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def expert_choice_routing(scores, capacity):
    if not 1 <= capacity <= scores.shape[0]:
        raise ValueError("capacity must be in [1, T]")
    gates, token_indices = scores.t().topk(capacity, dim=-1)
    return gates, token_indices
