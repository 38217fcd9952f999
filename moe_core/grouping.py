"""Expert placement for expert parallelism: contiguous blocks of experts per rank, remainder to the first ranks."""
from __future__ import annotations

from .checks import check_int


def create_expert_groups(num_experts: int, parallel_size: int) -> list[list[int]]:
    """Contiguous expert ids per rank; with a remainder the first ranks get one more expert.

    create_expert_groups(10, 4) -> [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    """
    check_int("num_experts", num_experts, 1)
    check_int("parallel_size", parallel_size, 1, num_experts, "num_experts")
    base, remainder = divmod(num_experts, parallel_size)
    groups = []
    for rank in range(parallel_size):
        start = rank * base + min(rank, remainder)
        groups.append(list(range(start, start + base + (rank < remainder))))
    return groups


def expert_to_rank(num_experts: int, parallel_size: int) -> list[int]:
    """The owner rank of each expert: entry i is the rank holding expert i."""
    return [rank for rank, group in enumerate(create_expert_groups(num_experts, parallel_size)) for _ in group]


def local_experts(num_experts: int, parallel_size: int, rank: int) -> list[int]:
    """The expert ids held by `rank`."""
    groups = create_expert_groups(num_experts, parallel_size)
    check_int("rank", rank, 0, parallel_size - 1, "parallel_size - 1")
    return groups[rank]
