"""Switch Transformer load-balancing loss."""
import torch


def switch_aux_loss(router_probs: torch.Tensor,
                    expert_indices: torch.Tensor) -> torch.Tensor:
    """router_probs [T, E], expert_indices [T, k] -> scalar E * sum_i f_i * P_i
    (1.0 when uniform).

    f_i = fraction of the k*T slots routed to expert i (no gradient);
    P_i = mean probability of expert i.
    """
    raise NotImplementedError
