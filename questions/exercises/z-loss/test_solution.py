"""Tests for z_loss."""
import math

import torch

from solution import z_loss


def test_zero_logits_give_log_e_squared():
    loss = z_loss(torch.zeros(5, 8))
    assert loss.dim() == 0, f"the loss must be a scalar, got shape {tuple(loss.shape)}"
    torch.testing.assert_close(loss.float(), torch.tensor(math.log(8) ** 2))


def test_mean_over_tokens_not_sum():
    logits = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    expected = ((math.log(2)) ** 2 + (1 + math.log(2)) ** 2) / 2
    torch.testing.assert_close(z_loss(logits).float(), torch.tensor(expected))


def test_matches_logsumexp_formula():
    torch.manual_seed(0)
    logits = torch.randn(32, 16) * 3
    torch.testing.assert_close(z_loss(logits).float(), torch.logsumexp(logits, -1).square().mean())


def test_large_logits_do_not_overflow():
    logits = torch.tensor([[1e4, 0.0, -1e4], [2e4, 2e4, 0.0]])
    loss = z_loss(logits)
    assert torch.isfinite(loss), f"z_loss overflowed: {loss}"
    expected = ((1e4) ** 2 + (2e4 + math.log(2)) ** 2) / 2
    torch.testing.assert_close(loss.double(), torch.tensor(expected, dtype=torch.float64), rtol=1e-5, atol=0)


def test_loss_is_not_shift_invariant():
    torch.manual_seed(3)
    logits = torch.randn(4, 4)
    assert float(z_loss(logits + 5.0)) > float(z_loss(logits)), "bigger logits must cost more"


def test_gradient_is_two_lse_softmax_over_t():
    torch.manual_seed(1)
    logits = torch.randn(6, 5, requires_grad=True)
    z_loss(logits).backward()
    with torch.no_grad():
        lse = torch.logsumexp(logits, -1, keepdim=True)
        expected = 2 * lse * logits.softmax(-1) / 6
    torch.testing.assert_close(logits.grad, expected)
