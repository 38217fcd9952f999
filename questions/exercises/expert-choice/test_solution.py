"""Tests for expert_choice_routing."""
import pytest
import torch

from solution import expert_choice_routing


def test_shapes_and_dtypes():
    scores = torch.randn(10, 4).softmax(-1)
    gates, token_indices = expert_choice_routing(scores, 3)
    assert gates.shape == (4, 3) and token_indices.shape == (4, 3)
    assert token_indices.dtype == torch.long


def test_each_expert_takes_its_best_tokens_highest_first():
    scores = torch.tensor([[0.7, 0.2, 0.1],
                           [0.1, 0.8, 0.1],
                           [0.5, 0.4, 0.1],
                           [0.3, 0.3, 0.4]])
    gates, token_indices = expert_choice_routing(scores, 2)
    assert token_indices[0].tolist() == [0, 2]
    assert token_indices[1].tolist() == [1, 2]
    assert int(token_indices[2, 0]) == 3
    torch.testing.assert_close(gates[:2], torch.tensor([[0.7, 0.5], [0.8, 0.4]]))


def test_gates_are_the_scores_of_the_chosen_tokens():
    torch.manual_seed(0)
    scores = torch.randn(32, 8).softmax(-1)
    gates, token_indices = expert_choice_routing(scores, 5)
    expected = scores.t().gather(1, token_indices)
    torch.testing.assert_close(gates, expected)
    top = scores.t().topk(5, dim=-1).values
    torch.testing.assert_close(gates, top)


def test_every_expert_is_exactly_full_and_tokens_are_distinct_per_expert():
    torch.manual_seed(1)
    scores = torch.randn(20, 5).softmax(-1)
    _, token_indices = expert_choice_routing(scores, 4)
    for row in token_indices.tolist():
        assert len(set(row)) == 4
        assert all(0 <= t < 20 for t in row)


def test_a_token_can_get_zero_or_several_experts():
    scores = torch.tensor([[0.40, 0.40, 0.20],
                           [0.90, 0.05, 0.05],
                           [0.05, 0.90, 0.05],
                           [0.10, 0.10, 0.80],
                           [0.30, 0.30, 0.40],
                           [0.34, 0.33, 0.33]])
    _, token_indices = expert_choice_routing(scores, 2)
    chosen = torch.bincount(token_indices.reshape(-1), minlength=6)
    assert chosen.tolist() == [2, 1, 1, 1, 1, 0], "token 0 is picked by two experts and token 5 by none"


def test_gradient_reaches_the_scores():
    logits = torch.randn(12, 3, requires_grad=True)
    gates, _ = expert_choice_routing(logits.softmax(-1), 4)
    gates.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("capacity", [0, 11])
def test_bad_capacity_raises_value_error(capacity):
    with pytest.raises(ValueError):
        expert_choice_routing(torch.randn(10, 4).softmax(-1), capacity)
