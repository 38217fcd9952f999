"""Model sizes from a configuration: total and active parameters and forward FLOPs per token of an MoE transformer.

The configuration uses Hugging Face's config.json names (Mixtral, DeepSeek-V3 and the like); pure arithmetic, no
tensors. What counts as "active" follows DeepSeek-V3's weight documentation (README_WEIGHTS.md: 36.6B activated,
"including 0.9B for the output Head"): every weight a token's forward pass multiplies with, so the unused routed
experts and the input embedding table (a row lookup) are left out. Mistral's "12.9B active" for Mixtral 8x7B counts
the input embedding table too: active_params + embedding_params.

The blocks' formulas (swiglu_params, gqa_attention_params, mla_attention_params) are the ones sandbox.scale's
calculator builds on, adding the biases, sinks and norms of its presets.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .checks import check_int

# Hugging Face's names for the number of routed experts (DeepSeek, Mixtral, Qwen-MoE / OLMoE)
_EXPERT_COUNT_KEYS = ("n_routed_experts", "num_local_experts", "num_experts")


@dataclass(frozen=True)
class ModelSize:
    """Parameter counts (not billions) and forward FLOPs of one token."""
    total_params: int       # every weight of the main model (no multi-token-prediction module)
    active_params: int      # the weights one token multiplies with: shared + top-k routed experts, no input embedding
    embedding_params: int   # the input embedding table (vocab_size * hidden_size)
    flops_per_token: int    # forward matmul FLOPs: 2 * active_params (attention over the context not included)


def _get(config: Mapping, key: str, default=None, low: int = 0) -> int:
    value = config.get(key, default)
    if value is None:
        raise ValueError(f"config: {key} is missing")
    return check_int(f"config {key}", value, low)


def swiglu_params(d_model: int, d_ff: int) -> int:
    """One SwiGLU MLP without biases: gate and up [d_model, d_ff], down [d_ff, d_model]."""
    return 3 * d_model * d_ff


def gqa_attention_params(d_model: int, num_heads: int, num_kv_heads: int, head_dim: int) -> int:
    """The q, k, v, o projections of multi-head / grouped-query attention, without biases."""
    return d_model * head_dim * (2 * num_heads + 2 * num_kv_heads)


def mla_attention_params(d_model: int, num_heads: int, q_lora_rank: int, kv_lora_rank: int, qk_nope_head_dim: int,
                         qk_rope_head_dim: int, v_head_dim: int) -> int:
    """Multi-head latent attention (DeepSeek-V2/V3): a low-rank query (q_lora_rank 0: a full q_proj), one compressed
    kv latent shared by the heads with its RMSNorm, and per-head up-projections of keys and values."""
    qk_head = qk_nope_head_dim + qk_rope_head_dim
    if q_lora_rank:
        query = d_model * q_lora_rank + q_lora_rank + q_lora_rank * num_heads * qk_head  # q_a_proj, its norm, q_b_proj
    else:
        query = d_model * num_heads * qk_head                                            # q_proj
    key_value = (d_model * (kv_lora_rank + qk_rope_head_dim) + kv_lora_rank              # kv_a_proj_with_mqa, its norm
                 + kv_lora_rank * num_heads * (qk_nope_head_dim + v_head_dim))          # kv_b_proj: keys and values
    return query + key_value + num_heads * v_head_dim * d_model                          # o_proj


def _attention_params(config: Mapping, hidden: int) -> int:
    """One attention block: MLA (DeepSeek-V2/V3, when kv_lora_rank is set) or multi-head / grouped-query attention."""
    heads = _get(config, "num_attention_heads", low=1)
    if config.get("kv_lora_rank") is not None:
        q_rank = 0 if config.get("q_lora_rank") is None else _get(config, "q_lora_rank", low=1)
        return mla_attention_params(hidden, heads, q_rank, _get(config, "kv_lora_rank", low=1),
                                    _get(config, "qk_nope_head_dim"), _get(config, "qk_rope_head_dim"),
                                    _get(config, "v_head_dim", low=1))
    return gqa_attention_params(hidden, heads, _get(config, "num_key_value_heads", heads, low=1),
                                _get(config, "head_dim", hidden // heads, low=1))


def _expert_count(config: Mapping) -> int:
    for key in _EXPERT_COUNT_KEYS:
        if config.get(key) is not None:
            return _get(config, key, low=1)
    return 0                                                                   # a dense model


def model_size(config: Mapping) -> ModelSize:
    """Total / active parameters and forward FLOPs per token from a config.json mapping.

    Reads vocab_size, hidden_size, num_hidden_layers, num_attention_heads (num_key_value_heads, head_dim, or DeepSeek's
    MLA ranks), intermediate_size (dense FFN), the routed experts (n_routed_experts / num_local_experts /
    num_experts), num_experts_per_tok, moe_intermediate_size (default intermediate_size), n_shared_experts,
    first_k_dense_replace (leading dense layers) and tie_word_embeddings. SwiGLU FFNs (3 matrices), RMSNorm (one weight
    vector), no biases; DeepSeek's selection bias (topk_method "noaux_tc") adds E per MoE layer.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of config.json names, got {type(config).__name__}")
    hidden, layers = _get(config, "hidden_size", low=1), _get(config, "num_hidden_layers", low=1)
    embedding = _get(config, "vocab_size", low=1) * hidden
    head = 0 if config.get("tie_word_embeddings", False) else embedding
    num_experts = _expert_count(config)
    dense_layers = _get(config, "first_k_dense_replace", 0) if num_experts else layers
    if dense_layers > layers:
        raise ValueError(f"config first_k_dense_replace ({dense_layers}) must be <= num_hidden_layers ({layers})")
    per_layer = _attention_params(config, hidden) + 2 * hidden                # + the two RMSNorms
    dense_ffn = swiglu_params(hidden, _get(config, "intermediate_size", low=1)) if dense_layers else 0
    total = active = layers * per_layer + dense_layers * dense_ffn + hidden + head  # + final norm, output head
    if num_experts:
        top_k = check_int("config num_experts_per_tok", config.get("num_experts_per_tok"), 1, num_experts,
                          "the number of routed experts")
        expert = swiglu_params(hidden, _get(config, "moe_intermediate_size", config.get("intermediate_size"), low=1))
        router = num_experts * hidden + (num_experts if config.get("topk_method") == "noaux_tc" else 0)
        shared = _get(config, "n_shared_experts", 0) * expert
        moe_layers = layers - dense_layers
        total += moe_layers * (num_experts * expert + shared + router)
        active += moe_layers * (top_k * expert + shared + router)
    return ModelSize(total + embedding, active, embedding, 2 * active)
