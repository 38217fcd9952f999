"""Reference for a2a-splits: counts summed per owner rank, the owners from moe_core.expert_to_rank."""
import torch

import moe_core


def all_to_all_splits(tokens_per_expert, world_size):
    counts = torch.as_tensor(tokens_per_expert).reshape(-1).long()              # [E]
    owner = torch.tensor(moe_core.expert_to_rank(counts.numel(), world_size))  # [E] rank of each expert
    splits = torch.zeros(world_size, dtype=torch.long).index_add(0, owner, counts)
    return [int(v) for v in splits]
