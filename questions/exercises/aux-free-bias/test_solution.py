"""Tests for update_expert_bias."""
import torch

from solution import update_expert_bias


def test_overloaded_down_underloaded_up():
    bias = torch.zeros(4)
    new = update_expert_bias(bias, torch.tensor([10, 0, 5, 5]), 0.1)
    torch.testing.assert_close(new, torch.tensor([-0.1, 0.1, 0.0, 0.0]))


def test_step_is_rate_whatever_the_imbalance():
    bias = torch.tensor([0.5, -0.5, 0.0])
    new = update_expert_bias(bias, torch.tensor([1000.0, 0.0, 2.0]), 1e-3)
    torch.testing.assert_close(new, torch.tensor([0.499, -0.499, 0.001]))


def test_balanced_load_leaves_bias_unchanged():
    bias = torch.randn(8)
    torch.testing.assert_close(update_expert_bias(bias, torch.full((8,), 7), 0.01), bias)


def test_does_not_modify_the_input():
    bias = torch.zeros(3)
    update_expert_bias(bias, torch.tensor([3, 0, 0]), 0.5)
    assert torch.equal(bias, torch.zeros(3)), "bias was modified in place"


def test_integer_counts_and_dtype_preserved():
    bias = torch.zeros(3, dtype=torch.float64)
    new = update_expert_bias(bias, torch.tensor([1, 2, 3], dtype=torch.int64), 0.25)
    assert new.dtype == torch.float64
    assert new.tolist() == [0.25, 0.0, -0.25]


def test_repeated_updates_move_toward_balance():
    # a toy router: expert chosen = argmax(score + bias); the bias must spread the tokens out
    torch.manual_seed(0)
    scores = torch.rand(512, 4) + torch.tensor([0.3, 0.1, 0.0, 0.0])   # expert 0 is favoured
    bias = torch.zeros(4)
    def loads(b):
        return torch.bincount((scores + b).argmax(-1), minlength=4)
    start = loads(bias)
    for _ in range(200):
        bias = update_expert_bias(bias, loads(bias), 0.01)
    end = loads(bias)
    assert end.max() - end.min() < (start.max() - start.min()) / 2, f"loads {start.tolist()} -> {end.tolist()}"
