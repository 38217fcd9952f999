"""A correct capacity-dispatch solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn.functional as F


def dispatch_with_capacity(expert_indices, num_experts, capacity):
    if capacity < 0:
        raise ValueError("capacity must be >= 0")
    if expert_indices.numel() and (expert_indices.min() < 0 or expert_indices.max() >= num_experts):
        raise ValueError("expert_indices must lie in [0, num_experts)")
    flat = expert_indices.reshape(-1)
    one_hot = F.one_hot(flat, num_experts)                              # [T*k, E]
    position = (one_hot.cumsum(0) - 1).gather(1, flat[:, None]).squeeze(1).view_as(expert_indices)
    return position < capacity, position
