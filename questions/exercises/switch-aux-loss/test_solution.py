"""Tests for switch_aux_loss."""
import torch

from solution import switch_aux_loss


def test_uniform_routing_gives_one():
    T, E = 8, 4
    probs = torch.full((T, E), 1.0 / E)
    indices = (torch.arange(T) % E).unsqueeze(1)  # each expert gets T / E tokens
    torch.testing.assert_close(switch_aux_loss(probs, indices).float(), torch.tensor(1.0))


def test_uniform_top2_routing_gives_one_not_two():
    T, E = 8, 4
    probs = torch.full((T, E), 1.0 / E)
    indices = torch.stack([torch.arange(T) % E, (torch.arange(T) + 1) % E], dim=1)
    torch.testing.assert_close(switch_aux_loss(probs, indices).float(), torch.tensor(1.0))


def test_collapse_on_one_expert_gives_num_experts():
    T, E = 6, 5
    probs = torch.zeros(T, E)
    probs[:, 2] = 1.0
    indices = torch.full((T, 1), 2)
    torch.testing.assert_close(switch_aux_loss(probs, indices).float(), torch.tensor(5.0))


def test_matches_the_formula_on_random_routing():
    torch.manual_seed(0)
    T, E, k = 50, 6, 2
    probs = torch.randn(T, E).softmax(-1)
    indices = probs.topk(k, dim=-1).indices
    f = torch.bincount(indices.reshape(-1), minlength=E).float() / (k * T)
    expected = E * (f * probs.mean(0)).sum()
    loss = switch_aux_loss(probs, indices)
    assert loss.dim() == 0, f"the loss must be a scalar, got shape {tuple(loss.shape)}"
    torch.testing.assert_close(loss.float(), expected)


def test_expert_with_no_tokens_counts_zero():
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1]])
    indices = torch.tensor([[0], [1]])  # expert 2 gets nothing
    expected = 3 * (0.5 * 0.65 + 0.5 * 0.25 + 0.0 * 0.1)
    torch.testing.assert_close(switch_aux_loss(probs, indices).float(), torch.tensor(expected))


def test_gradient_flows_to_router_probs():
    torch.manual_seed(1)
    T, E = 10, 4
    logits = torch.randn(T, E, requires_grad=True)
    probs = logits.softmax(-1)
    indices = probs.topk(1, dim=-1).indices
    loss = switch_aux_loss(probs, indices)
    assert loss.requires_grad, "the loss must be differentiable with respect to router_probs"
    loss.backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_gradient_is_e_times_f_over_t():
    T, E = 4, 2
    probs = torch.full((T, E), 0.5, requires_grad=True)
    indices = torch.tensor([[0], [0], [0], [1]])  # f = (0.75, 0.25)
    switch_aux_loss(probs, indices).backward()
    expected = torch.tensor([0.75, 0.25]).expand(T, E) * E / T
    torch.testing.assert_close(probs.grad, expected)
