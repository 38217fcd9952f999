"""Reference for capacity-dispatch: moe_core.apply_capacity with the "position" policy."""
import moe_core


def dispatch_with_capacity(expert_indices, num_experts, capacity):
    return moe_core.apply_capacity(expert_indices, num_experts, capacity, policy="position")
