"""Expert capacity with the "position" policy: each expert keeps its earliest slots."""
import torch


def dispatch_with_capacity(expert_indices: torch.Tensor, num_experts: int,
                           capacity: int) -> tuple[torch.Tensor, torch.Tensor]:
    """expert_indices [T, k] -> (keep [T, k] bool, position [T, k] long), vectorised.

    position = number of earlier slots (token-major order) routed to the same expert;
    keep = position < capacity.
    """
    raise NotImplementedError
