"""Sinkhorn-balanced routing: the plan's row and column sums, its form diag(a) exp(logits) diag(b), and the routing."""
import pytest
import torch

from moe_core import sinkhorn_balance, sinkhorn_routing


def test_plan_rows_sum_to_one_and_columns_to_an_equal_share():
    torch.manual_seed(0)
    logits = torch.randn(64, 8) * 3
    plan = sinkhorn_balance(logits)
    torch.testing.assert_close(plan.sum(1), torch.ones(64))
    torch.testing.assert_close(plan.sum(0), torch.full((8,), 8.0), atol=1e-2, rtol=0)


def test_plan_is_a_row_and_column_scaling_of_exp_logits():
    torch.manual_seed(1)
    logits = torch.randn(12, 4)
    ratio = (sinkhorn_balance(logits) / logits.exp()).log()       # log a_t + log b_e: rank one in log space
    centred = ratio - ratio.mean(1, keepdim=True) - ratio.mean(0, keepdim=True) + ratio.mean()
    assert centred.abs().max() < 1e-4


def test_routing_spreads_tokens_that_all_prefer_one_expert():
    logits = torch.zeros(8, 4)
    logits[:, 0] = 10.0
    logits[torch.arange(8), torch.arange(8) % 4] += 1.0          # token t's second choice: expert t % 4
    routing = sinkhorn_routing(logits)
    assert routing.indices[:, 0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert logits.softmax(-1).argmax(-1).tolist() == [0] * 8      # plain top-1 would send all to expert 0


def test_weights_are_the_softmax_of_the_chosen_experts_and_carry_gradient():
    logits = torch.randn(16, 4, requires_grad=True)
    routing = sinkhorn_routing(logits, k=2)
    torch.testing.assert_close(routing.weights, logits.softmax(-1).gather(1, routing.indices))
    routing.weights.sum().backward()
    assert logits.grad.abs().sum() > 0


def test_large_logits_stay_finite():
    plan = sinkhorn_balance(torch.randn(16, 4) * 1e4)
    assert torch.isfinite(plan).all()
    torch.testing.assert_close(plan.sum(1), torch.ones(16), atol=1e-3, rtol=0)  # float32 at 1e4


@pytest.mark.parametrize("kwargs, match", [({"iterations": 0}, "iterations"), ({"tol": 0.0}, "tol")])
def test_bad_settings_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sinkhorn_balance(torch.randn(4, 2), **kwargs)
