"""MoELayer against slow references: every router, with and without capacity, forward and gradients."""
import pytest
import torch
import torch.nn.functional as F

from moe_core import ROUTERS, MoELayer, RouterConfig

from moe_core_reference import slow_layer

ROUTER_CONFIGS = {"sigmoid_group_limited": RouterConfig("sigmoid_group_limited", num_groups=4, topk_groups=2,
                                                       routed_scaling_factor=2.5)}


def make_layer(router, capacity_factor=None, drop_policy="position", **kw):
    torch.manual_seed(0)
    top_k = 1 if router == "switch" else 2
    layer = MoELayer(8, 12, 8, top_k, router=ROUTER_CONFIGS.get(router, router), capacity_factor=capacity_factor,
                     drop_policy=drop_policy, **kw)
    with torch.no_grad():
        layer.router.weight.normal_(0, 1.0)  # confident routing: a few experts get many tokens, so capacity bites
        if router == "sigmoid_group_limited":
            layer.router.expert_bias.copy_(torch.linspace(-0.3, 0.3, 8))
    return layer


def grads(module, x):
    return [x.grad] + [p.grad for p in module.parameters() if p.requires_grad]


def run(layer, fn, x, ids):
    if hasattr(layer.router, "generator"):  # noisy top-k: the same noise in both runs
        layer.router.generator = torch.Generator().manual_seed(1)
    layer.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    y = fn(layer, x, ids)
    (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
    return y.detach(), grads(layer, x)


@pytest.mark.parametrize("capacity", [None, (0.75, "position"), (0.75, "probs")])
@pytest.mark.parametrize("router", sorted(ROUTERS))
def test_layer_equals_per_token_loop(router, capacity):
    cf, policy = capacity or (None, "position")
    layer = make_layer(router, cf, policy, num_shared_experts=1 if router == "topk_softmax" else 0)
    x = torch.randn(2, 10, 8)
    ids = torch.randint(0, 50, (2, 10))
    y, g = run(layer, lambda m, a, i: m(a, token_ids=i)[0], x, ids)
    y_ref, g_ref = run(layer, lambda m, a, i: slow_layer(m, a, i), x, ids)
    torch.testing.assert_close(y, y_ref, rtol=1e-4, atol=1e-5)
    for got, want in zip(g, g_ref):
        if want is None:
            assert got is None or not got.any()
        else:
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    _, info = layer(x, token_ids=ids)
    if cf is not None:
        assert info.capacity is not None and int(info.tokens_per_expert.max()) <= info.capacity
        if router not in ("expert_choice",):
            assert info.dropped_tokens > 0  # confident routing overflows some expert at cf 0.75
    assert int(info.tokens_per_expert.sum()) + info.dropped_tokens == int(
        info.routing.indices.numel() if info.routing.valid is None else info.routing.valid.sum())


@pytest.mark.parametrize("activation", ["swiglu", "gelu", "relu"])
def test_one_expert_top1_equals_dense_ffn(activation):
    torch.manual_seed(0)
    layer = MoELayer(6, 10, 1, 1, activation=activation)
    x = torch.randn(5, 6, requires_grad=True)
    y, _ = layer(x)
    e = layer.experts
    w1, w2 = e.w1[0].detach().clone().requires_grad_(), e.w2[0].detach().clone().requires_grad_()
    w3 = None if e.w3 is None else e.w3[0].detach().clone().requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    hidden = x_ref @ w1
    hidden = F.silu(hidden) * (x_ref @ w3) if activation == "swiglu" else getattr(F, activation)(hidden)
    y_ref = hidden @ w2
    torch.testing.assert_close(y, y_ref)
    y.square().sum().backward()
    y_ref.square().sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad)
    torch.testing.assert_close(e.w1.grad[0], w1.grad)
    torch.testing.assert_close(e.w2.grad[0], w2.grad)
    if w3 is not None:
        torch.testing.assert_close(e.w3.grad[0], w3.grad)
    assert (activation == "swiglu") == (e.w3 is not None)


def test_parameter_names_and_shapes():
    layer = MoELayer(16, 24, 8, 2, num_shared_experts=2)
    shapes = {name: tuple(p.shape) for name, p in layer.named_parameters()}
    assert shapes["router.weight"] == (8, 16)
    assert shapes["experts.w1"] == shapes["experts.w3"] == (8, 16, 24)
    assert shapes["experts.w2"] == (8, 24, 16)
    assert shapes["shared_experts.w1"] == (1, 16, 48)


def test_any_leading_shape_and_experts_without_tokens():
    layer = make_layer("topk_softmax")
    with torch.no_grad():
        layer.router.weight.zero_()
        layer.router.weight[:2] = 5.0  # with positive inputs only experts 0 and 1 are ever chosen
    x = torch.rand(3, 2, 4, 8) + 0.1
    y, info = layer(x)
    assert y.shape == x.shape
    assert info.tokens_per_expert[2:].sum() == 0 and info.tokens_per_expert[:2].tolist() == [24, 24]
    torch.testing.assert_close(y, slow_layer(layer, x))
    y.sum().backward()
    assert layer.experts.w1.grad[2:].abs().sum() == 0 and layer.experts.w1.grad[:2].abs().sum() > 0
    empty, _ = layer(torch.zeros(0, 8))
    assert empty.shape == (0, 8)


def test_bf16_matches_fp32_on_the_same_weights():
    layer16 = make_layer("topk_softmax", 1.25).to(torch.bfloat16)
    layer32 = make_layer("topk_softmax", 1.25)
    layer32.load_state_dict({k: v.float() for k, v in layer16.state_dict().items()})
    x16 = torch.randn(4, 16, 8).to(torch.bfloat16)
    y16, info16 = layer16(x16)
    y32, info32 = layer32(x16.float())
    # the router runs in float32 in both, so routing and drops are identical; only the expert GEMMs round
    assert y16.dtype == torch.bfloat16 and info16.aux_loss.dtype == torch.float32
    assert torch.equal(info16.routing.indices, info32.routing.indices) and torch.equal(info16.keep, info32.keep)
    torch.testing.assert_close(y16.float(), y32, rtol=3e-2, atol=3e-2)
    y16.float().sum().backward()
    assert layer16.experts.w1.grad.dtype == torch.bfloat16 and torch.isfinite(layer16.experts.w1.grad.float()).all()


def test_aux_loss_gives_router_gradient_and_z_loss_is_reported():
    layer = make_layer("topk_softmax")
    _, info = layer(torch.randn(32, 8))
    assert info.aux_loss.item() > 1.0 and info.z_loss.item() > 0
    (info.aux_loss + info.z_loss).backward()
    assert layer.router.weight.grad.abs().sum() > 0


def test_hash_and_expert_choice_losses_are_zero_by_design():
    for router in ("hash", "expert_choice"):
        _, info = make_layer(router)(torch.randn(10, 8), token_ids=torch.arange(10))
        assert info.aux_loss.item() == 0.0
    assert make_layer("hash")(torch.randn(10, 8), token_ids=torch.arange(10))[1].z_loss.item() == 0.0


def test_noisy_router_is_deterministic_in_eval():
    layer = make_layer("noisy_topk").eval()
    x = torch.randn(16, 8)
    torch.testing.assert_close(layer(x)[0], layer(x)[0])
    assert layer(x)[1].routing.load is None
    layer.train()
    assert layer(x)[1].routing.load.shape == (8,)


@pytest.mark.parametrize("kwargs, message", [
    (dict(top_k=9), r"top_k \(9\) must be <= num_experts \(8\)"),
    (dict(capacity_factor=0), r"capacity_factor \(0\) must be a finite number > 0"),
    (dict(drop_policy="random"), r"drop_policy \('random'\) must be one of"),
    (dict(activation="tanh"), r"activation \('tanh'\) must be one of"),
    (dict(router="nope"), r"router \('nope'\) must be one of"),
    (dict(router="switch"), r"top_k \(2\) must be 1 for the switch router"),
    (dict(router=RouterConfig("topk_softmax"), num_shared_experts=0, shared_expert_gate=True),
     r"shared_d_ff and shared_expert_gate need num_shared_experts >= 1"),
    (dict(num_shared_experts=1, shared_expert_gate=1), r"shared_expert_gate must be a bool, got 1"),
    (dict(num_shared_experts=1, shared_d_ff=0), r"shared_d_ff \(0\) must be >= 1"),
    (dict(router={"kind": "topk_softmax"}), r"router must be a RouterConfig or a router kind \(str\), got dict"),
])
def test_bad_layer_arguments(kwargs, message):
    args = dict(d_model=8, d_ff=12, num_experts=8, top_k=2) | kwargs
    with pytest.raises(ValueError, match=message):
        MoELayer(**args)


def test_bad_layer_inputs():
    layer = make_layer("topk_softmax")
    with pytest.raises(ValueError, match=r"last dim must be d_model \(8\)"):
        layer(torch.randn(4, 7))
    with pytest.raises(ValueError, match="contains NaN or infinite"):
        layer(torch.full((4, 8), float("nan")))
    with pytest.raises(ValueError, match="token_ids shape"):
        layer(torch.randn(4, 8), token_ids=torch.arange(5))
    with pytest.raises(ValueError, match="token_ids is required for the hash router"):
        make_layer("hash")(torch.randn(4, 8))


def test_inference_path_equals_autograd_path():
    layer = make_layer("topk_softmax", 1.0)
    x = torch.randn(3, 7, 8)
    with torch.no_grad():
        y_inference = layer(x)[0]
    torch.testing.assert_close(y_inference, layer(x)[0].detach())


def test_shared_expert_width_and_gate():
    torch.manual_seed(0)
    layer = MoELayer(8, 12, 8, 2, num_shared_experts=2, shared_d_ff=5, shared_expert_gate=True)
    assert layer.shared_experts.w1.shape == (1, 8, 10)  # two shared experts of width 5, fused
    assert layer.shared_gate.weight.shape == (1, 8)
    x = torch.randn(2, 6, 8)
    y, _ = layer(x)
    torch.testing.assert_close(y, slow_layer(layer, x), rtol=1e-4, atol=1e-5)
    tokens = x.reshape(-1, 8)
    gate = torch.sigmoid(tokens @ layer.shared_gate.weight.T)                     # [T, 1]
    shared = layer.shared_experts(tokens, [tokens.shape[0]])
    torch.testing.assert_close(layer.shared_output(tokens), shared * gate)
    y.sum().backward()
    assert layer.shared_gate.weight.grad.abs().sum() > 0
    assert MoELayer(8, 12, 8, 2, num_shared_experts=1).shared_gate is None
