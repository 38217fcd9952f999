"""Capacity and drop policies against a per-slot loop; the formula and argument checks."""
import pytest
import torch

from moe_core import apply_capacity, expert_capacity

from moe_core_reference import slow_keep


@pytest.mark.parametrize("args, capacity", [
    ((4096, 8, 2, 1.25), 1280), ((1000, 8, 1, 1.1), 138), ((10, 8, 2, 1.0), 3), ((8, 4, 2, 1.0), 4), ((0, 4, 1, 1.0), 0),
])
def test_expert_capacity(args, capacity):
    assert expert_capacity(*args) == capacity


@pytest.mark.parametrize("args, message", [
    ((16, 8, 2, 0.0), r"capacity_factor \(0.0\) must be a finite number > 0"),
    ((16, 8, 2, -1), r"capacity_factor \(-1\) must be a finite number > 0"),
    ((16, 8, 9, 1.0), r"top_k \(9\) must be <= num_experts \(8\)"),
    ((-1, 8, 2, 1.0), r"num_tokens \(-1\) must be >= 0"),
])
def test_bad_capacity_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        expert_capacity(*args)


def test_position_policy_keeps_the_earliest_tokens():
    indices = torch.tensor([[0, 1], [0, 2], [0, 1], [1, 0]])
    keep, position = apply_capacity(indices, 3, 2)
    assert keep.tolist() == [[True, True], [True, True], [False, True], [False, False]]
    assert position.tolist() == [[0, 0], [1, 0], [2, 1], [2, 3]]


def test_probs_policy_keeps_the_highest_weights_without_renormalising():
    indices = torch.tensor([[0], [0], [0], [1]])
    weights = torch.tensor([[0.2], [0.9], [0.5], [0.1]])
    keep, position = apply_capacity(indices, 2, 2, policy="probs", weights=weights)
    assert keep.flatten().tolist() == [False, True, True, True]
    assert position.flatten().tolist() == [2, 0, 1, 0]


@pytest.mark.parametrize("policy", ["position", "probs"])
def test_random_routings_match_the_slot_loop_and_respect_capacity(policy):
    generator = torch.Generator().manual_seed(0)
    for trial in range(5):
        indices = torch.randint(0, 5, (40, 2), generator=generator)
        weights = torch.rand(40, 2, generator=generator)
        valid = torch.rand(40, 2, generator=generator) > 0.2 if trial % 2 else None
        keep, position = apply_capacity(indices, 5, 7, policy, weights, valid)
        assert torch.equal(keep, slow_keep(indices, 5, 7, policy, weights, valid))
        kept_counts = torch.bincount(indices[keep], minlength=5)
        assert (kept_counts <= 7).all()
        if valid is not None:
            assert (position[~valid] == -1).all() and not keep[~valid].any()


def test_bad_apply_capacity_inputs():
    indices = torch.tensor([[0], [3]])
    with pytest.raises(ValueError, match=r"indices values must be in \[0, num_experts \(3\)\)"):
        apply_capacity(indices, 3, 1)
    with pytest.raises(ValueError, match=r"policy \('random'\) must be one of"):
        apply_capacity(indices, 4, 1, policy="random")
    with pytest.raises(ValueError, match="weights must have the shape of indices"):
        apply_capacity(indices, 4, 1, policy="probs")
    with pytest.raises(ValueError, match=r"capacity \(-1\) must be >= 0"):
        apply_capacity(indices, 4, -1)
