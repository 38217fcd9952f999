"""Sort-based dispatch: group token copies by expert (permute) and back (unpermute)."""
import torch


def permute(x: torch.Tensor, expert_indices: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x [T, d], expert_indices [T, k] ->
    (x_sorted [T*k, d], token_index [T*k], slot_index [T*k]).

    Rows sorted by expert id (stable: token-major within an expert);
    slot_index = t * k + j; token_index = t.
    """
    raise NotImplementedError


def unpermute(y_sorted: torch.Tensor, token_index: torch.Tensor,
              weights_sorted: torch.Tensor,
              num_tokens: int) -> torch.Tensor:
    """out [num_tokens, d]: out[t] = sum over the rows n with token_index[n] == t
    of weights_sorted[n] * y_sorted[n]."""
    raise NotImplementedError
