"""simulate(): slot accounting, capacity, traffic, placement, reproducibility and the messages of bad settings."""
from __future__ import annotations

import pytest

from moe_core import create_expert_groups, expert_capacity
from sandbox.simulate import SKEWS, simulate

ROUTERS_TOKEN_CHOICE = [dict(router="topk_softmax", top_k=2), dict(router="switch", top_k=1),
                        dict(router="noisy_topk", top_k=2), dict(router="hash", top_k=2),
                        dict(router="sigmoid_group_limited", top_k=2, num_groups=4, topk_groups=2)]


@pytest.mark.parametrize("skew", SKEWS)
@pytest.mark.parametrize("router", ROUTERS_TOKEN_CHOICE, ids=lambda r: r["router"])
@pytest.mark.parametrize("policy", ["position", "probs"])
def test_slots_are_kept_or_dropped_and_no_expert_exceeds_capacity(router, skew, policy):
    result = simulate(num_tokens=1000, num_experts=8, capacity_factor=1.0, drop_policy=policy, skew=skew,
                      ep_size=3, seed=3, **router)
    top_k = router["top_k"]
    assert result.num_slots == 1000 * top_k
    assert sum(result.tokens_per_expert) + result.dropped_tokens == 1000 * top_k
    assert [k + d for k, d in zip(result.tokens_per_expert, result.dropped_per_expert)] == result.routed_per_expert
    assert result.capacity == expert_capacity(1000, 8, top_k, 1.0)
    assert max(result.tokens_per_expert) <= result.capacity
    # an expert drops only when it is full
    assert all(d == 0 or k == result.capacity for k, d in zip(result.tokens_per_expert, result.dropped_per_expert))
    assert sum(map(sum, result.traffic)) == sum(result.tokens_per_expert)
    assert result.drop_rate == pytest.approx(result.dropped_tokens / result.num_slots)


def test_skewed_input_drops_tokens_that_uniform_input_keeps():
    uniform = simulate(num_tokens=4096, skew="uniform", capacity_factor=1.25)
    hot = simulate(num_tokens=4096, skew="hot-expert", hot_bias=3.0, capacity_factor=1.25)
    assert hot.dropped_tokens > 10 * max(1, uniform.dropped_tokens)
    assert hot.load_cv > 3 * uniform.load_cv
    assert hot.aux_loss > uniform.aux_loss > 0.99
    assert hot.routed_per_expert[0] == max(hot.routed_per_expert)  # expert 0 is the hot one


@pytest.mark.parametrize("skew", SKEWS)
def test_dropless_drops_nothing(skew):
    result = simulate(num_tokens=2048, capacity_factor=None, skew=skew, hot_bias=5.0)
    assert result.capacity is None and result.dropped_tokens == 0 and result.drop_rate == 0.0
    assert result.tokens_per_expert == result.routed_per_expert
    assert sum(result.tokens_per_expert) == 2048 * 2


@pytest.mark.parametrize("num_experts, ep_size", [(8, 4), (10, 4), (7, 3), (8, 1), (8, 8)])
def test_traffic_follows_create_expert_groups(num_experts, ep_size):
    result = simulate(num_tokens=999, num_experts=num_experts, ep_size=ep_size, capacity_factor=1.1, seed=1)
    groups = create_expert_groups(num_experts, ep_size)
    assert result.expert_groups == groups
    # each rank processes exactly the kept slots of the experts it owns
    assert result.tokens_per_rank == [sum(result.tokens_per_expert[e] for e in group) for group in groups]
    assert [sum(col) for col in zip(*result.traffic)] == result.tokens_per_rank
    # tokens are split evenly over the source ranks in order (the first ranks take the remainder)
    base, rest = divmod(999, ep_size)
    assert result.tokens_per_source_rank == [base + (r < rest) for r in range(ep_size)]
    assert len(result.traffic) == ep_size and all(len(row) == ep_size for row in result.traffic)


def test_traffic_rows_are_the_source_ranks():
    # dropless top-1 with a hot expert: nearly every token goes to expert 0 on rank 0, from every source rank
    result = simulate(num_tokens=400, num_experts=4, top_k=1, router="switch", capacity_factor=None, ep_size=4,
                      skew="hot-expert", hot_bias=20.0)
    assert [row[0] for row in result.traffic] == [100, 100, 100, 100]
    assert result.remote_slots == 300


def test_expert_choice_is_balanced_and_counts_tokens_without_expert():
    result = simulate(num_tokens=1024, num_experts=8, top_k=2, router="expert_choice", capacity_factor=1.0)
    assert result.routed_per_expert == [result.capacity] * 8 and result.dropped_tokens == 0
    assert result.load_cv == 0.0 and result.aux_loss == 0.0
    assert result.num_slots == 8 * result.capacity
    assert 0 < result.tokens_without_expert < 1024
    assert result.notes == []


@pytest.mark.parametrize("router, capacity_factor", [("expert_choice", 8.0), ("topk_softmax", 4.0)])
def test_a_capacity_of_every_token_is_noted(router, capacity_factor):
    # expert choice: each expert takes every token; token choice: no expert can overflow
    result = simulate(num_tokens=256, num_experts=8, top_k=2, router=router, capacity_factor=capacity_factor)
    assert result.capacity == 256 and result.dropped_tokens == 0
    assert result.notes == ["capacity_covers_every_token"]


def test_hash_routing_has_no_balance_losses_and_no_hot_expert():
    result = simulate(num_tokens=1024, router="hash", skew="hot-expert", hot_bias=20.0, capacity_factor=None)
    assert result.aux_loss == 0.0 and result.z_loss == 0.0
    assert result.max_mean_load < 1.5  # the logit bias does not reach a router that ignores logits


def test_tokens_by_ranks_reached_counts_every_token():
    result = simulate(num_tokens=500, num_experts=8, top_k=2, ep_size=4, capacity_factor=None)
    assert sum(result.tokens_by_ranks_reached) == 500 and len(result.tokens_by_ranks_reached) == 5
    assert result.tokens_by_ranks_reached[0] == 0 and sum(result.tokens_by_ranks_reached[3:]) == 0  # k = 2
    one_rank = simulate(num_tokens=500, num_experts=8, top_k=2, ep_size=1, capacity_factor=None)
    assert one_rank.tokens_by_ranks_reached == [0, 500]


def test_same_seed_same_result_and_other_seed_differs():
    settings = dict(num_tokens=2048, skew="clustered", router="noisy_topk", capacity_factor=1.0)
    assert simulate(seed=5, **settings) == simulate(seed=5, **settings)
    assert simulate(seed=5, **settings).routed_per_expert != simulate(seed=6, **settings).routed_per_expert


def test_weight_histogram_counts_every_valid_slot():
    result = simulate(num_tokens=512, num_experts=16, top_k=4, router="sigmoid_group_limited", num_groups=4,
                      topk_groups=2, routed_scaling_factor=2.5, capacity_factor=None)
    assert sum(result.weight_counts) == 512 * 4
    assert len(result.weight_edges) == len(result.weight_counts) + 1
    assert result.weight_edges[-1] >= 2.5 / 4  # weights are scaled by 2.5


@pytest.mark.parametrize("settings, message", [
    (dict(top_k=9, num_experts=8), "top_k (9) must be <= num_experts (8)"),
    (dict(ep_size=9, num_experts=8), "ep_size (9) must be <= num_experts (8)"),
    (dict(capacity_factor=0.0), "capacity_factor (0.0) must be a finite number > 0"),
    (dict(capacity_factor=-1), "capacity_factor (-1) must be a finite number > 0"),
    (dict(num_tokens=0), "num_tokens (0) must be >= 1"),
    (dict(router="top3"), "router ('top3') must be one of"),
    (dict(router="switch", top_k=2), "top_k (2) must be 1 for the switch router"),
    (dict(drop_policy="random"), "drop_policy ('random') must be one of"),
    (dict(skew="zipf"), "skew ('zipf') must be one of"),
    (dict(skew="clustered", zipf_exponent=11.0), "zipf_exponent (11.0) must be <= 10.0"),
    (dict(hot_bias=float("nan")), "hot_bias must be a finite number"),
    (dict(router="topk_softmax", expert_bias=[0.0] * 8), "expert_bias needs router 'sigmoid_group_limited'"),
    (dict(router="sigmoid_group_limited", num_groups=3), "num_experts (8) must be divisible by num_groups (3)"),
    (dict(router="sigmoid_group_limited", num_groups=4, topk_groups=5), "topk_groups (5) must be <= num_groups (4)"),
])
def test_bad_settings_name_the_constraint(settings, message):
    with pytest.raises(ValueError) as error:
        simulate(**{"num_tokens": 256, **settings})
    assert message in str(error.value)
