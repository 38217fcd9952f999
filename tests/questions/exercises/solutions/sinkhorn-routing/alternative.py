"""A correct sinkhorn-routing solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import math

import torch


def sinkhorn_balance(logits, iterations=100, tol=1e-4):
    num_tokens, num_experts = logits.shape
    kernel = logits.detach().float()
    with torch.no_grad():
        log_a = torch.zeros(num_tokens)
        for _ in range(iterations):
            log_b = math.log(num_tokens / num_experts) - torch.logsumexp(kernel + log_a[:, None], dim=0)
            log_a = -torch.logsumexp(kernel + log_b, dim=1)
            plan = (kernel + log_a[:, None] + log_b).exp()
            if (plan.sum(0) * num_experts / num_tokens - 1).abs().max() <= tol:
                break
    return plan


def sinkhorn_route(logits, k):
    indices = sinkhorn_balance(logits).topk(k, dim=-1).indices
    return logits.softmax(-1).gather(1, indices), indices
