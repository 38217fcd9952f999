"""Tests for dispatch_with_capacity."""
import pytest
import torch

from solution import dispatch_with_capacity


def expected_positions(indices, num_experts):
    """Slow but obviously right: walk the slots in token-major order."""
    seen = [0] * num_experts
    out = torch.empty_like(indices)
    for t in range(indices.shape[0]):
        for j in range(indices.shape[1]):
            e = int(indices[t, j])
            out[t, j] = seen[e]
            seen[e] += 1
    return out


def test_shapes_and_dtypes():
    keep, position = dispatch_with_capacity(torch.tensor([[0, 1], [1, 2]]), 3, 1)
    assert keep.shape == (2, 2) and position.shape == (2, 2)
    assert keep.dtype == torch.bool
    assert position.dtype == torch.long


def test_earliest_tokens_are_kept():
    indices = torch.zeros(6, 1, dtype=torch.long)
    keep, position = dispatch_with_capacity(indices, 2, 2)
    assert keep[:, 0].tolist() == [True, True, False, False, False, False]
    assert position[:, 0].tolist() == [0, 1, 2, 3, 4, 5]


def test_token_major_order_across_slots():
    # token 0 slot 1 and token 1 slot 0 both go to expert 1: token 0's slot is earlier
    indices = torch.tensor([[0, 1], [1, 0]])
    keep, position = dispatch_with_capacity(indices, 2, 1)
    assert position.tolist() == [[0, 0], [1, 1]]
    assert keep.tolist() == [[True, True], [False, False]]


def test_no_drops_when_capacity_is_large():
    torch.manual_seed(0)
    indices = torch.randint(0, 4, (20, 2))
    keep, _ = dispatch_with_capacity(indices, 4, 40)
    assert keep.all()


def test_capacity_zero_keeps_nothing():
    keep, _ = dispatch_with_capacity(torch.tensor([[0], [1]]), 2, 0)
    assert not keep.any()


def test_matches_the_slow_walk_on_random_routing():
    torch.manual_seed(1)
    T, k, E, capacity = 200, 2, 8, 40
    indices = torch.stack([torch.randperm(E)[:k] for _ in range(T)])
    keep, position = dispatch_with_capacity(indices, E, capacity)
    exp_position = expected_positions(indices, E)
    assert torch.equal(position, exp_position)
    assert torch.equal(keep, exp_position < capacity)
    kept_per_expert = torch.bincount(indices[keep], minlength=E)
    counts = torch.bincount(indices.reshape(-1), minlength=E)
    assert torch.equal(kept_per_expert, counts.clamp(max=capacity))


def test_kept_positions_are_distinct_within_each_expert():
    torch.manual_seed(2)
    indices = torch.randint(0, 5, (300, 3))
    keep, position = dispatch_with_capacity(indices, 5, 50)
    pairs = set()
    for e, p in zip(indices[keep].tolist(), position[keep].tolist()):
        assert 0 <= p < 50
        assert (e, p) not in pairs, f"expert {e} position {p} used twice"
        pairs.add((e, p))


def test_large_batch():
    # 100k tokens x 2 slots: a loop of tensor operations per token runs past the time limit
    torch.manual_seed(3)
    T, E = 100_000, 16
    indices = torch.randint(0, E, (T, 2))
    keep, position = dispatch_with_capacity(indices, E, 10_000)
    counts = torch.bincount(indices.reshape(-1), minlength=E)
    assert torch.equal(torch.bincount(indices[keep], minlength=E), counts.clamp(max=10_000))
    flat = indices.reshape(-1)
    last_slot_of_expert0 = int((flat == 0).nonzero()[-1])
    assert int(position.reshape(-1)[last_slot_of_expert0]) == int(counts[0]) - 1


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError):
        dispatch_with_capacity(torch.tensor([[0], [3]]), 3, 1)
    with pytest.raises(ValueError):
        dispatch_with_capacity(torch.tensor([[0], [1]]), 3, -1)
