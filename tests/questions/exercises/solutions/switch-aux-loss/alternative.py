"""A correct switch-aux-loss solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def switch_aux_loss(router_probs, expert_indices):
    num_experts = router_probs.shape[1]
    counts = torch.bincount(expert_indices.reshape(-1), minlength=num_experts).float()
    fraction = counts / expert_indices.numel()
    return num_experts * (fraction * router_probs.mean(0)).sum()
