"""Tests for grouped_from_mixtral."""
import pytest
import torch
import torch.nn.functional as F

from solution import grouped_from_mixtral

PREFIX = "model.layers.1.block_sparse_moe"


def checkpoint(E=4, d=6, ff=10, layers=(1,), seed=0):
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for layer in layers:
        prefix = f"model.layers.{layer}.block_sparse_moe"
        state[f"{prefix}.gate.weight"] = torch.randn(E, d, generator=generator)
        for i in range(E):
            state[f"{prefix}.experts.{i}.w1.weight"] = torch.randn(ff, d, generator=generator)
            state[f"{prefix}.experts.{i}.w2.weight"] = torch.randn(d, ff, generator=generator)
            state[f"{prefix}.experts.{i}.w3.weight"] = torch.randn(ff, d, generator=generator)
        state[f"model.layers.{layer}.self_attn.q_proj.weight"] = torch.randn(d, d, generator=generator)
    return state


def mixtral_expert(state, prefix, i, h):
    w1, w2, w3 = (state[f"{prefix}.experts.{i}.{name}.weight"] for name in ("w1", "w2", "w3"))
    return (F.silu(h @ w1.T) * (h @ w3.T)) @ w2.T


def grouped_expert(grouped, i, h):
    return (F.silu(h @ grouped["experts.w1"][i]) * (h @ grouped["experts.w3"][i])) @ grouped["experts.w2"][i]


def test_keys_and_shapes():
    grouped = grouped_from_mixtral(checkpoint(E=4, d=6, ff=10), PREFIX)
    assert set(grouped) == {"router.weight", "experts.w1", "experts.w2", "experts.w3"}
    assert grouped["router.weight"].shape == (4, 6)
    assert grouped["experts.w1"].shape == (4, 6, 10) and grouped["experts.w3"].shape == (4, 6, 10)
    assert grouped["experts.w2"].shape == (4, 10, 6)


def test_every_expert_computes_what_the_checkpoint_computes():
    state = checkpoint(E=4, d=6, ff=10, seed=1)
    grouped = grouped_from_mixtral(state, PREFIX)
    h = torch.randn(5, 6)
    torch.testing.assert_close(grouped["router.weight"], state[f"{PREFIX}.gate.weight"])
    for i in range(4):
        torch.testing.assert_close(grouped_expert(grouped, i, h), mixtral_expert(state, PREFIX, i, h),
                                   msg=f"expert {i}")


def test_experts_keep_their_numbers_beyond_nine():
    state = checkpoint(E=12, d=4, ff=6, seed=2)
    grouped = grouped_from_mixtral(state, PREFIX)
    h = torch.randn(3, 4)
    for i in (2, 10, 11):
        torch.testing.assert_close(grouped_expert(grouped, i, h), mixtral_expert(state, PREFIX, i, h),
                                   msg=f"expert {i}")


def test_reads_only_its_own_layer():
    state = checkpoint(E=4, layers=(1, 11, 2), seed=3)
    grouped = grouped_from_mixtral(state, PREFIX)
    assert grouped["experts.w1"].shape[0] == 4
    torch.testing.assert_close(grouped["router.weight"], state[f"{PREFIX}.gate.weight"])
    h = torch.randn(2, 6)
    torch.testing.assert_close(grouped_expert(grouped, 3, h), mixtral_expert(state, PREFIX, 3, h))


def test_the_result_owns_its_memory():
    state = checkpoint(seed=4)
    grouped = grouped_from_mixtral(state, PREFIX)
    before = state[f"{PREFIX}.gate.weight"].clone()
    grouped["router.weight"].zero_()
    torch.testing.assert_close(state[f"{PREFIX}.gate.weight"], before)


@pytest.mark.parametrize("missing", [f"{PREFIX}.experts.2.w3.weight", f"{PREFIX}.gate.weight"])
def test_missing_matrix_raises_value_error(missing):
    state = checkpoint(seed=5)
    del state[missing]
    with pytest.raises(ValueError):
        grouped_from_mixtral(state, PREFIX)


def test_unknown_key_under_the_prefix_raises_value_error():
    state = checkpoint(seed=6)
    state[f"{PREFIX}.experts.0.w4.weight"] = torch.zeros(1)
    with pytest.raises(ValueError):
        grouped_from_mixtral(state, PREFIX)
