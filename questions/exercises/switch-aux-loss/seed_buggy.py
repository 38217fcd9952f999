"""Seed 001 Q25's balance loss as a function: built from counts only (KL of usage to uniform), so no gradient."""
import torch


def switch_aux_loss(router_probs: torch.Tensor, expert_indices: torch.Tensor) -> torch.Tensor:
    num_experts = router_probs.shape[-1]
    batch_size = router_probs.size(0)
    expert_usage = torch.zeros(num_experts, device=router_probs.device)
    for i in range(num_experts):
        expert_usage[i] = (expert_indices == i).sum().float()
    expert_usage = expert_usage / batch_size
    target_usage = torch.ones_like(expert_usage) / num_experts
    balance_loss = torch.nn.functional.kl_div(torch.log(expert_usage + 1e-8), target_usage, reduction="batchmean")
    return 0.1 * balance_loss
