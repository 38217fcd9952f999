"""Aux-loss-free bias updates and routing statistics."""
import math

import pytest
import torch

from moe_core import MoELayer, RouterConfig, drop_rate, load_cv, max_mean_load, routing_entropy, update_expert_bias


def test_update_expert_bias_moves_toward_balance():
    bias = torch.zeros(4)
    new = update_expert_bias(bias, torch.tensor([10, 2, 4, 4]), rate=0.01)
    torch.testing.assert_close(new, torch.tensor([-0.01, 0.01, 0.01, 0.01]))  # mean 5: only expert 0 is above
    assert bias.eq(0).all()  # not modified in place
    with pytest.raises(ValueError, match=r"tokens_per_expert has length 3, expected len\(bias\) \(4\)"):
        update_expert_bias(bias, torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"rate \(-1\) must be >= 0"):
        update_expert_bias(bias, torch.tensor([1, 2, 3, 4]), rate=-1)
    with pytest.raises(ValueError, match=r"rate must be a finite number, got nan"):
        update_expert_bias(bias, torch.tensor([1, 2, 3, 4]), rate=float("nan"))


def test_bias_updates_rebalance_a_skewed_sigmoid_router():
    torch.manual_seed(0)
    layer = MoELayer(8, 8, 8, 2, router=RouterConfig("sigmoid_group_limited", num_groups=4, topk_groups=2))
    with torch.no_grad():
        layer.router.weight.normal_(0, 1.0)  # distinct tokens get distinct scores, so the bias can move a few at a time
        layer.router.weight[0] += 1.0        # expert 0 wins for most tokens
    x = torch.randn(1024, 8).abs()
    before = max_mean_load(layer(x)[1].tokens_per_expert)
    assert before > 3.0  # skewed: the busiest expert has more than 3x the mean load
    recent = []
    for _ in range(200):
        tokens_per_expert = layer(x)[1].tokens_per_expert
        recent = (recent + [max_mean_load(tokens_per_expert)])[-20:]
        layer.router.expert_bias.copy_(update_expert_bias(layer.router.expert_bias, tokens_per_expert, rate=0.01))
    after = layer(x)[1].tokens_per_expert
    assert max_mean_load(after) < before
    # rebalanced and staying so: every one of the last 20 steps within 15% of the mean, load spread (CV) under 0.1
    assert max(recent) < 1.15 and max_mean_load(after) < 1.15 and load_cv(after) < 0.1
    assert layer.router.expert_bias[0] < layer.router.expert_bias[1:].min()  # the hot expert got the lowest bias


def test_stats():
    assert load_cv(torch.tensor([4, 4, 4, 4])) == 0.0
    assert load_cv(torch.tensor([0, 8])) == pytest.approx(1.0)
    assert max_mean_load(torch.tensor([0, 0, 0, 8])) == pytest.approx(4.0)
    assert max_mean_load(torch.tensor([0, 0])) == 0.0
    assert drop_rate(3, 12) == 0.25 and drop_rate(0, 0) == 0.0
    assert routing_entropy(torch.full((3, 4), 0.25)) == pytest.approx(math.log(4))
    assert routing_entropy(torch.tensor([[1.0, 0.0]])) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"dropped \(5\) must be <= total_slots \(4\)"):
        drop_rate(5, 4)
