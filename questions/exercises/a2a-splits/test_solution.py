"""Tests for all_to_all_splits."""
import pytest
import torch

from solution import all_to_all_splits


def test_example_with_remainder():
    assert all_to_all_splits([3, 0, 5, 2, 1], 2) == [8, 3]


def test_even_placement():
    assert all_to_all_splits(torch.tensor([1, 2, 3, 4, 5, 6, 7, 8]), 4) == [3, 7, 11, 15]


def test_remainder_goes_to_the_first_ranks():
    # 10 experts on 4 ranks: [0, 1, 2], [3, 4, 5], [6, 7], [8, 9]
    counts = [1, 10, 100, 1000, 10000, 100000, 1, 1, 7, 7]
    assert all_to_all_splits(counts, 4) == [111, 111000, 2, 14]


def test_returns_python_ints():
    splits = all_to_all_splits(torch.tensor([2, 2, 2]), 3)
    assert splits == [2, 2, 2]
    assert isinstance(splits, list) and all(type(v) is int for v in splits)


def test_zero_splits_are_kept():
    assert all_to_all_splits([0, 0, 4, 0], 4) == [0, 0, 4, 0]


def test_one_rank_gets_everything():
    assert all_to_all_splits([5, 6, 7], 1) == [18]


@pytest.mark.parametrize("num_experts, world_size", [(16, 3), (257, 8), (64, 64), (9, 4)])
def test_splits_sum_to_the_tokens_and_follow_the_placement(num_experts, world_size):
    torch.manual_seed(num_experts)
    counts = torch.randint(0, 50, (num_experts,))
    splits = all_to_all_splits(counts, world_size)
    assert len(splits) == world_size
    assert sum(splits) == int(counts.sum())
    base, remainder = divmod(num_experts, world_size)
    start = 0
    for rank in range(world_size):
        size = base + (rank < remainder)
        assert splits[rank] == int(counts[start:start + size].sum()), f"rank {rank}"
        start += size


@pytest.mark.parametrize("world_size", [0, 5])
def test_bad_world_size_raises_value_error(world_size):
    with pytest.raises(ValueError):
        all_to_all_splits([1, 2, 3, 4], world_size)
