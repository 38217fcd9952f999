"""A correct group-limited-routing solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def group_limited_topk(scores, bias, k, num_groups, topk_groups):
    num_tokens, num_experts = scores.shape
    if num_experts % num_groups or topk_groups > num_groups or k > topk_groups * num_experts // num_groups:
        raise ValueError("bad group settings")
    per_group = num_experts // num_groups
    choice = scores + bias
    grouped = choice.view(num_tokens, num_groups, per_group)
    group_scores = grouped.topk(min(2, per_group), dim=-1).values.sum(-1)
    best = group_scores.topk(topk_groups, dim=-1).indices
    keep = torch.zeros(num_tokens, num_groups, dtype=torch.bool).scatter(1, best, True)
    keep = keep.repeat_interleave(per_group, dim=1)
    indices = choice.masked_fill(~keep, float("-inf")).topk(k, dim=-1).indices
    weights = scores.gather(1, indices)
    return weights / weights.sum(-1, keepdim=True), indices
