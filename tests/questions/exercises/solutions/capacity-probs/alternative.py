"""A correct capacity-probs solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def drop_by_probs(expert_indices, weights, num_experts, capacity):
    if capacity < 0 or weights.shape != expert_indices.shape:
        raise ValueError("capacity must be >= 0 and weights must have the shape of expert_indices")
    if expert_indices.numel() and (expert_indices.min() < 0 or expert_indices.max() >= num_experts):
        raise ValueError("expert_indices must lie in [0, num_experts)")
    experts = expert_indices.reshape(-1)
    by_weight = torch.argsort(weights.detach().reshape(-1), descending=True, stable=True)
    order = by_weight[torch.argsort(experts[by_weight], stable=True)]
    counts = torch.bincount(experts, minlength=num_experts)
    starts = counts.cumsum(0) - counts
    place = torch.empty_like(experts)
    place[order] = torch.arange(experts.numel()) - starts[experts[order]]
    keep = (place < capacity).view_as(expert_indices)
    return keep, weights * keep
