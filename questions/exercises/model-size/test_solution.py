"""Tests for model_size."""
import pytest
import torch
from torch import nn

from solution import model_size

# config.json of deepseek-ai/DeepSeek-V3 (the entries that size the main model)
DEEPSEEK_V3 = {"vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
               "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
               "n_shared_experts": 1, "n_routed_experts": 256, "num_experts_per_tok": 8, "first_k_dense_replace": 3,
               "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128,
               "qk_nope_head_dim": 128, "topk_method": "noaux_tc", "tie_word_embeddings": False}
# config.json of mistralai/Mixtral-8x7B-v0.1
MIXTRAL_8X7B = {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8,
                "num_experts_per_tok": 2, "tie_word_embeddings": False}


def linear(n_in, n_out):
    return nn.Linear(n_in, n_out, bias=False)


def swiglu(d, width):
    return nn.ModuleList([linear(d, width), linear(width, d), linear(d, width)])


def attention(c):
    d, heads = c["hidden_size"], c["num_attention_heads"]
    if c.get("kv_lora_rank") is None:
        head_dim = c.get("head_dim", d // heads)
        kv_heads = c.get("num_key_value_heads", heads)
        return nn.ModuleList([linear(d, heads * head_dim), linear(d, kv_heads * head_dim),
                              linear(d, kv_heads * head_dim), linear(heads * head_dim, d)])
    qk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
    parts = [linear(d, c["kv_lora_rank"] + c["qk_rope_head_dim"]), nn.RMSNorm(c["kv_lora_rank"]),
             linear(c["kv_lora_rank"], heads * (c["qk_nope_head_dim"] + c["v_head_dim"])),
             linear(heads * c["v_head_dim"], d)]
    if c.get("q_lora_rank") is None:
        return nn.ModuleList(parts + [linear(d, heads * qk)])
    return nn.ModuleList(parts + [linear(d, c["q_lora_rank"]), nn.RMSNorm(c["q_lora_rank"]),
                                  linear(c["q_lora_rank"], heads * qk)])


def build(c):
    """The model a small config describes, module by module; returns (model, routed experts per MoE layer)."""
    d, experts = c["hidden_size"], c.get("n_routed_experts", c.get("num_local_experts", 0))
    model = nn.ModuleDict({"embed": nn.Embedding(c["vocab_size"], d), "norm": nn.RMSNorm(d)})
    if not c.get("tie_word_embeddings", False):
        model["head"] = linear(d, c["vocab_size"])
    moe_layers = []
    for index in range(c["num_hidden_layers"]):
        block = nn.ModuleDict({"attn": attention(c), "norm1": nn.RMSNorm(d), "norm2": nn.RMSNorm(d)})
        if not experts or index < c.get("first_k_dense_replace", 0):
            block["ffn"] = swiglu(d, c["intermediate_size"])
        else:
            width = c.get("moe_intermediate_size", c["intermediate_size"])
            block["router"] = linear(d, experts)
            if c.get("topk_method") == "noaux_tc":
                block["router_bias"] = nn.RMSNorm(experts)      # E values
            block["experts"] = nn.ModuleList(swiglu(d, width) for _ in range(experts))
            block["shared"] = nn.ModuleList(swiglu(d, width) for _ in range(c.get("n_shared_experts", 0)))
            moe_layers.append(block)
        model[f"layer{index}"] = block
    return model, moe_layers


def count(module):
    return sum(p.numel() for p in module.parameters())


def check_against_modules(config):
    model, moe_layers = build(config)
    size = model_size(config)
    unused = sum(count(layer["experts"][0]) * (len(layer["experts"]) - config["num_experts_per_tok"])
                 for layer in moe_layers)
    assert size["total_params"] == count(model)
    assert size["embedding_params"] == count(model["embed"])
    assert size["active_params"] == count(model) - unused - count(model["embed"])
    assert size["flops_per_token"] == 2 * size["active_params"]


def test_returns_ints():
    size = model_size(MIXTRAL_8X7B)
    assert set(size) == {"total_params", "active_params", "embedding_params", "flops_per_token"}
    assert all(type(v) is int for v in size.values())


def test_deepseek_v3_total_is_671b():
    assert abs(model_size(DEEPSEEK_V3)["total_params"] / 671e9 - 1) < 0.01


def test_deepseek_v3_active_matches_its_documented_36_6b():
    # README_WEIGHTS.md of DeepSeek-V3: 36.6B activated, including the 0.9B output head; the report rounds to 37B
    size = model_size(DEEPSEEK_V3)
    assert abs(size["active_params"] / 36.6e9 - 1) < 0.01
    assert round(size["active_params"] / 1e9) == 37
    assert size["flops_per_token"] == 2 * size["active_params"]


def test_mixtral_8x7b_is_46_7b_with_12_9b_active_counting_the_embedding_table():
    size = model_size(MIXTRAL_8X7B)
    assert abs(size["total_params"] / 46.7e9 - 1) < 0.01
    assert abs((size["active_params"] + size["embedding_params"]) / 12.9e9 - 1) < 0.01


def test_small_grouped_query_moe_counts_every_module():
    check_against_modules({"vocab_size": 40, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 3,
                           "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 6,
                           "num_experts_per_tok": 2})


def test_small_latent_attention_moe_with_dense_and_shared_experts_counts_every_module():
    check_against_modules({"vocab_size": 30, "hidden_size": 12, "intermediate_size": 20, "moe_intermediate_size": 6,
                           "num_hidden_layers": 4, "num_attention_heads": 3, "n_shared_experts": 2,
                           "n_routed_experts": 8, "num_experts_per_tok": 3, "first_k_dense_replace": 1,
                           "kv_lora_rank": 5, "q_lora_rank": 7, "qk_rope_head_dim": 2, "v_head_dim": 4,
                           "qk_nope_head_dim": 3, "topk_method": "noaux_tc", "tie_word_embeddings": False})


def test_latent_attention_without_query_compression_and_tied_embeddings():
    check_against_modules({"vocab_size": 30, "hidden_size": 12, "intermediate_size": 20, "moe_intermediate_size": 6,
                           "num_hidden_layers": 2, "num_attention_heads": 2, "n_routed_experts": 4,
                           "num_experts_per_tok": 1, "kv_lora_rank": 5, "q_lora_rank": None, "qk_rope_head_dim": 2,
                           "v_head_dim": 4, "qk_nope_head_dim": 3, "tie_word_embeddings": True})


def test_a_dense_model_is_all_active():
    config = {"vocab_size": 50, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 2,
              "num_attention_heads": 2}
    check_against_modules(config | {"num_experts_per_tok": 0})
    size = model_size(config)
    assert size["total_params"] == size["active_params"] + size["embedding_params"]


def test_missing_key_raises_value_error_naming_it():
    config = dict(MIXTRAL_8X7B)
    del config["hidden_size"]
    with pytest.raises(ValueError, match="hidden_size"):
        model_size(config)
