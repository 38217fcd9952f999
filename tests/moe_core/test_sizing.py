"""Model sizes from a configuration: published figures of DeepSeek-V3 and Mixtral, and a small model counted exactly."""
import pytest
import torch
from torch import nn

from moe_core import MoELayer, model_size
from moe_core.experts import Experts

# config.json of deepseek-ai/DeepSeek-V3 (the entries that size the main model)
DEEPSEEK_V3 = dict(vocab_size=129280, hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048,
                   num_hidden_layers=61, num_attention_heads=128, num_key_value_heads=128, n_shared_experts=1,
                   n_routed_experts=256, num_experts_per_tok=8, first_k_dense_replace=3, kv_lora_rank=512,
                   q_lora_rank=1536, qk_rope_head_dim=64, v_head_dim=128, qk_nope_head_dim=128,
                   topk_method="noaux_tc", tie_word_embeddings=False)
# config.json of mistralai/Mixtral-8x7B-v0.1
MIXTRAL_8X7B = dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                    num_attention_heads=32, num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2,
                    tie_word_embeddings=False)


def test_deepseek_v3_gives_671b_total_and_its_documented_active_count():
    size = model_size(DEEPSEEK_V3)
    assert abs(size.total_params / 671e9 - 1) < 0.01
    # README_WEIGHTS.md: 36.6B activated including the 0.9B output head; the report rounds to 37B
    assert abs(size.active_params / 36.6e9 - 1) < 0.01
    assert round(size.active_params / 1e9) == 37
    assert size.flops_per_token == 2 * size.active_params


def test_mixtral_gives_46_7b_total_and_12_9b_with_the_embedding_table():
    size = model_size(MIXTRAL_8X7B)
    assert abs(size.total_params / 46.7e9 - 1) < 0.01
    assert abs((size.active_params + size.embedding_params) / 12.9e9 - 1) < 0.01


class TinyModel(nn.Module):
    """A grouped-query-attention MoE transformer built from moe_core layers, to count by numel."""

    def __init__(self, vocab, d, heads, kv_heads, ff, moe_ff, experts, top_k, shared, layers, dense):
        super().__init__()
        head_dim = d // heads
        self.embed, self.head, self.norm = nn.Embedding(vocab, d), nn.Linear(d, vocab, bias=False), nn.RMSNorm(d)
        self.attention = nn.ModuleList(nn.ModuleList([nn.Linear(d, heads * head_dim, bias=False),
                                                      nn.Linear(d, kv_heads * head_dim, bias=False),
                                                      nn.Linear(d, kv_heads * head_dim, bias=False),
                                                      nn.Linear(heads * head_dim, d, bias=False),
                                                      nn.RMSNorm(d), nn.RMSNorm(d)]) for _ in range(layers))
        self.dense = nn.ModuleList(Experts(1, d, ff) for _ in range(dense))
        self.moe = nn.ModuleList(MoELayer(d, moe_ff, experts, top_k, num_shared_experts=shared,
                                          shared_d_ff=moe_ff if shared else None)
                                 for _ in range(layers - dense))


@pytest.mark.parametrize("shared, dense", [(0, 0), (2, 1)])
def test_small_config_counts_every_parameter_of_the_model_it_describes(shared, dense):
    config = dict(vocab_size=50, hidden_size=16, intermediate_size=40, moe_intermediate_size=8, num_hidden_layers=3,
                  num_attention_heads=4, num_key_value_heads=2, n_routed_experts=6, num_experts_per_tok=2,
                  n_shared_experts=shared, first_k_dense_replace=dense)
    model = TinyModel(50, 16, 4, 2, 40, 8, 6, 2, shared, 3, dense)
    size = model_size(config)
    assert size.total_params == sum(p.numel() for p in model.parameters())
    unused_experts = sum(layer.experts.w1[0].numel() * 3 * (6 - 2) for layer in model.moe)
    assert size.active_params == size.total_params - unused_experts - model.embed.weight.numel()


@pytest.mark.parametrize("change, match", [({"hidden_size": None}, "hidden_size is missing"),
                                           ({"num_experts_per_tok": 300}, "num_experts_per_tok"),
                                           ({"first_k_dense_replace": 62}, "first_k_dense_replace")])
def test_bad_config_names_the_field(change, match):
    with pytest.raises(ValueError, match=match):
        model_size(DEEPSEEK_V3 | change)


def test_the_calculator_presets_count_as_model_size_does():
    """sandbox.scale counts with the same block formulas: Mixtral agrees exactly; DeepSeek-V3 only by the selection
    bias, which model_size counts (it is in the checkpoint) and the calculator does not (moe_core keeps it a buffer)."""
    from sandbox.scale import MODELS, count_params

    mixtral = count_params(MODELS["mixtral-8x7b"])
    assert (mixtral["total"], mixtral["active_compute"]) == (model_size(MIXTRAL_8X7B).total_params,
                                                             model_size(MIXTRAL_8X7B).active_params)
    deepseek, size = count_params(MODELS["deepseek-v3"]), model_size(DEEPSEEK_V3)
    selection_bias = (61 - 3) * 256
    assert (deepseek["total"] + selection_bias, deepseek["active_compute"] + selection_bias) == (
        size.total_params, size.active_params)
