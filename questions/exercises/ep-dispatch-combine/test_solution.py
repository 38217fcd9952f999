"""Tests for all_to_all and ep_moe_forward (4 ranks simulated in one process)."""
import pytest
import torch
import torch.nn.functional as F

from solution import all_to_all, ep_moe_forward


def placement(num_experts, world):
    """Contiguous blocks, the first ranks one expert more."""
    base, remainder = divmod(num_experts, world)
    sizes = [base + (rank < remainder) for rank in range(world)]
    starts = [sum(sizes[:rank]) for rank in range(world)]
    return [list(range(start, start + size)) for start, size in zip(starts, sizes)]


def make(tokens_per_rank=(6, 9, 3, 7), d=8, E=8, ff=12, seed=0):
    generator = torch.Generator().manual_seed(seed)
    xs = [torch.randn(n, d, generator=generator) for n in tokens_per_rank]
    router_weight = torch.randn(E, d, generator=generator)
    w1 = torch.randn(E, d, ff, generator=generator) * d ** -0.5
    w2 = torch.randn(E, ff, d, generator=generator) * ff ** -0.5
    w3 = torch.randn(E, d, ff, generator=generator) * d ** -0.5
    return xs, router_weight, (w1, w2, w3)


def split_experts(weights, world):
    w1, w2, w3 = weights
    return [(w1[ids], w2[ids], w3[ids]) for ids in placement(w1.shape[0], world)]


def single_process(x, router_weight, weights, top_k):
    """The layer on one process, one token and one slot at a time."""
    w1, w2, w3 = weights
    probs = (x.float() @ router_weight.float().T).softmax(-1)
    top, indices = probs.topk(top_k, dim=-1)
    top = top / top.sum(-1, keepdim=True)
    rows = [sum((top[t, j] * ((F.silu(x[t] @ w1[e]) * (x[t] @ w3[e])) @ w2[e])
                 for j, e in enumerate(indices[t].tolist())), torch.zeros(x.shape[1])) for t in range(x.shape[0])]
    return torch.stack(rows) if rows else x.new_zeros(0, x.shape[1])


def test_all_to_all_with_uneven_and_zero_splits():
    sends = [torch.tensor([[0.], [1.], [2.]]), torch.tensor([[10.], [11.]]), torch.zeros(0, 1)]
    splits = [[1, 0, 2], [0, 2, 0], [0, 0, 0]]
    received = all_to_all(sends, splits)
    assert [r.flatten().tolist() for r in received] == [[0.0], [10.0, 11.0], [1.0, 2.0]]


def test_all_to_all_orders_chunks_by_source_rank():
    sends = [torch.full((2, 1), float(rank)) for rank in range(4)]
    received = all_to_all(sends, [[1, 1, 0, 0]] * 4)
    assert received[0].flatten().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert received[1].flatten().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert received[2].shape == (0, 1) and received[3].shape == (0, 1)


def test_all_to_all_back_with_the_received_splits_restores_the_buffers():
    torch.manual_seed(0)
    splits = [[2, 0, 1, 3], [0, 0, 4, 1], [1, 1, 1, 1], [0, 5, 0, 0]]
    sends = [torch.randn(sum(s), 3) for s in splits]
    received = all_to_all(sends, splits)
    back = all_to_all(received, [[splits[source][dest] for source in range(4)] for dest in range(4)])
    for original, returned in zip(sends, back):
        assert torch.equal(original, returned)


@pytest.mark.parametrize("num_experts, top_k", [(8, 2), (10, 2), (4, 1)])
def test_equals_the_single_process_layer(num_experts, top_k):
    xs, router_weight, weights = make(E=num_experts, seed=num_experts)
    outputs, _ = ep_moe_forward(xs, router_weight, split_experts(weights, 4), top_k)
    assert len(outputs) == 4
    for rank, (x, out) in enumerate(zip(xs, outputs)):
        torch.testing.assert_close(out, single_process(x, router_weight, weights, top_k), atol=1e-5, rtol=1e-4,
                                   msg=f"rank {rank}")


def test_tokens_received_are_the_slots_routed_to_each_ranks_experts():
    xs, router_weight, weights = make(E=10, seed=3)
    _, received = ep_moe_forward(xs, router_weight, split_experts(weights, 4), 2)
    logits = torch.cat(xs) @ router_weight.T
    counts = torch.bincount(logits.topk(2, dim=-1).indices.reshape(-1), minlength=10)
    assert list(received) == [int(counts[ids].sum()) for ids in placement(10, 4)]


def test_a_rank_without_tokens_and_experts_without_tokens():
    xs, router_weight, weights = make(tokens_per_rank=(5, 0, 4, 1), E=8, seed=4)
    router_weight[6:] = 0.0                         # logit 0 for experts 6 and 7: rarely chosen
    outputs, _ = ep_moe_forward(xs, router_weight, split_experts(weights, 4), 2)
    assert outputs[1].shape == (0, 8)
    for x, out in zip(xs, outputs):
        torch.testing.assert_close(out, single_process(x, router_weight, weights, 2), atol=1e-5, rtol=1e-4)


def test_gradient_reaches_every_ranks_tokens():
    xs, router_weight, weights = make(seed=5)
    xs = [x.requires_grad_() for x in xs]
    outputs, _ = ep_moe_forward(xs, router_weight, split_experts(weights, 4), 2)
    sum((out * torch.arange(8.0)).sum() for out in outputs).backward()
    for rank, x in enumerate(xs):
        expected_x = x.detach().clone().requires_grad_()
        (single_process(expected_x, router_weight, weights, 2) * torch.arange(8.0)).sum().backward()
        torch.testing.assert_close(x.grad, expected_x.grad, atol=1e-4, rtol=1e-3, msg=f"rank {rank}")
