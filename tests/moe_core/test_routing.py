"""Routers: the math of each strategy, the router modules, and their argument checks."""
import math

import pytest
import torch

from moe_core import (ROUTERS, RouterConfig, build_router, expert_choice, hash_routing, noisy_topk, sigmoid_group_limited,
                      switch_top1, topk_softmax)


def test_topk_softmax_equals_softmax_over_selected_logits():
    logits = torch.tensor([[2.0, -1.0, 0.5, -3.0], [-5.0, -4.0, -6.0, -4.5]])
    result = topk_softmax(logits, 2)
    assert result.indices.tolist() == [[0, 2], [1, 3]]
    torch.testing.assert_close(result.weights, logits.gather(1, result.indices).softmax(-1))
    torch.testing.assert_close(result.probs, logits.softmax(-1))
    assert result.valid is None
    raw = topk_softmax(logits, 2, renormalize=False)
    torch.testing.assert_close(raw.weights, logits.softmax(-1).gather(1, raw.indices))


def test_switch_top1_keeps_the_probability_as_gate():
    logits = torch.randn(6, 5)
    result = switch_top1(logits)
    assert result.indices.shape == (6, 1)
    torch.testing.assert_close(result.weights[:, 0], logits.softmax(-1).max(-1).values)


def test_noisy_topk_eval_is_topk_softmax_and_training_adds_learned_noise():
    logits, noise_logits = torch.randn(32, 6), torch.randn(32, 6, requires_grad=True)
    clean = noisy_topk(logits, noise_logits, 2, train=False)
    torch.testing.assert_close(clean.weights, topk_softmax(logits, 2).weights)
    noisy = noisy_topk(logits, noise_logits, 2, train=True, generator=torch.Generator().manual_seed(0))
    again = noisy_topk(logits, noise_logits, 2, train=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(noisy.indices, again.indices)
    assert not torch.equal(noisy.indices, clean.indices)
    assert noisy.load.shape == (6,) and 0 < noisy.load.sum() <= 32 * 6
    noisy.load.sum().backward()  # the smooth load estimate is differentiable in the noise scale
    assert noise_logits.grad.abs().sum() > 0


def test_noisy_load_estimate_matches_monte_carlo():
    torch.manual_seed(0)
    logits, noise_logits = torch.randn(64, 4), torch.zeros(64, 4)
    estimate = noisy_topk(logits, noise_logits, 1, generator=torch.Generator().manual_seed(1)).load
    generator = torch.Generator().manual_seed(2)
    counts = sum(torch.bincount(noisy_topk(logits, noise_logits, 1, generator=generator).indices[:, 0], minlength=4)
                 for _ in range(400)).float() / 400
    # the estimate conditions on the other experts' noise of one draw, so it is close to, not equal to, the mean
    torch.testing.assert_close(estimate, counts, rtol=0.25, atol=4.0)


def test_expert_choice_each_expert_takes_its_top_tokens():
    logits = torch.randn(10, 4)
    result = expert_choice(logits, 3)
    probs = logits.softmax(-1)
    assert result.indices.shape == result.valid.shape == (10, 4)
    assert result.valid.sum(0).tolist() == [3, 3, 3, 3]
    for expert in range(4):
        best = set(probs[:, expert].argsort(descending=True)[:3].tolist())
        assert set(result.valid[:, expert].nonzero().flatten().tolist()) == best
    torch.testing.assert_close(result.weights, probs * result.valid)
    with pytest.raises(ValueError, match=r"capacity \(11\) must be <= num_tokens \(10\)"):
        expert_choice(logits, 11)


def test_hash_routing_is_fixed_and_spreads_tokens():
    ids = torch.arange(4000)
    result = hash_routing(ids, 8, k=2)
    assert torch.equal(result.indices, hash_routing(ids, 8, k=2).indices)
    assert (result.indices[:, 0] != result.indices[:, 1]).all()
    assert torch.equal(hash_routing(ids[[5, 5]], 8).indices[0], hash_routing(ids[[5, 5]], 8).indices[1])
    counts = torch.bincount(result.indices[:, 0], minlength=8).float()
    assert counts.min() > 0.8 * counts.mean()
    torch.testing.assert_close(result.weights, torch.full((4000, 2), 0.5))
    with pytest.raises(ValueError, match="token_ids must be >= 0"):
        hash_routing(torch.tensor([-1]), 8)


def _logit(p):
    return math.log(p / (1 - p))


def test_sigmoid_group_limited_matches_hand_computation():
    scores = [0.9, 0.1, 0.5, 0.5, 0.8, 0.7, 0.2, 0.95]
    logits = torch.tensor([[_logit(s) for s in scores]])
    # groups of two: sums 1.0, 1.0, 1.5, 1.15 -> groups 2 and 3; best experts there 7 (0.95), 4 (0.8); 0 is excluded
    result = sigmoid_group_limited(logits, torch.zeros(8), 2, num_groups=4, topk_groups=2, routed_scaling_factor=2.5)
    assert result.indices.tolist() == [[7, 4]]
    torch.testing.assert_close(result.weights, torch.tensor([[0.95, 0.8]]) / 1.75 * 2.5)
    torch.testing.assert_close(result.probs, torch.tensor([scores]) / sum(scores))
    # bias +0.6 on expert 1 lifts group 0 to 0.9 + 0.7 = 1.6: groups 0 and 2, choices 0 (0.9) and 4 (0.8);
    # the weights are the unbiased scores
    bias = torch.zeros(8)
    bias[1] = 0.6
    biased = sigmoid_group_limited(logits, bias, 2, num_groups=4, topk_groups=2, routed_scaling_factor=2.5)
    assert biased.indices.tolist() == [[0, 4]]
    torch.testing.assert_close(biased.weights, torch.tensor([[0.9, 0.8]]) / 1.7 * 2.5)


@pytest.mark.parametrize("call, message", [
    (lambda: sigmoid_group_limited(torch.randn(2, 8), torch.zeros(8), 2, 3, 1), r"num_experts \(8\) must be divisible by num_groups \(3\)"),
    (lambda: sigmoid_group_limited(torch.randn(2, 8), torch.zeros(8), 2, 4, 5), r"topk_groups \(5\) must be <= num_groups \(4\)"),
    (lambda: sigmoid_group_limited(torch.randn(2, 8), torch.zeros(8), 5, 4, 2), r"top_k \(5\) must be <= topk_groups \* experts per group \(4\)"),
    (lambda: sigmoid_group_limited(torch.randn(2, 8), torch.zeros(7), 2, 4, 2), r"bias has length 7, expected num_experts \(8\)"),
    (lambda: topk_softmax(torch.randn(2, 8), 9), r"top_k \(9\) must be <= num_experts \(8\)"),
    (lambda: topk_softmax(torch.randn(2, 8), 0), r"top_k \(0\) must be >= 1"),
    (lambda: topk_softmax(torch.randn(8), 2), r"logits must have 2 dims, got shape \(8,\)"),
    (lambda: topk_softmax(torch.tensor([[0.0, float("inf")]]), 1), "logits contains NaN or infinite values"),
    (lambda: noisy_topk(torch.randn(2, 4), torch.randn(3, 4), 1), r"noise_logits shape \(3, 4\) must equal logits shape \(2, 4\)"),
    (lambda: build_router("magic", 8, 4, 1), r"router \('magic'\) must be one of"),
])
def test_bad_router_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", sorted(ROUTERS))
def test_router_modules_share_one_interface(name):
    kwargs = {"num_groups": 2, "topk_groups": 1} if name == "sigmoid_group_limited" else {}
    router = build_router(RouterConfig(name, **kwargs), 8, 4, 1)
    assert router.config == RouterConfig(name, **kwargs) and router.kind == name
    assert router.weight.shape == (4, 8) and isinstance(router, ROUTERS[name])
    result = router(torch.randn(6, 8), token_ids=torch.arange(6))
    assert result.probs.shape == result.logits.shape == (6, 4)
    assert result.weights.shape == result.indices.shape
    assert result.indices.dtype == torch.long
    with pytest.raises(ValueError, match=r"x has last dim 7, expected d_model \(8\)"):
        router(torch.randn(6, 7), token_ids=torch.arange(6))
