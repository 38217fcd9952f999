"""Tests for moe_forward."""
import math

import pytest
import torch
import torch.nn.functional as F

from solution import moe_forward


def make(T=32, d=12, E=4, ff=20, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(T, d, generator=generator)
    router_weight = torch.randn(E, d, generator=generator)
    w1 = torch.randn(E, d, ff, generator=generator) * d ** -0.5
    w2 = torch.randn(E, ff, d, generator=generator) * ff ** -0.5
    w3 = torch.randn(E, d, ff, generator=generator) * d ** -0.5
    return x, router_weight, w1, w2, w3


def expected(x, router_weight, w1, w2, w3, top_k, capacity_factor=None):
    """Slow but obviously right: one token and one slot at a time."""
    num_tokens, num_experts = x.shape[0], router_weight.shape[0]
    probs = (x.float() @ router_weight.float().T).softmax(-1)
    top, indices = probs.topk(top_k, dim=-1)
    top = top / top.sum(-1, keepdim=True)
    capacity = None if capacity_factor is None else math.ceil(capacity_factor * top_k * num_tokens / num_experts)
    used = [0] * num_experts
    rows = []
    for t in range(num_tokens):
        row = torch.zeros(x.shape[1])
        for j in range(top_k):
            e = int(indices[t, j])
            if capacity is not None:
                if used[e] >= capacity:
                    continue
                used[e] += 1
            hidden = F.silu(x[t] @ w1[e]) * (x[t] @ w3[e])
            row = row + top[t, j] * (hidden @ w2[e])
        rows.append(row)
    return torch.stack(rows)


def test_shape_and_dtype():
    out = moe_forward(*make(T=10), top_k=2)
    assert out.shape == (10, 12)
    assert out.dtype == torch.float32


def test_matches_the_slow_layer_without_capacity():
    args = make(seed=1)
    torch.testing.assert_close(moe_forward(*args, top_k=2), expected(*args, top_k=2), atol=1e-5, rtol=1e-4)


def test_top1_output_is_the_chosen_experts_output():
    x, router_weight, w1, w2, w3 = make(T=8, seed=2)
    out = moe_forward(x, router_weight, w1, w2, w3, top_k=1)
    experts = (x @ router_weight.T).argmax(-1)
    for t in range(8):
        e = int(experts[t])
        hidden = F.silu(x[t] @ w1[e]) * (x[t] @ w3[e])
        torch.testing.assert_close(out[t], hidden @ w2[e], atol=1e-5, rtol=1e-4)


def test_capacity_keeps_the_earliest_tokens():
    x, router_weight, w1, w2, w3 = make(T=8, E=4, seed=3)
    x = x.abs() + 0.1
    router_weight = torch.zeros_like(router_weight)
    router_weight[0] = 5.0               # every token prefers expert 0 by far
    # capacity = ceil(1.0 * 1 * 8 / 4) = 2: tokens 0 and 1 keep expert 0, the rest are dropped
    out = moe_forward(x, router_weight, w1, w2, w3, top_k=1, capacity_factor=1.0)
    assert out[:2].abs().sum() > 0
    assert torch.equal(out[2:], torch.zeros(6, 12)), "slots beyond the capacity must add nothing"


@pytest.mark.parametrize("top_k, capacity_factor", [(2, 1.0), (2, 0.5), (1, 1.25)])
def test_matches_the_slow_layer_with_capacity(top_k, capacity_factor):
    args = make(T=40, E=4, seed=4)
    torch.testing.assert_close(moe_forward(*args, top_k=top_k, capacity_factor=capacity_factor),
                               expected(*args, top_k=top_k, capacity_factor=capacity_factor), atol=1e-5, rtol=1e-4)


def test_gradients_match_the_slow_layer():
    args = [tensor.clone().requires_grad_() for tensor in make(T=16, seed=5)]
    mine = [tensor.clone().detach().requires_grad_() for tensor in args]
    (moe_forward(*mine, top_k=2, capacity_factor=1.0) * torch.arange(12.0)).sum().backward()
    (expected(*args, top_k=2, capacity_factor=1.0) * torch.arange(12.0)).sum().backward()
    for name, got, want in zip(["x", "router_weight", "w1", "w2", "w3"], mine, args):
        assert got.grad is not None, f"no gradient reached {name}"
        torch.testing.assert_close(got.grad, want.grad, atol=1e-4, rtol=1e-3, msg=f"gradient of {name}")


def test_many_tokens():
    args = make(T=1000, d=16, E=8, ff=16, seed=6)
    torch.testing.assert_close(moe_forward(*args, top_k=2, capacity_factor=1.0),
                               expected(*args, top_k=2, capacity_factor=1.0), atol=1e-5, rtol=1e-4)
