"""Router settings (RouterConfig), the routers' capacity rules and route_with_capacity / balance_losses."""
import dataclasses

import pytest
import torch

from moe_core import (ROUTERS, MoELayer, RouterConfig, apply_capacity, balance_losses, build_router, expert_capacity,
                      expert_choice, hot_expert_logit_bias, route_with_capacity, sigmoid_group_limited,
                      switch_aux_loss, z_loss)


def test_router_config_defaults_and_a_str_is_the_kind():
    config = RouterConfig()
    assert (config.kind, config.renormalize, config.num_groups, config.topk_groups,
            config.routed_scaling_factor) == ("topk_softmax", True, 1, 1, 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.kind = "hash"
    assert MoELayer(8, 8, 4, 2, router="hash").router_config == RouterConfig("hash")


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="top3"), r"router \('top3'\) must be one of \['expert_choice', 'hash', 'noisy_topk', "
                        r"'sigmoid_group_limited', 'switch', 'topk_softmax'\]"),
    (dict(renormalize=1), r"renormalize must be a bool, got 1"),
    (dict(kind="sigmoid_group_limited", num_groups=0), r"num_groups \(0\) must be >= 1"),
    (dict(kind="sigmoid_group_limited", num_groups=4, topk_groups=5), r"topk_groups \(5\) must be <= num_groups \(4\)"),
    (dict(kind="sigmoid_group_limited", routed_scaling_factor=0.0),
     r"routed_scaling_factor \(0.0\) must be a finite number > 0"),
    (dict(kind="topk_softmax", num_groups=4),
     r"num_groups \(4\) applies only to router \['sigmoid_group_limited'\], not 'topk_softmax'"),
    (dict(kind="hash", renormalize=False),
     r"renormalize \(False\) applies only to router \['sigmoid_group_limited', 'topk_softmax'\], not 'hash'"),
])
def test_router_config_validation_names_the_setting(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RouterConfig(**kwargs)


def test_settings_checked_against_the_layer_at_construction():
    config = RouterConfig("sigmoid_group_limited", num_groups=3, topk_groups=1)
    with pytest.raises(ValueError, match=r"num_experts \(8\) must be divisible by num_groups \(3\)"):
        MoELayer(8, 8, 8, 2, router=config)
    with pytest.raises(ValueError, match=r"config.kind \('hash'\) must be 'topk_softmax' for TopKSoftmaxRouter"):
        ROUTERS["topk_softmax"](8, 4, 1, RouterConfig("hash"))


def test_renormalize_off_keeps_the_raw_probabilities():
    torch.manual_seed(0)
    x = torch.randn(12, 8)
    raw = build_router(RouterConfig("topk_softmax", renormalize=False), 8, 6, 2)
    normed = build_router("topk_softmax", 8, 6, 2)
    normed.load_state_dict(raw.state_dict())
    r_raw, r_normed = raw(x), normed(x)
    assert torch.equal(r_raw.indices, r_normed.indices)
    torch.testing.assert_close(r_raw.weights, r_raw.probs.gather(1, r_raw.indices))
    assert (r_raw.weights.sum(-1) < 1).all()
    torch.testing.assert_close(r_normed.weights.sum(-1), torch.ones(12))


def test_sigmoid_router_renormalize_and_scaling():
    logits, bias = torch.randn(5, 8), torch.zeros(8)
    kept = sigmoid_group_limited(logits, bias, 2, 4, 2, routed_scaling_factor=2.5, renormalize=False)
    torch.testing.assert_close(kept.weights, logits.sigmoid().gather(1, kept.indices) * 2.5)
    normed = sigmoid_group_limited(logits, bias, 2, 4, 2, routed_scaling_factor=2.5)
    torch.testing.assert_close(normed.weights.sum(-1), torch.full((5,), 2.5))
    config = RouterConfig("sigmoid_group_limited", renormalize=False, num_groups=4, topk_groups=2,
                          routed_scaling_factor=2.5)
    router = build_router(config, 8, 8, 2)
    x = torch.randn(5, 8)
    expected = sigmoid_group_limited(router.logits(x), router.expert_bias, 2, 4, 2, 2.5, renormalize=False)
    torch.testing.assert_close(router(x).weights, expected.weights)


@pytest.mark.parametrize("capacity_factor, policy", [(None, "position"), (0.75, "position"), (0.75, "probs")])
@pytest.mark.parametrize("kind", sorted(ROUTERS))
def test_route_with_capacity_is_the_layers_routing(kind, capacity_factor, policy):
    torch.manual_seed(0)
    layer = MoELayer(8, 12, 8, 1 if kind == "switch" else 2, router=kind, capacity_factor=capacity_factor,
                     drop_policy=policy).eval()
    with torch.no_grad():
        layer.router.weight.normal_(0, 1.0)
    x, ids = torch.randn(20, 8), torch.arange(20)
    routed = route_with_capacity(layer.router, x, capacity_factor, policy, token_ids=ids)
    _, info = layer(x, token_ids=ids)
    assert torch.equal(routed.keep, info.keep) and routed.capacity == info.capacity
    assert torch.equal(routed.routing.indices, info.routing.indices)
    torch.testing.assert_close(routed.routing.weights, info.routing.weights)
    aux, zl = balance_losses(layer.router, routed.routing)
    torch.testing.assert_close(aux, info.aux_loss)
    torch.testing.assert_close(zl, info.z_loss)
    assert routed.keep.dtype == torch.bool and routed.keep.shape == routed.routing.indices.shape


def test_token_choice_capacity_is_megatrons_rule():
    router = build_router("topk_softmax", 8, 4, 2)
    with torch.no_grad():
        router.weight.normal_(0, 2.0)
    x = torch.randn(30, 8)
    routed = route_with_capacity(router, x, 0.5, "probs")
    assert routed.capacity == expert_capacity(30, 4, 2, 0.5) == 8
    expected, _ = apply_capacity(routed.routing.indices, 4, 8, "probs", routed.routing.weights)
    assert torch.equal(routed.keep, expected)
    dropless = route_with_capacity(router, x, None, "position")
    assert dropless.capacity is None and dropless.keep.all()


def test_expert_choice_applies_its_own_capacity_rule():
    router = build_router("expert_choice", 8, 4, 2)
    x = torch.randn(10, 8)
    routed = route_with_capacity(router, x, 1.5, "position")
    assert routed.capacity == min(10, expert_capacity(10, 4, 2, 1.5)) == 8
    assert routed.routing.valid.sum(0).tolist() == [8, 8, 8, 8] and torch.equal(routed.keep, routed.routing.valid)
    torch.testing.assert_close(routed.routing.weights, expert_choice(router.logits(x), 8).weights)
    default = route_with_capacity(router, x, None, "position")  # no capacity factor: 1.0
    assert default.capacity == expert_capacity(10, 4, 2, 1.0) == 5
    assert route_with_capacity(router, x[:3], 4.0, "position").capacity == 3  # never more than T


def test_balance_losses_follow_the_router():
    x = torch.randn(16, 8)
    learned = build_router("topk_softmax", 8, 4, 2)
    routing = learned(x)
    aux, zl = balance_losses(learned, routing)
    torch.testing.assert_close(aux, switch_aux_loss(routing.probs, routing.indices))
    torch.testing.assert_close(zl, z_loss(routing.logits))
    fixed = build_router("hash", 8, 4, 2)
    assert [v.item() for v in balance_losses(fixed, fixed(x, token_ids=torch.arange(16)))] == [0.0, 0.0]
    chooser = build_router("expert_choice", 8, 4, 2)
    aux, zl = balance_losses(chooser, chooser(x))
    assert aux.item() == 0.0 and zl.item() > 0


def test_route_with_capacity_checks_the_drop_policy():
    with pytest.raises(ValueError, match=r"drop_policy \('random'\) must be one of \['position', 'probs'\]"):
        route_with_capacity(build_router("topk_softmax", 8, 4, 2), torch.randn(4, 8), None, "random")


@pytest.mark.parametrize("kind", sorted(ROUTERS))
def test_every_layer_builds_on_the_meta_device(kind):
    # from_hf builds on meta before it assigns the checkpoint's tensors: construction must not read tensor values
    config = RouterConfig("sigmoid_group_limited", num_groups=4, topk_groups=2) if kind == "sigmoid_group_limited" \
        else RouterConfig(kind)
    with torch.device("meta"):
        layer = MoELayer(16, 8, 8, 2 if kind != "switch" else 1, router=config, num_shared_experts=1)
    assert {tensor.device.type for tensor in layer.state_dict().values()} == {"meta"}
    with torch.device("meta"), pytest.raises(ValueError, match=r"num_experts \(8\) must be divisible by num_groups"):
        MoELayer(16, 8, 8, 2, router=RouterConfig("sigmoid_group_limited", num_groups=3))


@pytest.mark.parametrize("kind", sorted(set(ROUTERS) - {"hash"}))
def test_a_logit_bias_shifts_the_logits_before_the_routers_own_rule(kind):
    router = build_router(kind, 8, 4, 1 if kind == "switch" else 2)
    x = torch.randn(32, 8)
    plain = router(x, capacity_factor=1.0)
    router.logit_bias = hot_expert_logit_bias(4, 50.0)
    hot = router(x, capacity_factor=1.0)
    torch.testing.assert_close(hot.logits, plain.logits + torch.tensor([50.0, 0.0, 0.0, 0.0]))
    chosen = hot.indices if hot.valid is None else hot.indices[hot.valid]
    assert (chosen == 0).sum() >= 8  # expert 0 wins every token (expert choice: its capacity of 8)
    assert "logit_bias" not in router.state_dict()  # a setting of the experiment, not a weight


def test_the_hash_router_ignores_the_logit_bias_and_checks_its_token_ids():
    router = build_router("hash", 8, 4, 2)
    x, ids = torch.randn(6, 8), torch.arange(6)
    plain = router(x, token_ids=ids)
    router.logit_bias = hot_expert_logit_bias(4, 50.0)
    assert torch.equal(router(x, token_ids=ids).indices, plain.indices)
    with pytest.raises(ValueError, match=r"token_ids has length 5, expected len\(x\) \(6\)"):
        router(x, token_ids=ids[:5])
    with pytest.raises(ValueError, match=r"expert \(4\) must be <= 3"):
        hot_expert_logit_bias(4, 1.0, expert=4)
