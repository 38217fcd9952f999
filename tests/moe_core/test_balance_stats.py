"""Aux-loss-free bias updates and routing statistics."""
import math

import pytest
import torch

from moe_core import MoELayer, drop_rate, load_cv, max_mean_load, routing_entropy, update_expert_bias


def test_update_expert_bias_moves_toward_balance():
    bias = torch.zeros(4)
    new = update_expert_bias(bias, torch.tensor([10, 2, 4, 4]), rate=0.01)
    torch.testing.assert_close(new, torch.tensor([-0.01, 0.01, 0.01, 0.01]))  # mean 5: only expert 0 is above
    assert bias.eq(0).all()  # not modified in place
    with pytest.raises(ValueError, match="tokens_per_expert has 3 entries, bias has 4"):
        update_expert_bias(bias, torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"rate \(-1\) must be a finite number >= 0"):
        update_expert_bias(bias, torch.tensor([1, 2, 3, 4]), rate=-1)


def test_bias_updates_rebalance_a_skewed_sigmoid_router():
    torch.manual_seed(0)
    layer = MoELayer(8, 8, 8, 2, router="sigmoid_group_limited", router_kwargs={"num_groups": 4, "topk_groups": 2})
    with torch.no_grad():
        layer.router.weight[0] += 1.0  # expert 0 wins for most tokens
    x = torch.randn(256, 8).abs()
    before = max_mean_load(layer(x)[1].tokens_per_expert)
    for _ in range(200):
        tokens_per_expert = layer(x)[1].tokens_per_expert
        layer.router.expert_bias.copy_(update_expert_bias(layer.router.expert_bias, tokens_per_expert, rate=0.01))
    assert max_mean_load(layer(x)[1].tokens_per_expert) < before


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
