"""Tests for sinkhorn_balance and sinkhorn_route."""
import torch

from solution import sinkhorn_balance, sinkhorn_route


def skewed_logits(T=64, E=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(T, E, generator=generator) * 2
    logits[:, 0] += 3.0                              # most tokens prefer expert 0
    return logits


def test_rows_sum_to_one_and_columns_to_an_equal_share():
    logits = skewed_logits()
    plan = sinkhorn_balance(logits)
    assert plan.shape == (64, 8)
    torch.testing.assert_close(plan.sum(1), torch.ones(64))
    torch.testing.assert_close(plan.sum(0), torch.full((8,), 8.0), atol=8e-3, rtol=0)


def test_plan_is_a_row_and_column_scaling_of_exp_logits():
    logits = torch.randn(12, 4, generator=torch.Generator().manual_seed(1))
    plan = sinkhorn_balance(logits)
    assert (plan > 0).all()
    log_ratio = (plan / logits.exp()).log()          # log a_t + log b_e
    centred = log_ratio - log_ratio.mean(1, keepdim=True) - log_ratio.mean(0, keepdim=True) + log_ratio.mean()
    assert centred.abs().max() < 1e-4, "plan / exp(logits) must be a_t * b_e"


def test_a_balanced_input_is_left_as_softmax():
    logits = torch.zeros(6, 3)
    logits[torch.arange(6), torch.arange(6) % 3] = 2.0  # each expert is the favourite of 2 tokens
    torch.testing.assert_close(sinkhorn_balance(logits), logits.softmax(-1))


def test_routing_spreads_tokens_that_all_prefer_one_expert():
    logits = torch.zeros(8, 4)
    logits[:, 0] = 10.0
    logits[torch.arange(8), torch.arange(8) % 4] += 1.0  # token t's second choice: expert t % 4
    weights, indices = sinkhorn_route(logits, 1)
    assert indices.shape == (8, 1) and indices.dtype == torch.long
    assert indices[:, 0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]


def test_weights_are_the_plain_softmax_of_the_chosen_experts():
    logits = skewed_logits(T=32, E=6, seed=2).requires_grad_()
    weights, indices = sinkhorn_route(logits, 2)
    torch.testing.assert_close(weights, logits.softmax(-1).gather(1, indices))
    weights.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_large_logits_do_not_overflow():
    logits = torch.randn(16, 4, generator=torch.Generator().manual_seed(3)) * 1e4
    plan = sinkhorn_balance(logits)
    assert torch.isfinite(plan).all()
    torch.testing.assert_close(plan.sum(1), torch.ones(16), atol=1e-3, rtol=0)


def test_iterations_bound_the_work():
    logits = skewed_logits(seed=4)
    one_round = sinkhorn_balance(logits, iterations=1)
    torch.testing.assert_close(one_round.sum(1), torch.ones(64))
    assert (one_round.sum(0) - 8.0).abs().max() > 1e-2, "one round should not balance skewed logits yet"
