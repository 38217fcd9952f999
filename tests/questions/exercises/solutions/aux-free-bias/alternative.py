"""A correct aux-free-bias solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def update_expert_bias(bias, tokens_per_expert, rate):
    counts = tokens_per_expert.float()
    return bias + (rate * torch.sign(counts.mean() - counts)).to(bias.dtype)
