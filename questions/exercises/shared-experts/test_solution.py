"""Tests for moe_with_shared_experts."""
import pytest
import torch
import torch.nn.functional as F

from solution import moe_with_shared_experts


def swiglu(h, w1, w2, w3):
    return (F.silu(h @ w1) * (h @ w3)) @ w2


def make(T=12, d=8, E=4, ff=10, f=6, num_shared=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(T, d, generator=generator)
    router_weight = torch.randn(E, d, generator=generator)
    routed = [torch.randn(E, d, ff, generator=generator) * d ** -0.5,
              torch.randn(E, ff, d, generator=generator) * ff ** -0.5,
              torch.randn(E, d, ff, generator=generator) * d ** -0.5]
    shared = [(torch.randn(d, f, generator=generator) * d ** -0.5, torch.randn(f, d, generator=generator) * f ** -0.5,
               torch.randn(d, f, generator=generator) * d ** -0.5) for _ in range(num_shared)]
    gate = torch.randn(1, d, generator=generator)
    return x, router_weight, routed, shared, gate


def routed_only(x, router_weight, routed, top_k):
    w1, w2, w3 = routed
    probs = (x.float() @ router_weight.float().T).softmax(-1)
    top, indices = probs.topk(top_k, dim=-1)
    top = top / top.sum(-1, keepdim=True)
    return torch.stack([sum(top[t, j] * swiglu(x[t], w1[e], w2[e], w3[e]) for j, e in enumerate(indices[t].tolist()))
                        for t in range(x.shape[0])])


def expected(x, router_weight, routed, shared, top_k, gate=None):
    shared_out = sum((swiglu(x, *s) for s in shared), torch.zeros_like(x))
    if gate is not None:
        shared_out = shared_out * torch.sigmoid(x @ gate.T)
    return routed_only(x, router_weight, routed, top_k) + shared_out


def call(x, router_weight, routed, shared, top_k, gate=None):
    return moe_with_shared_experts(x, router_weight, *routed, shared, top_k, gate)


def test_shape():
    x, router_weight, routed, shared, _ = make()
    assert call(x, router_weight, routed, shared, 2).shape == x.shape


def test_without_shared_experts_it_is_the_routed_layer():
    x, router_weight, routed, _, _ = make(seed=1)
    torch.testing.assert_close(call(x, router_weight, routed, [], 2), routed_only(x, router_weight, routed, 2),
                               atol=1e-5, rtol=1e-4)


def test_one_shared_expert_adds_its_full_output():
    x, router_weight, routed, shared, _ = make(num_shared=1, seed=2)
    out = call(x, router_weight, routed, shared, 2)
    torch.testing.assert_close(out - routed_only(x, router_weight, routed, 2), swiglu(x, *shared[0]),
                               atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("num_shared, top_k", [(2, 2), (3, 1)])
def test_several_shared_experts_are_summed(num_shared, top_k):
    x, router_weight, routed, shared, _ = make(num_shared=num_shared, seed=3)
    torch.testing.assert_close(call(x, router_weight, routed, shared, top_k),
                               expected(x, router_weight, routed, shared, top_k), atol=1e-5, rtol=1e-4)


def test_sigmoid_gate_scales_the_shared_part_per_token():
    x, router_weight, routed, shared, gate = make(seed=4)
    torch.testing.assert_close(call(x, router_weight, routed, shared, 2, gate),
                               expected(x, router_weight, routed, shared, 2, gate), atol=1e-5, rtol=1e-4)


def test_gradients_reach_the_shared_experts_and_the_gate():
    x, router_weight, routed, shared, gate = make(seed=5)
    shared = [tuple(w.requires_grad_() for w in s) for s in shared]
    gate.requires_grad_()
    router_weight.requires_grad_()
    call(x, router_weight, routed, shared, 2, gate).pow(2).sum().backward()
    for i, s in enumerate(shared):
        assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in s), f"shared expert {i} got no gradient"
    assert gate.grad is not None and gate.grad.abs().sum() > 0
    assert router_weight.grad is not None and router_weight.grad.abs().sum() > 0
