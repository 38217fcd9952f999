"""Expert placement: contiguous groups with the remainder on the first ranks (seed 000), and its argument checks."""
import pytest

from moe_core import create_expert_groups, expert_to_rank, local_experts


@pytest.mark.parametrize("num_experts, parallel_size, groups", [
    (8, 4, [[0, 1], [2, 3], [4, 5], [6, 7]]),
    (10, 4, [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]),
    (7, 3, [[0, 1, 2], [3, 4], [5, 6]]),
    (5, 5, [[0], [1], [2], [3], [4]]),
    (3, 1, [[0, 1, 2]]),
])
def test_create_expert_groups(num_experts, parallel_size, groups):
    assert create_expert_groups(num_experts, parallel_size) == groups
    owners = expert_to_rank(num_experts, parallel_size)
    assert len(owners) == num_experts
    for rank, group in enumerate(groups):
        assert local_experts(num_experts, parallel_size, rank) == group
        assert all(owners[e] == rank for e in group)


@pytest.mark.parametrize("args, message", [
    ((8, 0), r"parallel_size \(0\) must be >= 1"),
    ((0, 1), r"num_experts \(0\) must be >= 1"),
    ((4, 5), r"parallel_size \(5\) must be <= num_experts \(4\)"),
    ((4, 2.0), r"parallel_size must be an int"),
])
def test_bad_grouping_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        create_expert_groups(*args)


def test_local_experts_checks_rank():
    with pytest.raises(ValueError, match=r"rank \(4\) must be <= parallel_size - 1 \(3\)"):
        local_experts(8, 4, 4)
