"""A correct permute-unpermute solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch


def permute(x, expert_indices):
    k = expert_indices.shape[1]
    slot_index = torch.argsort(expert_indices.reshape(-1), stable=True)
    token_index = slot_index // k
    return x[token_index], token_index, slot_index


def unpermute(y_sorted, token_index, weights_sorted, num_tokens):
    out = y_sorted.new_zeros(num_tokens, y_sorted.shape[1])
    return out.index_add(0, token_index, y_sorted * weights_sorted.unsqueeze(1))
