"""Sort-based dispatch: permute / unpermute round trip, empty experts, expert_ffn paths and argument checks."""
import pytest
import torch

from moe_core import expert_ffn, ffn, permute, unpermute


def test_permute_then_unpermute_restores_the_input():
    x = torch.randn(12, 5)
    indices = torch.randint(0, 4, (12, 3))
    x_sorted, token_index, slot_index, tokens_per_expert = permute(x, indices, num_experts=6)
    assert tokens_per_expert.tolist()[4:] == [0, 0] and int(tokens_per_expert.sum()) == 36
    experts_sorted = indices.flatten()[slot_index]
    assert (experts_sorted.diff() >= 0).all()  # grouped by expert
    weights = torch.full((36,), 1.0 / 3)
    torch.testing.assert_close(unpermute(x_sorted, token_index, weights, 12), x)


def test_permute_with_keep_skips_dropped_slots_and_keeps_order():
    x = torch.arange(8.0).view(4, 2)
    indices = torch.tensor([[1, 0], [1, 0], [0, 1], [1, 0]])
    keep = torch.tensor([[True, False], [True, True], [True, True], [False, False]])
    x_sorted, token_index, slot_index, tokens_per_expert = permute(x, indices, keep, num_experts=3)
    assert tokens_per_expert.tolist() == [2, 3, 0]
    assert token_index.tolist() == [1, 2, 0, 1, 2]  # expert 0 then 1, earliest token first
    assert slot_index.tolist() == [3, 4, 0, 2, 5]
    torch.testing.assert_close(x_sorted, x[token_index])
    out = unpermute(x_sorted, token_index, torch.ones(5), 4)
    torch.testing.assert_close(out[:3], x[:3] * torch.tensor([[1.0], [2.0], [2.0]]))  # kept slots per token
    assert out[3].tolist() == [0.0, 0.0]  # a token with every slot dropped gets zeros: the residual carries it


def test_expert_ffn_matches_per_expert_loop_with_empty_experts():
    torch.manual_seed(0)
    w1, w3, w2 = torch.randn(4, 6, 10), torch.randn(4, 6, 10), torch.randn(4, 10, 6)
    counts = [3, 0, 5, 0]
    x_sorted = torch.randn(8, 6)
    y = expert_ffn(x_sorted, torch.tensor(counts), w1, w2, w3)
    expected = torch.cat([ffn(x_sorted[:3], w1[0], w2[0], w3[0]), ffn(x_sorted[3:], w1[2], w2[2], w3[2])])
    torch.testing.assert_close(y, expected)
    with torch.no_grad():  # the inference path writes into one buffer
        torch.testing.assert_close(expert_ffn(x_sorted, counts, w1, w2, w3), expected)
    assert expert_ffn(torch.zeros(0, 6), [0, 0, 0, 0], w1, w2, w3).shape == (0, 6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="grouped_mm fast path needs a CUDA GPU")
def test_grouped_mm_path_matches_loop_on_cuda():
    torch.manual_seed(0)
    w1, w3, w2 = (torch.randn(4, 64, 128), torch.randn(4, 64, 128), torch.randn(4, 128, 64))
    counts = [16, 0, 40, 8]
    x_sorted = torch.randn(64, 64)
    expected = expert_ffn(x_sorted, counts, w1, w2, w3)
    cuda = [t.cuda().bfloat16() for t in (x_sorted, w1, w2, w3)]
    y = expert_ffn(cuda[0], counts, cuda[1], cuda[2], cuda[3])
    torch.testing.assert_close(y.float().cpu(), expected, rtol=5e-2, atol=5e-1)


@pytest.mark.parametrize("call, message", [
    (lambda: permute(torch.randn(3, 2), torch.zeros(4, 1, dtype=torch.long)), r"indices has length 4, expected len\(x\) \(3\)"),
    (lambda: permute(torch.randn(3, 2), torch.zeros(3, 1)), "indices must be an integer tensor"),
    (lambda: permute(torch.randn(3, 2), torch.zeros(3, 1, dtype=torch.long), torch.ones(3, 2, dtype=torch.bool)), "keep must be a bool tensor of shape"),
    (lambda: unpermute(torch.randn(3, 2), torch.zeros(2, dtype=torch.long), torch.ones(3), 4), r"token_index has length 2, expected len\(y_sorted\) \(3\)"),
    (lambda: unpermute(torch.randn(3, 2), torch.zeros(3, dtype=torch.long), torch.ones(2), 4), r"weights_sorted has length 2, expected len\(y_sorted\) \(3\)"),
    (lambda: expert_ffn(torch.randn(3, 4), [3], torch.randn(1, 4, 5), torch.randn(1, 5, 4)), "w3 must have w1's shape"),
    (lambda: expert_ffn(torch.randn(3, 4), [2, 1], torch.randn(1, 4, 5), torch.randn(1, 5, 4), None, "relu"), r"tokens_per_expert must have num_experts \(1\) entries"),
    (lambda: expert_ffn(torch.randn(3, 4), [3], torch.randn(1, 4, 5), torch.randn(1, 4, 5), None, "relu"), r"w2 shape \(1, 4, 5\) must be"),
    (lambda: expert_ffn(torch.randn(3, 3), [3], torch.randn(1, 4, 5), torch.randn(1, 5, 4), None, "relu"), r"x_sorted has last dim 3, w1 expects d_model \(4\)"),
])
def test_bad_dispatch_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
