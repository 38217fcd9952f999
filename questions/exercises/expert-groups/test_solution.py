"""Tests for create_expert_groups."""
import pytest

from solution import create_expert_groups


def test_even_split():
    assert create_expert_groups(8, 4) == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_remainder_goes_to_the_first_ranks():
    assert create_expert_groups(10, 4) == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]


def test_one_rank_holds_everything():
    assert create_expert_groups(5, 1) == [[0, 1, 2, 3, 4]]


def test_one_expert_per_rank():
    assert create_expert_groups(3, 3) == [[0], [1], [2]]


@pytest.mark.parametrize("num_experts, parallel_size", [(7, 3), (64, 6), (257, 8), (16, 16), (9, 2)])
def test_every_expert_exactly_once_in_contiguous_balanced_blocks(num_experts, parallel_size):
    groups = create_expert_groups(num_experts, parallel_size)
    assert len(groups) == parallel_size
    assert [e for group in groups for e in group] == list(range(num_experts))
    sizes = [len(group) for group in groups]
    assert max(sizes) - min(sizes) <= 1, f"sizes {sizes} differ by more than one"
    assert sizes == sorted(sizes, reverse=True), f"the larger groups must come first, got sizes {sizes}"


@pytest.mark.parametrize("num_experts, parallel_size", [(0, 1), (4, 0), (4, -1), (3, 4)])
def test_invalid_sizes_raise_value_error(num_experts, parallel_size):
    with pytest.raises(ValueError):
        create_expert_groups(num_experts, parallel_size)
