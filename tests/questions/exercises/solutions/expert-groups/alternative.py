"""A correct expert-groups solution written without moe_core; wrong.yaml breaks it in plausible ways."""
def create_expert_groups(num_experts, parallel_size):
    if num_experts < 1 or parallel_size < 1 or parallel_size > num_experts:
        raise ValueError("need 1 <= parallel_size <= num_experts")
    base, remainder = divmod(num_experts, parallel_size)
    groups, start = [], 0
    for rank in range(parallel_size):
        size = base + (rank < remainder)
        groups.append(list(range(start, start + size)))
        start += size
    return groups
