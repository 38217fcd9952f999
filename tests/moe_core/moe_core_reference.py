"""Slow, obviously-correct references the moe_core tests compare against (per-token loops)."""
import math

import torch

from moe_core import ExpertChoiceRouter, ffn


def slow_keep(indices, num_experts, capacity, policy, weights=None, valid=None):
    """Per-slot loop: which slots fit into each expert's capacity (position: token-major order; probs: weight desc)."""
    num_tokens, k = indices.shape
    slots = [(t, j) for t in range(num_tokens) for j in range(k) if valid is None or valid[t, j]]
    if policy == "probs":
        slots.sort(key=lambda s: -float(weights[s]))  # stable: ties keep token-major order
    keep = torch.zeros(num_tokens, k, dtype=torch.bool)
    used = [0] * num_experts
    for t, j in slots:
        e = int(indices[t, j])
        if used[e] < capacity:
            keep[t, j] = True
            used[e] += 1
    return keep


def slow_layer(layer, x, token_ids=None):
    """The MoE layer as a per-token loop over its slots, routed by the same router module."""
    tokens = x.reshape(-1, x.shape[-1])
    routing = layer.router(tokens, token_ids=None if token_ids is None else token_ids.reshape(-1))
    keep = routing.valid
    if layer.capacity_factor is not None and not isinstance(layer.router, ExpertChoiceRouter):
        capacity = math.ceil(layer.capacity_factor * layer.top_k * tokens.shape[0] / layer.num_experts - 1e-9)
        keep = slow_keep(routing.indices, layer.num_experts, capacity, layer.drop_policy, routing.weights, routing.valid)
    ex = layer.experts
    rows = []
    for t in range(tokens.shape[0]):
        row = torch.zeros_like(tokens[t])
        for j in range(routing.indices.shape[1]):
            if keep is not None and not keep[t, j]:
                continue
            e = int(routing.indices[t, j])
            w3 = None if ex.w3 is None else ex.w3[e]
            row = row + routing.weights[t, j].to(x.dtype) * ffn(tokens[t:t + 1], ex.w1[e], ex.w2[e], w3, ex.activation)[0]
        if layer.shared_experts is not None:
            sh = layer.shared_experts
            row = row + ffn(tokens[t:t + 1], sh.w1[0], sh.w2[0], None if sh.w3 is None else sh.w3[0], sh.activation)[0]
        rows.append(row)
    return torch.stack(rows).reshape(x.shape)
