"""A correct moe-layer-forward solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import math

import torch
import torch.nn.functional as F


def moe_forward(x, router_weight, w1, w2, w3, top_k, capacity_factor=None):
    num_tokens, num_experts = x.shape[0], router_weight.shape[0]
    probs = (x.float() @ router_weight.float().T).softmax(-1)          # [T, E]
    weights, indices = probs.topk(top_k, dim=-1)                       # [T, k]
    weights = weights / weights.sum(-1, keepdim=True)
    flat = indices.reshape(-1)                                         # [T*k] token-major
    order = torch.argsort(flat, stable=True)
    counts = torch.bincount(flat, minlength=num_experts)
    starts = counts.cumsum(0) - counts
    position = torch.empty_like(flat)
    position[order] = torch.arange(flat.numel()) - starts[flat[order]]
    keep = torch.ones_like(flat, dtype=torch.bool)
    if capacity_factor is not None:
        keep = position < math.ceil(capacity_factor * top_k * num_tokens / num_experts)
    slots = order[keep[order]]                                         # kept slots grouped by expert
    token_index = slots // top_k
    kept_counts = torch.bincount(flat[slots], minlength=num_experts).tolist()
    outputs = []
    for e, rows in enumerate(x[token_index].split(kept_counts)):
        outputs.append((F.silu(rows @ w1[e]) * (rows @ w3[e])) @ w2[e])
    y = torch.cat(outputs) * weights.reshape(-1)[slots].unsqueeze(1)
    return torch.zeros_like(x).index_add(0, token_index, y)
