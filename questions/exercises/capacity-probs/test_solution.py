"""Tests for drop_by_probs."""
import pytest
import torch

from solution import drop_by_probs


def expected_keep(indices, weights, num_experts, capacity):
    """Slow but obviously right: sort each expert's slots by (-weight, position)."""
    flat_ids, flat_weights = indices.reshape(-1).tolist(), weights.reshape(-1).tolist()
    keep = [False] * len(flat_ids)
    for e in range(num_experts):
        slots = sorted((-flat_weights[n], n) for n in range(len(flat_ids)) if flat_ids[n] == e)
        for _, n in slots[:capacity]:
            keep[n] = True
    return torch.tensor(keep).view_as(indices)


def test_shapes_and_dtypes():
    keep, kept = drop_by_probs(torch.tensor([[0, 1], [1, 0]]), torch.tensor([[0.6, 0.4], [0.7, 0.3]]), 2, 1)
    assert keep.shape == (2, 2) and kept.shape == (2, 2)
    assert keep.dtype == torch.bool and kept.is_floating_point()


def test_keeps_the_highest_weights_not_the_earliest():
    indices = torch.zeros(5, 1, dtype=torch.long)
    weights = torch.tensor([[0.1], [0.9], [0.5], [0.7], [0.2]])
    keep, kept = drop_by_probs(indices, weights, 2, 2)
    assert keep[:, 0].tolist() == [False, True, False, True, False]
    torch.testing.assert_close(kept, torch.tensor([[0.0], [0.9], [0.0], [0.7], [0.0]]))


def test_each_expert_has_its_own_capacity():
    indices = torch.tensor([[0], [1], [0], [1], [1]])
    weights = torch.tensor([[0.2], [0.3], [0.9], [0.8], [0.1]])
    keep, _ = drop_by_probs(indices, weights, 2, 1)
    assert keep[:, 0].tolist() == [False, False, True, True, False]


def test_ties_go_to_the_earlier_slot_in_token_major_order():
    indices = torch.tensor([[1, 0], [0, 1], [0, 1]])
    weights = torch.full((3, 2), 0.5)
    keep, _ = drop_by_probs(indices, weights, 2, 1)
    assert keep.tolist() == [[True, True], [False, False], [False, False]]


def test_kept_weights_are_not_renormalised_and_carry_gradient():
    indices = torch.tensor([[0, 1], [0, 1], [0, 2]])
    weights = torch.tensor([[0.6, 0.4], [0.7, 0.3], [0.9, 0.1]], requires_grad=True)
    keep, kept = drop_by_probs(indices, weights, 3, 1)
    assert keep.tolist() == [[False, True], [False, False], [True, True]]
    torch.testing.assert_close(kept.detach(), torch.tensor([[0.0, 0.4], [0.0, 0.0], [0.9, 0.1]]))
    (kept * torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    torch.testing.assert_close(weights.grad, torch.tensor([[0.0, 2.0], [0.0, 0.0], [5.0, 6.0]]))


def test_capacity_zero_keeps_nothing_and_large_capacity_keeps_all():
    indices, weights = torch.randint(0, 3, (10, 2)), torch.rand(10, 2)
    assert not drop_by_probs(indices, weights, 3, 0)[0].any()
    assert drop_by_probs(indices, weights, 3, 20)[0].all()


def test_matches_the_slow_sort_on_random_routing():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(300, 8, generator=generator)
    weights, indices = logits.softmax(-1).topk(2, dim=-1)
    keep, kept = drop_by_probs(indices, weights, 8, 60)
    assert torch.equal(keep, expected_keep(indices, weights, 8, 60))
    torch.testing.assert_close(kept, weights * keep)


def test_large_batch():
    # 100k tokens x 2 slots: a Python loop over tokens runs past the time limit
    generator = torch.Generator().manual_seed(1)
    weights, indices = torch.randn(100_000, 16, generator=generator).softmax(-1).topk(2, dim=-1)
    keep, _ = drop_by_probs(indices, weights, 16, 10_000)
    counts = torch.bincount(indices.reshape(-1), minlength=16)
    assert torch.equal(torch.bincount(indices[keep], minlength=16), counts.clamp(max=10_000))
    expert = int(counts.argmax())
    mine = indices == expert
    lowest_kept = weights[mine & keep].min()
    highest_dropped = weights[mine & ~keep].max()
    assert lowest_kept >= highest_dropped


def test_bad_arguments_raise_value_error():
    indices, weights = torch.tensor([[0], [1]]), torch.tensor([[0.5], [0.5]])
    with pytest.raises(ValueError):
        drop_by_probs(indices, weights, 2, -1)
    with pytest.raises(ValueError):
        drop_by_probs(torch.tensor([[0], [2]]), weights, 2, 1)
    with pytest.raises(ValueError):
        drop_by_probs(indices, torch.tensor([0.5, 0.5]), 2, 1)
