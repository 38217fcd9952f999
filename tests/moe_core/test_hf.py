"""moe_core.hf against transformers' own Mixtral, Qwen2-MoE and DeepSeek-V3 blocks: outputs, round trips, errors."""
import subprocess
import sys

import pytest
import torch
from torch import nn

from helpers.paths import ROOT
from moe_core import MoELayer, RouterConfig
from moe_core.hf import hf_layer_kwargs, state_dict_from_hf, state_dict_to_hf

D, FF, E, K = 32, 16, 8, 2
PREFIX = "model.layers.1.block_sparse_moe"


def transformers_or_skip():
    return pytest.importorskip("transformers", reason="transformers (a test dependency) is the oracle for moe_core.hf")


def randomize(block, seed):
    """Seeded random weights (HF leaves them uninitialised); DeepSeek-V3 gets a bias large enough to change picks."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for param in block.parameters():
            param.normal_(0, 0.3)
        if hasattr(block.gate, "e_score_correction_bias"):
            block.gate.e_score_correction_bias.normal_(0, 0.5)
    return block.eval()


def mixtral_block(seed=0, **config):
    transformers = transformers_or_skip()
    from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock
    config = {"hidden_size": D, "intermediate_size": FF, "num_local_experts": E, "num_experts_per_tok": K} | config
    return randomize(MixtralSparseMoeBlock(transformers.MixtralConfig(experts_implementation="eager", **config)), seed)


def qwen2_moe_block(seed=0, **config):
    transformers = transformers_or_skip()
    from transformers.models.qwen2_moe.modeling_qwen2_moe import Qwen2MoeSparseMoeBlock
    config = {"hidden_size": D, "moe_intermediate_size": FF, "shared_expert_intermediate_size": 24, "num_experts": E,
              "num_experts_per_tok": K} | config
    return randomize(Qwen2MoeSparseMoeBlock(transformers.Qwen2MoeConfig(experts_implementation="eager", **config)),
                     seed)


def deepseek_v3_block(seed=0, **config):
    transformers = transformers_or_skip()
    from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3MoE
    config = {"hidden_size": D, "moe_intermediate_size": FF, "n_routed_experts": E, "num_experts_per_tok": K,
              "n_group": 4, "topk_group": 2, "n_shared_experts": 2, "routed_scaling_factor": 2.5} | config
    return randomize(DeepseekV3MoE(transformers.DeepseekV3Config(experts_implementation="eager", **config)), seed)


BLOCKS = {
    "mixtral": lambda seed=0: mixtral_block(seed),
    "qwen2_moe normalised": lambda seed=0: qwen2_moe_block(seed, norm_topk_prob=True),
    "qwen2_moe raw": lambda seed=0: qwen2_moe_block(seed, norm_topk_prob=False),
    "deepseek_v3 normalised": lambda seed=0: deepseek_v3_block(seed, norm_topk_prob=True),
    "deepseek_v3 raw": lambda seed=0: deepseek_v3_block(seed, norm_topk_prob=False),
}


def tokens(seed=0):
    return torch.randn(3, 5, D, generator=torch.Generator().manual_seed(seed))  # [batch, seq, d]


@torch.no_grad()
def hf_out(block, x):
    out = block(x)
    return out[0] if isinstance(out, tuple) else out  # some versions also return the router logits


@torch.no_grad()
def our_out(layer, x):
    return layer(x)[0]


def test_importing_moe_core_hf_does_not_import_transformers():
    code = "import sys, moe_core.hf; assert 'transformers' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_from_hf_computes_what_the_block_computes(name):
    block = BLOCKS[name]()
    layer = MoELayer.from_hf(block)
    x = tokens()
    torch.testing.assert_close(our_out(layer, x), hf_out(block, x), rtol=1e-5, atol=1e-5)
    assert not layer.training and layer.capacity_factor is None


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_to_hf_round_trip_restores_outputs_and_state(name):
    block, other = BLOCKS[name](seed=0), BLOCKS[name](seed=1)  # same configuration, different weights
    x = tokens()
    assert not torch.allclose(hf_out(other, x), hf_out(block, x))
    layer = MoELayer.from_hf(block)
    assert layer.to_hf(other) is other
    torch.testing.assert_close(hf_out(other, x), hf_out(block, x), rtol=0, atol=0)
    back = MoELayer.from_hf(other).state_dict()
    assert back.keys() == layer.state_dict().keys()
    assert all(torch.equal(back[key], value) for key, value in layer.state_dict().items())


def test_from_hf_copies_the_weights():
    block = mixtral_block()
    x = tokens()
    before = hf_out(block, x)
    layer = MoELayer.from_hf(block)
    with torch.no_grad():
        for param in layer.parameters():
            param.add_(1.0)
    torch.testing.assert_close(hf_out(block, x), before, rtol=0, atol=0)


def test_from_hf_keeps_the_blocks_dtype_and_mode():
    block = mixtral_block().double().train()
    layer = MoELayer.from_hf(block)
    assert layer.training and all(p.dtype == torch.float64 for p in layer.parameters())
    x = tokens().double()
    torch.testing.assert_close(our_out(layer.eval(), x), hf_out(block.eval(), x), rtol=1e-6, atol=1e-6)


def test_qwen2_moe_settings_reach_the_layer():
    layer = MoELayer.from_hf(qwen2_moe_block(norm_topk_prob=False))
    assert layer.router_config == RouterConfig("topk_softmax", renormalize=False)
    assert layer.shared_gate is not None and layer.shared_experts.w1.shape == (1, D, 24)


def test_deepseek_v3_settings_and_bias_reach_the_layer():
    block = deepseek_v3_block()
    layer = MoELayer.from_hf(block)
    assert layer.router_config == RouterConfig("sigmoid_group_limited", renormalize=True, num_groups=4,
                                               topk_groups=2, routed_scaling_factor=2.5)
    assert layer.shared_experts.w1.shape == (1, D, 2 * FF)          # n_shared_experts * moe_intermediate_size
    assert torch.equal(layer.router.expert_bias, block.gate.e_score_correction_bias)
    x = tokens()
    with_bias = our_out(layer, x)
    with torch.no_grad():
        layer.router.expert_bias.zero_()
    assert not torch.allclose(our_out(layer, x), with_bias)         # the bias changes which experts are picked


def mixtral_files(block):
    """The per-expert entries a Mixtral checkpoint file holds for `block`, beside other layers' entries."""
    gate_up, down = block.experts.gate_up_proj.detach(), block.experts.down_proj.detach()
    files = {f"{PREFIX}.gate.weight": block.gate.weight.detach().clone(),
             "model.layers.1.self_attn.q_proj.weight": torch.zeros(D, D),
             "model.layers.10.block_sparse_moe.gate.weight": torch.zeros(E, D)}  # shares the prefix's characters
    for i in range(E):
        files[f"{PREFIX}.experts.{i}.w1.weight"] = gate_up[i, :FF].clone()   # gate rows come first
        files[f"{PREFIX}.experts.{i}.w3.weight"] = gate_up[i, FF:].clone()
        files[f"{PREFIX}.experts.{i}.w2.weight"] = down[i].clone()
    return files


def test_mixtral_checkpoint_files_load_and_round_trip():
    block = mixtral_block()
    files = mixtral_files(block)
    layer = MoELayer(D, FF, E, K).eval()
    layer.load_state_dict(state_dict_from_hf(files, PREFIX))
    x = tokens()
    torch.testing.assert_close(our_out(layer, x), hf_out(block, x), rtol=1e-5, atol=1e-5)
    written = state_dict_to_hf(layer.state_dict(), PREFIX + ".", layout="w1w2w3")
    mine = {key: value for key, value in files.items() if key.startswith(PREFIX + ".")}
    assert written.keys() == mine.keys()
    assert all(torch.equal(written[key], value) for key, value in mine.items())
    fused = state_dict_to_hf(layer.state_dict())
    assert fused.keys() == block.state_dict().keys()
    assert all(torch.equal(fused[key], value) for key, value in block.state_dict().items())


@pytest.mark.parametrize("layout", ["fused", "w1w2w3", "gate_up_down"])
def test_checkpoint_layouts_round_trip_a_layer_with_shared_experts_and_bias(layout):
    torch.manual_seed(0)
    layer = MoELayer(D, FF, E, K, RouterConfig("sigmoid_group_limited", num_groups=4, topk_groups=2),
                     num_shared_experts=2, shared_d_ff=FF)
    with torch.no_grad():
        layer.router.expert_bias.normal_()
    state = layer.state_dict()
    files = state_dict_to_hf(state, "model.layers.3.mlp", layout)
    assert "model.layers.3.mlp.gate.e_score_correction_bias" in files
    assert files["model.layers.3.mlp.shared_experts.down_proj.weight"].shape == (D, 2 * FF)
    back = state_dict_from_hf(files, "model.layers.3.mlp")
    assert back.keys() == state.keys() and all(torch.equal(back[key], value) for key, value in state.items())


def test_qwen_shared_expert_and_gate_keep_their_names():
    layer = MoELayer(D, FF, E, K, num_shared_experts=1, shared_d_ff=24, shared_expert_gate=True)
    files = state_dict_to_hf(layer.state_dict())
    assert files["shared_expert.gate_proj.weight"].shape == (24, D)
    assert files["shared_expert_gate.weight"].shape == (1, D)


def files_of_a_layer():
    torch.manual_seed(0)
    return state_dict_to_hf(MoELayer(D, FF, E, K).state_dict(), PREFIX, layout="w1w2w3")


@pytest.mark.parametrize("change, message", [
    (lambda f: f.pop(f"{PREFIX}.experts.3.w2.weight"), r"experts\.\{i\}\.w2\.weight must exist"),
    (lambda f: f.pop(f"{PREFIX}.gate.weight"), r"gate\.weight is missing"),
    (lambda f: f.update({f"{PREFIX}.experts.0.gate_proj.weight": torch.zeros(FF, D)}), "weights named"),
    (lambda f: f.update({f"{PREFIX}.router_jitter": torch.zeros(1)}), "unknown keys"),
])
def test_state_dict_from_hf_rejects_incomplete_or_unknown_entries(change, message):
    files = files_of_a_layer()
    change(files)
    with pytest.raises(ValueError, match=message):
        state_dict_from_hf(files, PREFIX)


@pytest.mark.parametrize("layer, message", [
    (MoELayer(D, FF, E, K, activation="gelu"), r"experts\.w3 is missing"),
    (MoELayer(D, FF, E, K, router="noisy_topk"), "router.noise_weight"),
])
def test_state_dict_to_hf_rejects_layers_without_an_hf_counterpart(layer, message):
    with pytest.raises(ValueError, match=message):
        state_dict_to_hf(layer.state_dict())


def test_state_dict_to_hf_rejects_an_unknown_layout():
    with pytest.raises(ValueError, match="layout"):
        state_dict_to_hf(MoELayer(D, FF, E, K).state_dict(), layout="safetensors")


def with_expert_bias(block):
    block.experts.has_bias = True
    return block


@pytest.mark.parametrize("make_block, message", [
    (lambda: mixtral_block(router_jitter_noise=0.1), r"router_jitter_noise \(0.1\) must be 0"),
    (lambda: mixtral_block(hidden_act="gelu"), r"hidden_act of experts \(GELUActivation\) must be silu"),
    (lambda: with_expert_bias(mixtral_block()), r"experts\.has_bias \(True\) must be False"),
    (lambda: deepseek_v3_block(topk_method="greedy"), r"topk_method \('greedy'\) must be 'noaux_tc'"),
    (lambda: deepseek_v3_block(scoring_func="softmax"), r"scoring_func \('softmax'\) must be 'sigmoid'"),
    (lambda: deepseek_v3_block(n_group=3), r"n_routed_experts \(8\) must be divisible by n_group \(3\)"),
    (lambda: nn.Linear(D, D), r"block \(Linear\) must be one of"),
])
def test_from_hf_rejects_settings_moe_core_cannot_express(make_block, message):
    block = make_block()
    with pytest.raises(ValueError, match=message):
        hf_layer_kwargs(block)
    with pytest.raises(ValueError, match=message):
        MoELayer.from_hf(block)


@pytest.mark.parametrize("layer, make_block, message", [
    (lambda: MoELayer.from_hf(mixtral_block()), lambda: mixtral_block(num_local_experts=4), "num_experts"),
    (lambda: MoELayer(D, FF, E, K, capacity_factor=1.25), mixtral_block, "capacity_factor"),
    (lambda: MoELayer.from_hf(qwen2_moe_block(norm_topk_prob=False)), lambda: qwen2_moe_block(norm_topk_prob=True),
     "router"),
    (lambda: MoELayer.from_hf(deepseek_v3_block()), lambda: deepseek_v3_block(n_shared_experts=1), "shared width"),
])
def test_to_hf_rejects_a_block_of_another_configuration(layer, make_block, message):
    block = make_block()
    before = {key: value.clone() for key, value in block.state_dict().items()}
    with pytest.raises(ValueError, match=message):
        layer().to_hf(block)
    assert all(torch.equal(block.state_dict()[key], value) for key, value in before.items())  # left untouched
