"""A correct sequence-aux-loss solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn.functional as F


def sequence_aux_loss(router_probs, expert_indices):
    if router_probs.dim() != 3 or expert_indices.dim() != 3 or router_probs.shape[:2] != expert_indices.shape[:2]:
        raise ValueError("router_probs [B, S, E] and expert_indices [B, S, k] must share B and S")
    batch, seq, num_experts = router_probs.shape
    k = expert_indices.shape[2]
    counts = F.one_hot(expert_indices, num_experts).sum(dim=(1, 2)).float()   # [B, E]
    fraction = counts / (k * seq)
    mean_probs = router_probs.mean(dim=1)                                     # [B, E]
    return (num_experts * (fraction * mean_probs).sum(-1)).mean()
