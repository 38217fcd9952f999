"""Tests for noisy_topk_gating."""
import torch
import torch.nn.functional as F

from solution import noisy_topk_gating


def make(T=64, d=16, E=8, seed=0, noise_scale=1.0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, d, generator=g)
    w_gate = torch.randn(d, E, generator=g) * 0.5
    w_noise = torch.randn(d, E, generator=g) * noise_scale
    return x, w_gate, w_noise


def test_eval_gates_are_softmax_over_clean_topk():
    x, w_gate, w_noise = make()
    gates, _ = noisy_topk_gating(x, w_gate, w_noise, 2, False)
    assert gates.shape == (64, 8)
    clean = x @ w_gate
    values, idx = clean.topk(2, dim=-1)
    expected = torch.zeros_like(clean).scatter(1, idx, values.softmax(-1))
    torch.testing.assert_close(gates.float(), expected)


def test_eval_is_deterministic_and_load_counts_tokens():
    x, w_gate, w_noise = make()
    gates1, load1 = noisy_topk_gating(x, w_gate, w_noise, 2, False)
    gates2, load2 = noisy_topk_gating(x, w_gate, w_noise, 2, False)
    assert torch.equal(gates1, gates2)
    assert load1.shape == (8,)
    torch.testing.assert_close(load1.float(), (gates1 > 0).sum(0).float())
    assert float(load1.sum()) == 64 * 2


def test_train_gates_have_k_nonzeros_summing_to_one():
    torch.manual_seed(1)
    x, w_gate, w_noise = make()
    gates, _ = noisy_topk_gating(x, w_gate, w_noise, 3, True)
    assert ((gates > 0).sum(-1) == 3).all()
    torch.testing.assert_close(gates.sum(-1).float(), torch.ones(64))


def test_train_adds_noise():
    torch.manual_seed(2)
    x, w_gate, w_noise = make(noise_scale=2.0)
    gates1, _ = noisy_topk_gating(x, w_gate, w_noise, 2, True)
    gates2, _ = noisy_topk_gating(x, w_gate, w_noise, 2, True)
    assert not torch.equal(gates1, gates2), "training mode must draw fresh noise on every call"
    clean_gates, _ = noisy_topk_gating(x, w_gate, w_noise, 2, False)
    assert not torch.equal(gates1, clean_gates), "training mode must add noise to the clean logits"


def test_train_load_with_tiny_noise_matches_counts():
    x, w_gate, _ = make()
    w_noise = torch.zeros(16, 8)
    w_noise[0] = -1e4  # softplus(very negative) ~ 0: std ~ 0.01, far below the gaps between clean logits
    x = x.clone()
    x[:, 0] = 1.0
    torch.manual_seed(3)
    _, load = noisy_topk_gating(x, w_gate, w_noise, 2, True)
    clean = x @ w_gate
    counts = torch.bincount(clean.topk(2, -1).indices.reshape(-1), minlength=8).float()
    torch.testing.assert_close(load.float(), counts, atol=3.0, rtol=0.0)


def expected_train(x, w_gate, w_noise, k, seed):
    """The formula, with the noise drawn as the prompt says: one torch.randn_like(c) after torch.manual_seed(seed)."""
    clean = x @ w_gate
    std = F.softplus(x @ w_noise) + 0.01
    torch.manual_seed(seed)
    noisy = clean + torch.randn_like(clean) * std
    values, idx = noisy.topk(k, dim=-1)
    gates = torch.zeros_like(noisy).scatter(1, idx, values.softmax(-1))
    top = noisy.topk(k + 1, dim=-1).values
    is_in = noisy > top[:, k:k + 1]
    threshold = torch.where(is_in, top[:, k:k + 1], top[:, k - 1:k])
    load = torch.special.ndtr((clean - threshold) / std).sum(0)
    return gates, load


def test_train_gates_and_load_match_the_formula():
    x, w_gate, w_noise = make(T=32)
    exp_gates, exp_load = expected_train(x, w_gate, w_noise, 2, seed=4)
    torch.manual_seed(4)
    gates, load = noisy_topk_gating(x, w_gate, w_noise, 2, True)
    torch.testing.assert_close(gates.float(), exp_gates)
    torch.testing.assert_close(load.float(), exp_load)
    assert not torch.allclose(load, load.round()), "the training load must be a smooth estimate, not a count"


def test_load_when_k_equals_num_experts():
    x, w_gate, w_noise = make(T=10, E=4)
    _, load = noisy_topk_gating(x, w_gate[:, :4], w_noise[:, :4], 4, True)
    torch.testing.assert_close(load.float(), torch.full((4,), 10.0))


def test_train_load_is_differentiable():
    x, w_gate, w_noise = make()
    w_gate.requires_grad_(True)
    w_noise.requires_grad_(True)
    torch.manual_seed(5)
    _, load = noisy_topk_gating(x, w_gate, w_noise, 2, True)
    cv_squared = load.var() / load.mean() ** 2
    cv_squared.backward()
    assert w_gate.grad is not None and w_gate.grad.abs().sum() > 0, "no gradient reaches w_gate through the load"
    assert w_noise.grad is not None and w_noise.grad.abs().sum() > 0, "no gradient reaches w_noise through the load"
