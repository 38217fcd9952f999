"""Expert parallelism in one process: ranks are list entries, all-to-all is split + cat."""
import torch


def all_to_all(send_buffers: list[torch.Tensor],
               send_splits: list[list[int]]) -> list[torch.Tensor]:
    """Rank r sends send_splits[r][s] rows of send_buffers[r] (in order) to rank s.

    Returns what each rank receives: the chunks from rank 0, 1, ... concatenated.
    """
    raise NotImplementedError


def ep_moe_forward(x_per_rank: list[torch.Tensor], router_weight: torch.Tensor,
                   local_experts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
                   top_k: int) -> tuple[list[torch.Tensor], list[int]]:
    """x_per_rank[r] [T_r, d]; router_weight [E, d];
    local_experts[r] = (w1, w2, w3) of rank r's contiguous block of experts.

    Returns (outputs, tokens_received): outputs[r] [T_r, d] equals the single-process
    layer on rank r's tokens; tokens_received[r] = rows rank r's experts processed.
    """
    raise NotImplementedError
