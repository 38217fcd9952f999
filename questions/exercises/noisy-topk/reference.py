"""Reference for noisy-topk: moe_core.noisy_topk (gates from its weights, load from its smooth estimate)."""
import torch

import moe_core


def noisy_topk_gating(x, w_gate, w_noise, k, train):
    routing = moe_core.noisy_topk(x @ w_gate, x @ w_noise, k, train=train)
    gates = torch.zeros_like(routing.probs).scatter(1, routing.indices, routing.weights)  # [T, E]
    if routing.load is not None:
        return gates, routing.load
    load = torch.bincount(routing.indices.reshape(-1), minlength=w_gate.shape[1]).float()  # eval: counts
    return gates, load
