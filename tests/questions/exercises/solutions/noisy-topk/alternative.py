"""A correct noisy-topk solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn.functional as F


def noisy_topk_gating(x, w_gate, w_noise, k, train):
    clean = x @ w_gate
    std = F.softplus(x @ w_noise) + 0.01
    noisy = clean + torch.randn_like(clean) * std if train else clean
    values, indices = noisy.topk(k, dim=-1)
    gates = torch.zeros_like(noisy).scatter(1, indices, values.softmax(-1))
    num_experts = clean.shape[1]
    if not train:
        return gates, torch.bincount(indices.reshape(-1), minlength=num_experts).float()
    if k == num_experts:
        return gates, torch.full((num_experts,), float(x.shape[0]))
    top = noisy.topk(k + 1, dim=-1).values
    is_in = noisy > top[:, k:k + 1]
    threshold = torch.where(is_in, top[:, k:k + 1], top[:, k - 1:k])
    return gates, torch.special.ndtr((clean - threshold) / std).sum(0)
