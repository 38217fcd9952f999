"""Tests for topk_softmax."""
import pytest
import torch

from solution import topk_softmax


def expected(logits, k):
    values, indices = logits.topk(k, dim=-1)
    return values.softmax(dim=-1), indices


def test_shapes_and_dtypes():
    weights, indices = topk_softmax(torch.randn(5, 8), 2)
    assert weights.shape == (5, 2) and indices.shape == (5, 2)
    assert weights.is_floating_point()
    assert indices.dtype == torch.long


def test_picks_the_largest_logits_largest_first():
    logits = torch.tensor([[0.1, 2.0, -1.0, 3.0], [5.0, 4.0, 6.0, -2.0]])
    _, indices = topk_softmax(logits, 2)
    assert indices.tolist() == [[3, 1], [2, 0]]


def test_weights_sum_to_one():
    weights, _ = topk_softmax(torch.randn(64, 16) * 3, 4)
    torch.testing.assert_close(weights.sum(-1), torch.ones(64))


def test_negative_logits_give_valid_weights():
    # top-2 of row 0 is (2, -1); dividing by their sum (1) gives the weights 2 and -1
    logits = torch.tensor([[-1.0, 2.0, -5.0, -2.0], [1.0, -1.0, -3.0, -4.0]])
    weights, indices = topk_softmax(logits, 2)
    exp_weights, exp_indices = expected(logits, 2)
    assert (weights >= 0).all() and (weights <= 1).all(), f"weights must be in [0, 1], got {weights}"
    torch.testing.assert_close(weights.float(), exp_weights)
    assert indices.tolist() == exp_indices.tolist()


def test_logits_that_sum_to_zero_stay_finite():
    logits = torch.tensor([[1.0, -1.0, -3.0]])
    weights, _ = topk_softmax(logits, 2)
    assert torch.isfinite(weights).all(), f"weights must be finite, got {weights}"
    torch.testing.assert_close(weights.float(), torch.tensor([[0.8808, 0.1192]]), atol=1e-4, rtol=0)


def test_matches_softmax_over_selected_logits():
    torch.manual_seed(0)
    logits = torch.randn(32, 8) * 2
    weights, indices = topk_softmax(logits, 3)
    exp_weights, exp_indices = expected(logits, 3)
    torch.testing.assert_close(weights.float(), exp_weights)
    assert torch.equal(indices, exp_indices)


def test_k_equals_num_experts_is_plain_softmax_sorted():
    logits = torch.randn(4, 5)
    weights, indices = topk_softmax(logits, 5)
    torch.testing.assert_close(weights.float(), logits.softmax(-1).gather(1, indices))


def test_gradient_reaches_the_logits():
    logits = torch.randn(6, 4, requires_grad=True)
    weights, _ = topk_softmax(logits, 2)
    (weights[:, 0] * torch.arange(6.0)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("k", [0, 5])
def test_bad_k_raises_value_error(k):
    with pytest.raises(ValueError):
        topk_softmax(torch.randn(3, 4), k)
