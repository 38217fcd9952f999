"""Reference for capacity-probs: moe_core.apply_capacity with the "probs" policy."""
import moe_core


def drop_by_probs(expert_indices, weights, num_experts, capacity):
    if weights.shape != expert_indices.shape:
        raise ValueError(f"weights shape {tuple(weights.shape)} must equal expert_indices shape "
                         f"{tuple(expert_indices.shape)}")
    keep, _ = moe_core.apply_capacity(expert_indices, num_experts, capacity, policy="probs", weights=weights)
    return keep, weights * keep
