"""Noisy top-k gating (Shazeer et al. 2017) with the smooth load estimate."""
import torch


def noisy_topk_gating(x: torch.Tensor, w_gate: torch.Tensor, w_noise: torch.Tensor, k: int,
                      train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """x [T, d], w_gate [d, E], w_noise [d, E] ->
    (gates [T, E] with k non-zeros per row, load [E]).

    Noise std = softplus(x @ w_noise) + 0.01, added only when train.
    load = the smooth estimate (train) or the counts (eval).
    """
    raise NotImplementedError
