"""Tests for sequence_aux_loss."""
import pytest
import torch

from solution import sequence_aux_loss


def expected(router_probs, expert_indices):
    """One sequence at a time: E * sum_i f_i * P_i, then the mean."""
    batch, seq, num_experts = router_probs.shape
    k = expert_indices.shape[2]
    losses = []
    for b in range(batch):
        counts = torch.bincount(expert_indices[b].reshape(-1), minlength=num_experts).float()
        losses.append(num_experts * (counts / (k * seq) * router_probs[b].mean(0)).sum())
    return torch.stack(losses).mean()


def random_routing(batch=3, seq=16, num_experts=6, k=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    probs = torch.randn(batch, seq, num_experts, generator=generator).mul(2).softmax(-1)
    return probs, probs.topk(k, dim=-1).indices


def test_returns_a_scalar():
    loss = sequence_aux_loss(*random_routing())
    assert loss.dim() == 0 and loss.is_floating_point()


def test_even_routing_scores_one_with_top2():
    num_experts, seq = 4, 8
    probs = torch.full((2, seq, num_experts), 1 / num_experts)
    indices = torch.stack([torch.tensor([[t % 4, (t + 1) % 4] for t in range(seq)])] * 2)  # each expert 4 of 16 slots
    torch.testing.assert_close(sequence_aux_loss(probs, indices), torch.tensor(1.0))


def test_sees_imbalance_that_cancels_across_the_batch():
    # sequence 0 sends everything to expert 0, sequence 1 everything to expert 1: the batch as a whole is balanced
    probs = torch.zeros(2, 4, 2)
    probs[0, :, 0] = 1.0
    probs[1, :, 1] = 1.0
    indices = torch.tensor([[[0]] * 4, [[1]] * 4])
    torch.testing.assert_close(sequence_aux_loss(probs, indices), torch.tensor(2.0))


def test_matches_the_per_sequence_formula():
    probs, indices = random_routing(batch=5, seq=20, num_experts=8, k=2, seed=1)
    torch.testing.assert_close(sequence_aux_loss(probs, indices), expected(probs, indices))


def test_top1_and_top3():
    for k, seed in ((1, 2), (3, 3)):
        probs, indices = random_routing(batch=4, seq=12, num_experts=6, k=k, seed=seed)
        torch.testing.assert_close(sequence_aux_loss(probs, indices), expected(probs, indices))


def test_gradient_goes_to_the_probabilities_through_the_mean_only():
    probs, indices = random_routing(batch=2, seq=6, num_experts=4, k=2, seed=4)
    probs.requires_grad_()
    sequence_aux_loss(probs, indices).backward()
    # d loss / d p[b, s, i] = E * f_bi / (S * B): the same for every token of a sequence, zero for unused experts
    counts = torch.stack([torch.bincount(indices[b].reshape(-1), minlength=4) for b in range(2)]).float()
    expected_grad = (4 * counts / (2 * 6) / (6 * 2)).unsqueeze(1).expand(2, 6, 4)
    torch.testing.assert_close(probs.grad, expected_grad)


@pytest.mark.parametrize("shapes", [((2, 5, 4), (2, 4, 2)), ((10, 4), (10, 2)), ((2, 5, 4), (3, 5, 2))])
def test_mismatched_shapes_raise_value_error(shapes):
    probs_shape, indices_shape = shapes
    with pytest.raises(ValueError):
        sequence_aux_loss(torch.rand(probs_shape), torch.zeros(indices_shape, dtype=torch.long))
