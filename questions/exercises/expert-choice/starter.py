"""Expert-choice routing: every expert takes its top-`capacity` tokens."""
import torch


def expert_choice_routing(scores: torch.Tensor,
                          capacity: int) -> tuple[torch.Tensor, torch.Tensor]:
    """scores [T, E] -> (gates [E, C], token_indices [E, C] long):
    each expert's top-C tokens, highest first.

    Raises ValueError unless 1 <= capacity <= T.
    """
    raise NotImplementedError
