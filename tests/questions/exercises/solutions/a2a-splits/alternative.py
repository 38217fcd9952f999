"""A correct a2a-splits solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def all_to_all_splits(tokens_per_expert, world_size):
    counts = torch.as_tensor(tokens_per_expert).reshape(-1)
    if not 1 <= world_size <= counts.numel():
        raise ValueError("world_size must be in [1, E]")
    base, remainder = divmod(counts.numel(), world_size)
    sizes = [base + (rank < remainder) for rank in range(world_size)]
    return [int(block.sum()) for block in counts.split(sizes)]
