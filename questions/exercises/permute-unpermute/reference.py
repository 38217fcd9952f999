"""Reference for permute-unpermute: moe_core.permute (without its tokens_per_expert) and moe_core.unpermute."""
import moe_core
from moe_core import unpermute  # noqa: F401


def permute(x, expert_indices):
    x_sorted, token_index, slot_index, _ = moe_core.permute(x, expert_indices)
    return x_sorted, token_index, slot_index
