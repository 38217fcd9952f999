"""Tests for permute and unpermute."""
import torch

from solution import permute, unpermute


def test_rows_are_grouped_by_expert_stably():
    x = torch.arange(4.0).unsqueeze(1)                       # token t has value t
    indices = torch.tensor([[2, 0], [0, 1], [2, 1], [1, 0]])
    x_sorted, token_index, slot_index = permute(x, indices)
    assert slot_index.tolist() == [1, 2, 7, 3, 5, 6, 0, 4]
    assert token_index.tolist() == [0, 1, 3, 1, 2, 3, 0, 2]
    assert x_sorted[:, 0].tolist() == [0.0, 1.0, 3.0, 1.0, 2.0, 3.0, 0.0, 2.0]


def test_shapes_dtypes_and_consistency_on_random_routing():
    torch.manual_seed(0)
    T, k, E, d = 50, 2, 6, 4
    x = torch.randn(T, d)
    indices = torch.stack([torch.randperm(E)[:k] for _ in range(T)])
    x_sorted, token_index, slot_index = permute(x, indices)
    assert x_sorted.shape == (T * k, d)
    assert token_index.dtype == torch.long and slot_index.dtype == torch.long
    assert torch.equal(token_index, slot_index // k)
    assert torch.equal(x_sorted, x[token_index])
    experts = indices.reshape(-1)[slot_index]
    assert (experts[1:] >= experts[:-1]).all(), "rows must be sorted by expert id"
    same = experts[1:] == experts[:-1]
    assert (slot_index[1:][same] > slot_index[:-1][same]).all(), "within an expert, keep token-major order"
    assert sorted(slot_index.tolist()) == list(range(T * k))


def test_unpermute_sums_weighted_copies():
    y_sorted = torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    token_index = torch.tensor([2, 0, 2])
    weights = torch.tensor([0.5, 1.0, 2.0])
    out = unpermute(y_sorted, token_index, weights, 4)
    assert out.shape == (4, 2)
    torch.testing.assert_close(out, torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.5, 6.5], [0.0, 0.0]]))


def test_round_trip_with_identity_experts_restores_x():
    torch.manual_seed(1)
    T, k, E, d = 30, 3, 8, 5
    x = torch.randn(T, d)
    indices = torch.stack([torch.randperm(E)[:k] for _ in range(T)])
    weights = torch.rand(T, k)
    weights = weights / weights.sum(-1, keepdim=True)         # [T, k] sums to 1
    x_sorted, token_index, slot_index = permute(x, indices)
    out = unpermute(x_sorted, token_index, weights.reshape(-1)[slot_index], T)
    torch.testing.assert_close(out, x)


def test_matches_a_dense_moe():
    torch.manual_seed(2)
    T, k, E, d = 16, 2, 4, 3
    x = torch.randn(T, d)
    scale = torch.randn(E, d)                                 # expert e multiplies by scale[e]
    indices = torch.stack([torch.randperm(E)[:k] for _ in range(T)])
    weights = torch.rand(T, k)
    x_sorted, token_index, slot_index = permute(x, indices)
    y_sorted = x_sorted * scale[indices.reshape(-1)[slot_index]]
    out = unpermute(y_sorted, token_index, weights.reshape(-1)[slot_index], T)
    expected = torch.zeros(T, d)
    for t in range(T):
        for j in range(k):
            expected[t] += weights[t, j] * x[t] * scale[indices[t, j]]
    torch.testing.assert_close(out, expected)


def test_gradients_flow_through_both():
    torch.manual_seed(3)
    x = torch.randn(6, 3, requires_grad=True)
    weights = torch.rand(6, 2, requires_grad=True)
    indices = torch.tensor([[0, 1], [1, 2], [2, 0], [0, 1], [1, 2], [2, 0]])
    x_sorted, token_index, slot_index = permute(x, indices)
    out = unpermute(x_sorted * 2, token_index, weights.reshape(-1)[slot_index], 6)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    torch.testing.assert_close(weights.grad, (2 * x).detach().sum(-1, keepdim=True).expand(6, 2))
