"""Balance and stability losses: values on hand-made routings, gradients, peers' conventions, bad input."""
import math

import pytest
import torch

from moe_core import (MoELayer, cv_squared, importance_loss, load_loss, sequence_aux_loss, switch_aux_loss,
                      topk_softmax, z_loss)


def uniform_routing(num_tokens=8, num_experts=4, k=2):
    probs = torch.full((num_tokens, num_experts), 1.0 / num_experts)
    indices = torch.stack([(torch.arange(num_tokens) + j) % num_experts for j in range(k)], dim=1)
    return probs, indices


def test_uniform_routing_gives_exactly_one():
    probs, indices = uniform_routing()
    assert switch_aux_loss(probs, indices).item() == pytest.approx(1.0)
    assert sequence_aux_loss(probs.view(2, 4, 4), indices.view(2, 4, 2)).item() == pytest.approx(1.0)


def test_collapsed_routing_gives_num_experts_and_hf_is_k_times_ours():
    probs = torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(6, 1)
    assert switch_aux_loss(probs, torch.zeros(6, 1, dtype=torch.long)).item() == pytest.approx(4.0)
    logits = torch.randn(16, 4)
    routing = topk_softmax(logits, 2)
    counts = torch.bincount(routing.indices.flatten(), minlength=4).float()
    hf = 4 * (counts / 16 * routing.probs.mean(0)).sum()  # transformers' load_balancing_loss_func, one layer
    torch.testing.assert_close(switch_aux_loss(routing.probs, routing.indices) * 2, hf)


def test_aux_loss_gradient_reaches_router_weight():
    layer = MoELayer(8, 8, 4, 2)
    _, info = layer(torch.randn(16, 8))
    info.aux_loss.backward()
    assert layer.router.weight.grad is not None and layer.router.weight.grad.abs().sum() > 0


def test_valid_mask_counts_only_valid_slots():
    probs, indices = uniform_routing()
    valid = torch.ones_like(indices, dtype=torch.bool)
    valid[:, 1] = False
    expected = switch_aux_loss(probs, indices[:, :1])
    torch.testing.assert_close(switch_aux_loss(probs, indices, valid), expected)


def test_sequence_aux_loss_is_mean_over_sequences():
    probs = torch.rand(3, 5, 4).softmax(-1)
    indices = torch.randint(0, 4, (3, 5, 2))
    per_sequence = torch.stack([switch_aux_loss(probs[b], indices[b]) for b in range(3)])
    torch.testing.assert_close(sequence_aux_loss(probs, indices), per_sequence.mean())


def test_z_loss_is_mean_squared_logsumexp():
    logits = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    expected = (math.log(2) ** 2 + math.log(math.e + math.e ** 2) ** 2) / 2
    assert z_loss(logits).item() == pytest.approx(expected, rel=1e-6)


def test_cv_squared_importance_and_load():
    assert cv_squared(torch.tensor([2.0, 2.0, 2.0])).item() == 0.0
    assert cv_squared(torch.tensor([0.0, 4.0])).item() == pytest.approx(1.0)  # var 4 / mean^2 4
    assert cv_squared(torch.tensor([3.0])).item() == 0.0
    gates = torch.tensor([[1.0, 0.0], [1.0, 0.0]], requires_grad=True)
    assert importance_loss(gates).item() == pytest.approx(1.0)
    importance_loss(gates).backward()
    assert gates.grad.abs().sum() > 0
    assert load_loss(torch.tensor([1.0, 1.0])).item() == 0.0


@pytest.mark.parametrize("call, message", [
    (lambda: switch_aux_loss(torch.rand(4, 3), torch.zeros(5, 1, dtype=torch.long)), r"expert_indices has length 5, expected len\(router_probs\) \(4\)"),
    (lambda: switch_aux_loss(torch.rand(4, 3), torch.full((4, 1), 3)), r"expert_indices values must be in \[0, num_experts \(3\)\)"),
    (lambda: switch_aux_loss(torch.rand(4), torch.zeros(4, 1, dtype=torch.long)), "router_probs must have 2 dims"),
    (lambda: sequence_aux_loss(torch.rand(2, 4, 3), torch.zeros(2, 5, 1, dtype=torch.long)), r"expert_indices \[B, S\]"),
    (lambda: z_loss(torch.tensor([[float("nan"), 0.0]])), "router_logits contains NaN or infinite values"),
    (lambda: cv_squared(torch.rand(2, 2)), "values must have 1 dims"),
])
def test_bad_loss_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
