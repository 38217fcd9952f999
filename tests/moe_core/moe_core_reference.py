"""Slow, obviously-correct references the moe_core tests compare against (per-token loops)."""

import torch

from moe_core import ffn


def slow_keep(indices, num_experts, capacity, policy, weights=None, valid=None):
    """Per-slot loop: which slots fit into each expert's capacity (position: token-major order; probs: weight desc)."""
    num_tokens, k = indices.shape
    slots = [(t, j) for t in range(num_tokens) for j in range(k) if valid is None or valid[t, j]]
    if policy == "probs":
        slots.sort(key=lambda s: -float(weights[s].detach()))  # stable: ties keep token-major order
    keep = torch.zeros(num_tokens, k, dtype=torch.bool)
    used = [0] * num_experts
    for t, j in slots:
        e = int(indices[t, j])
        if used[e] < capacity:
            keep[t, j] = True
            used[e] += 1
    return keep


def slow_layer(layer, x, token_ids=None):
    """The MoE layer as a per-token loop over its slots, routed by the same router module.

    Capacity: the router's slots per expert, filled by the slot loop. Under expert choice every expert has exactly
    `capacity` valid slots, so the loop keeps them all, as the router's own rule does.
    """
    tokens = x.reshape(-1, x.shape[-1])
    routing = layer.router(tokens, token_ids=None if token_ids is None else token_ids.reshape(-1),
                           capacity_factor=layer.capacity_factor)
    keep = routing.valid
    capacity = layer.router.capacity(tokens.shape[0], layer.capacity_factor)
    if capacity is not None:
        keep = slow_keep(routing.indices, layer.num_experts, capacity, layer.drop_policy, routing.weights, routing.valid)
    rows = []
    for t in range(tokens.shape[0]):
        row = torch.zeros_like(tokens[t])
        for j in range(routing.indices.shape[1]):
            if keep is None or keep[t, j]:
                expert_output = run_expert(layer.experts, int(routing.indices[t, j]), tokens[t:t + 1])
                row = row + routing.weights[t, j].to(x.dtype) * expert_output
        if layer.shared_experts is not None:
            shared = run_expert(layer.shared_experts, 0, tokens[t:t + 1])
            if layer.shared_gate is not None:
                shared = shared * torch.sigmoid(tokens[t] @ layer.shared_gate.weight[0])
            row = row + shared
        rows.append(row)
    return torch.stack(rows).reshape(x.shape)


def run_expert(experts, e, x):
    """Expert e of an Experts module on rows x [n, d] -> [d] (n = 1)."""
    w3 = None if experts.w3 is None else experts.w3[e]
    return ffn(x, experts.w1[e], experts.w2[e], w3, experts.activation)[0]
