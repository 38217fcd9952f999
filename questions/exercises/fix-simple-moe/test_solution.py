"""Tests for the fixed SimpleMoE."""
import torch

from solution import SimpleMoE


def manual_forward(model, x):
    """out[t] = sum_j softmax(topk(router(x_t)))_j * expert_{i_j}(x_t), token by token."""
    flat = x.reshape(-1, x.shape[-1])
    rows = []
    for token in flat:
        logits = model.router(token)
        values, idx = logits.topk(model.k)
        weights = values.softmax(-1)
        rows.append(sum(w * model.experts[int(e)](token) for w, e in zip(weights, idx)))
    return torch.stack(rows).reshape(*x.shape[:-1], -1)


def test_output_matches_manual_computation():
    torch.manual_seed(0)
    model = SimpleMoE(8, 8, 4, k=2)
    x = torch.randn(10, 8)
    out = model(x)
    assert out.abs().sum() > 0, "the output is all zeros: the expert outputs never reach it"
    torch.testing.assert_close(out, manual_forward(model, x), rtol=1e-5, atol=1e-6)


def test_output_dim_larger_than_input_dim():
    torch.manual_seed(1)
    model = SimpleMoE(6, 10, 3, k=2)
    x = torch.randn(5, 6)
    out = model(x)
    assert out.shape == (5, 10), f"expected shape (5, 10), got {tuple(out.shape)}"
    torch.testing.assert_close(out, manual_forward(model, x), rtol=1e-5, atol=1e-6)


def test_output_dim_smaller_than_input_dim():
    torch.manual_seed(2)
    model = SimpleMoE(12, 4, 3, k=1)
    x = torch.randn(7, 12)
    out = model(x)
    assert out.shape == (7, 4)
    torch.testing.assert_close(out, manual_forward(model, x), rtol=1e-5, atol=1e-6)


def test_three_dimensional_input():
    torch.manual_seed(3)
    model = SimpleMoE(8, 8, 4, k=2)
    x = torch.randn(2, 5, 8)
    out = model(x)
    assert out.shape == (2, 5, 8)
    torch.testing.assert_close(out, manual_forward(model, x), rtol=1e-5, atol=1e-6)


def test_gradients_reach_router_and_experts():
    torch.manual_seed(4)
    model = SimpleMoE(8, 8, 4, k=2)
    x = torch.randn(16, 8)
    out = model(x)
    assert out.requires_grad, "the output does not depend on any parameter"
    out.square().sum().backward()
    assert model.router.weight.grad is not None and model.router.weight.grad.abs().sum() > 0
    used = [e for e in model.experts if e[0].weight.grad is not None and e[0].weight.grad.abs().sum() > 0]
    assert used, "no expert received a gradient"


def test_each_expert_sees_only_its_tokens():
    torch.manual_seed(5)
    model = SimpleMoE(8, 8, 4, k=2)
    x = torch.randn(20, 8)
    rows_seen = []
    hooks = [e.register_forward_hook(lambda m, inp, out: rows_seen.append(inp[0].shape[0])) for e in model.experts]
    model(x)
    for hook in hooks:
        hook.remove()
    assert sum(rows_seen) == 20 * 2, f"experts processed {sum(rows_seen)} rows, expected T * k = 40"
