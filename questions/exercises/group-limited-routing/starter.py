"""DeepSeek-V3 routing: biased, group-limited top-k selection with unbiased weights."""
import torch


def group_limited_topk(scores: torch.Tensor, bias: torch.Tensor, k: int, num_groups: int,
                       topk_groups: int) -> tuple[torch.Tensor, torch.Tensor]:
    """scores [T, E] (sigmoid), bias [E] ->
    (weights [T, k] summing to 1, indices [T, k] long).

    Select with scores + bias inside the best topk_groups groups (group score = the sum
    of its top-2); weight with the unbiased scores, renormalised.
    """
    raise NotImplementedError
