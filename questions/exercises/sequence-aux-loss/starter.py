"""DeepSeek-V3's sequence-wise balance loss: the switch loss per sequence, then the mean."""
import torch


def sequence_aux_loss(router_probs: torch.Tensor,
                      expert_indices: torch.Tensor) -> torch.Tensor:
    """router_probs [B, S, E], expert_indices [B, S, k] -> scalar
    mean over b of E * sum_i f_bi * P_bi.

    f_bi: share of sequence b's k*S slots sent to expert i (counts, no gradient);
    P_bi: mean over s of router_probs[b, s, i].
    """
    raise NotImplementedError
