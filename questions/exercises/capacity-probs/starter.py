"""Expert capacity with the "probs" policy: each expert keeps its highest-weight slots."""
import torch


def drop_by_probs(expert_indices: torch.Tensor, weights: torch.Tensor, num_experts: int,
                  capacity: int) -> tuple[torch.Tensor, torch.Tensor]:
    """expert_indices, weights [T, k] -> (keep [T, k] bool, kept_weights [T, k]).

    Per expert, the `capacity` highest weights are kept; ties go to the earlier slot in
    token-major order. kept_weights: 0 where dropped, not renormalised.
    """
    raise NotImplementedError
