"""Top-k softmax router: pick k experts per token and their combine weights."""
import torch


def topk_softmax(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """logits [T, E] -> (weights [T, k] summing to 1 per token,
                        indices [T, k] long, largest first).

    weights = softmax over all E, top-k, renormalised. Raises ValueError unless 1 <= k <= E.
    """
    raise NotImplementedError
