"""Datacenter-scale MoE by calculation: parameters, memory per GPU, FLOPs and all-to-all traffic of a model on a cluster.

Plain arithmetic on a model configuration (`ModelConfig`, presets in `MODELS` from each model's config.json and paper
or model card) and a cluster (`Cluster`); no torch. Units: parameter counts are counts (not billions), memory in bytes,
FLOPs in floating-point operations, bandwidth in bytes per second, time in seconds.

Conventions (each says which published convention it follows):
- `total_params`: every parameter of the model as released, both embedding matrices included (untied), a
  multi-token-prediction module excluded (DeepSeek-V3's 671B leaves out its 14B MTP module).
- `active_params`: total less the routed experts a token does not choose (Mixtral, Qwen3, OLMoE count this way).
- `active_compute_params`: active less the input embedding, which is a row lookup, not a matrix product (the
  convention of DeepSeek-V3's README_WEIGHTS, 36.6B, and of gpt-oss's model card, 5.1B).
- Training memory: mixed-precision Adam, weights and gradients in `dtype`, fp32 master weights and two fp32 moments
  (12 bytes per parameter) sharded over the data-parallel ranks (ZeRO-1 / Megatron's distributed optimizer).
  Non-expert weights are split over TP x PP, experts over EP x PP (expert tensor parallelism 1, as DeepSeek-V3).
- All-to-all: per MoE layer each token's hidden vector (d_model x dtype bytes) goes to the owner of each of its k
  routed experts and comes back (combine); shared experts stay local. Expected values assume uniform routing over
  experts placed in contiguous blocks (moe_core.create_expert_groups). Without node limit every slot travels on its
  own, as moe_core.parallel sends it; with DeepSeek-V3's node-limited routing a token's experts lie on at most M nodes
  and it crosses the inter-node network once per destination node, then NVLink forwards it inside the node; the
  groups are chosen by their best experts, so the token reaches min(M, the nodes it would reach without the limit).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from moe_core.checks import check_choice, check_int, check_positive
from moe_core.sizing import gqa_attention_params, mla_attention_params, swiglu_params

from .scale_models import MODELS, ModelConfig, Published

__all__ = ["MODELS", "Cluster", "Estimate", "ModelConfig", "Published", "count_params", "estimate", "suggested_cluster",
           "traffic"]

DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1}
ADAM_STATE_BYTES = 12  # fp32 master weight + first and second moment, per parameter


def _gqa_attention_params(m: ModelConfig) -> int:
    """q, k, v, o projections (moe_core.sizing) + biases, sinks and q/k norms of one grouped-query attention layer."""
    q_width, kv_width = m.num_heads * m.head_width, m.kv_heads * m.head_width
    params = gqa_attention_params(m.d_model, m.num_heads, m.kv_heads, m.head_width)
    if m.attention_bias:
        params += q_width + 2 * kv_width + m.d_model
    if m.attention_sinks:
        params += m.num_heads
    if m.qk_norm == "head":
        params += 2 * m.head_width
    elif m.qk_norm == "full":
        params += q_width + kv_width
    return params


def attention_params(m: ModelConfig) -> int:
    """Parameters of one layer's attention block."""
    if m.attention == "mla":
        return mla_attention_params(m.d_model, m.num_heads, m.q_lora_rank, m.kv_lora_rank, m.qk_nope_head_dim,
                                    m.qk_rope_head_dim, m.v_head_dim)
    return _gqa_attention_params(m)


def expert_params(m: ModelConfig) -> int:
    """One routed expert: a SwiGLU MLP (moe_core.sizing) + its biases."""
    return swiglu_params(m.d_model, m.expert_d_ff) + (2 * m.expert_d_ff + m.d_model if m.expert_bias else 0)


def moe_layer_params(m: ModelConfig) -> int:
    """One MoE block: router [E, d] (+ bias), the routed experts and the shared experts (fused, as moe_core stores
    them). Equals sum(p.numel()) of moe_core.MoELayer(d, ff, E, k, num_shared_experts=...) for a config without
    biases; a selection bias (DeepSeek-V3's e_score_correction_bias) is a buffer, not a parameter."""
    router = m.num_experts * m.d_model + (m.num_experts if m.router_bias else 0)
    shared = m.num_shared_experts * swiglu_params(m.d_model, m.expert_d_ff)
    return router + m.num_experts * expert_params(m) + shared


def embedding_params(m: ModelConfig) -> int:
    """The input embedding and, when untied, the output head: vocab x d each."""
    return m.vocab_size * m.d_model * (1 if m.tied_embeddings else 2)


def count_params(m: ModelConfig) -> dict[str, int]:
    """{"total", "active", "active_compute", "expert", "embedding", "attention"}: counts, see the module's conventions."""
    layer_common = attention_params(m) + 2 * m.d_model                       # attention + its two RMSNorms
    dense_mlp = swiglu_params(m.d_model, m.dense_d_ff)
    experts_all = m.num_moe_layers * m.num_experts * expert_params(m)
    total = (embedding_params(m) + m.d_model + m.num_layers * layer_common + m.num_dense_layers * dense_mlp
             + m.num_moe_layers * moe_layer_params(m))
    active = total - m.num_moe_layers * (m.num_experts - m.top_k) * expert_params(m)
    input_embedding = 0 if m.tied_embeddings else m.vocab_size * m.d_model  # tied: the same matrix is the head
    return {"total": total, "active": active, "active_compute": active - input_embedding, "expert": experts_all,
            "embedding": embedding_params(m), "attention": m.num_layers * attention_params(m)}


def kv_cache_bytes_per_token(m: ModelConfig, context: int, dtype_bytes: int) -> float:
    """KV-cache bytes one sequence holds per token of a `context`-token context, over all layers.

    GQA: k and v, kv_heads x head_dim each, per layer; a sliding-window layer keeps at most `sliding_window` tokens.
    MLA: the compressed latent plus the shared rotary key (kv_lora_rank + qk_rope_head_dim) per layer.
    """
    if m.attention == "mla":
        return m.num_layers * (m.kv_lora_rank + m.qk_rope_head_dim) * dtype_bytes
    per_layer = 2 * m.kv_heads * m.head_width * dtype_bytes
    windowed = min(1.0, m.sliding_window / context) if m.sliding_window else 1.0
    return per_layer * ((m.num_layers - m.sliding_layers) + m.sliding_layers * windowed)


def attention_flops_per_token(m: ModelConfig, context: int) -> float:
    """Forward FLOPs of the score and value products for one token attending to `context` tokens (2 per multiply-add).

    A sliding-window layer attends to at most sliding_window tokens. MLA in its naive form (per-head keys).
    """
    if m.attention == "mla":
        qk, v = m.num_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim), m.num_heads * m.v_head_dim
    else:
        qk = v = m.num_heads * m.head_width
    full = m.num_layers - m.sliding_layers
    windowed = m.sliding_layers * min(context, m.sliding_window or context)
    return 2.0 * (qk + v) * (full * context + windowed)


@dataclass(frozen=True)
class Cluster:
    """GPUs and how the model is spread over them. world = nodes x gpus_per_node = dp x tp x pp; EP ranks are taken
    from the dp x tp ranks of a pipeline stage (ep divides dp x tp), so every GPU holds num_experts / ep experts."""
    gpus_per_node: int = 8
    nodes: int = 1
    ep: int = 8                          # expert-parallel ranks
    tp: int = 1                          # tensor-parallel ranks (attention, dense MLP, shared experts)
    pp: int = 1                          # pipeline stages
    dp: int = 8                          # data-parallel ranks
    intra_node_bandwidth: float = 450e9  # bytes/s one GPU sends inside its node (NVLink 4: 900 GB/s both ways)
    inter_node_bandwidth: float = 50e9   # bytes/s one GPU sends to other nodes (one 400 Gb/s NIC per GPU)
    dtype: str = "bf16"                  # weights, gradients, KV cache and all-to-all payload
    peak_flops: float = 989e12           # FLOP/s of one GPU (H100 SXM dense bf16); times are at peak: lower bounds
    tokens_per_gpu: int = 4096           # tokens one GPU routes per micro-batch (the time figures)
    node_limit: int = 4                  # M: nodes one token's experts may span (DeepSeek-V3: 4)
    context: int = 4096                  # tokens per sequence (attention FLOPs, KV cache)
    sequences_per_gpu_group: int = 16    # serving: sequences in the KV cache of one tp x pp group
    gpu_memory: float = 80 * 1024 ** 3   # bytes one GPU holds (H100: 80 GiB)

    @property
    def world(self) -> int:
        return self.nodes * self.gpus_per_node


@dataclass
class Estimate:
    """What `estimate` computes; counts, bytes, FLOPs, seconds (per GPU where it says so)."""
    total_params: int
    active_params: int               # total less the routed experts a token does not use
    active_compute_params: int       # active less the input embedding (a lookup)
    expert_params: int               # every routed expert of every layer
    params_per_gpu: float            # non-expert / (tp pp) + experts / (ep pp)
    train_weight_bytes: float        # per GPU, in the cluster's dtype
    train_grad_bytes: float          # per GPU, in the cluster's dtype
    train_optimizer_bytes: float     # per GPU: 12 bytes per parameter, sharded over the data-parallel ranks
    serve_weight_bytes: float        # per GPU
    serve_kv_cache_bytes: float      # per GPU: sequences_per_gpu_group x context tokens
    kv_cache_bytes_per_token: float  # one sequence, all layers
    flops_per_token_forward: float   # 2 x active_compute + attention over `context`
    flops_per_token_training: float  # 3 x forward (backward = 2 x forward)
    a2a_bytes_per_token: float       # per MoE layer, dispatch (the combine sends as much back): k x d x dtype bytes
    intra_node_bytes: float          # of which to other GPUs of the node, every slot on its own
    inter_node_bytes: float          # of which to other nodes, every slot on its own
    intra_node_bytes_node_limited: float  # node-limited routing: NVLink forwarding inside the destination nodes
    inter_node_bytes_node_limited: float  # node-limited routing: one copy per remote destination node
    inter_node_copies: float         # expected remote-node copies per token without the limit (one per node)
    inter_node_copies_node_limited: float  # the same with the limit (at most node_limit)
    a2a_seconds: float               # per MoE layer and micro-batch: dispatch + combine, NVLink and IB in parallel
    a2a_seconds_node_limited: float
    expert_seconds: float            # per MoE layer and micro-batch: routed + shared experts' forward at peak
    train_fits: bool                 # weights + gradients + optimizer state <= gpu_memory (activations not counted)
    serve_fits: bool                 # weights + KV cache <= gpu_memory
    notes: list[str] = field(default_factory=list)


def check_model(m: ModelConfig) -> None:
    """Raises ValueError naming the first broken constraint of a model configuration."""
    for name in ("d_model", "num_layers", "vocab_size", "num_experts", "expert_d_ff", "num_heads"):
        check_int(name, getattr(m, name), 1)
    check_int("top_k", m.top_k, 1, m.num_experts, "num_experts")
    check_int("num_dense_layers", m.num_dense_layers, 0, m.num_layers - 1, "num_layers - 1")
    check_int("num_shared_experts", m.num_shared_experts, 0)
    check_int("sliding_layers", m.sliding_layers, 0, m.num_layers, "num_layers")
    check_choice("attention", m.attention, ("gqa", "mla"))
    check_choice("qk_norm", m.qk_norm, ("", "head", "full"))
    if m.num_dense_layers:
        check_int("dense_d_ff", m.dense_d_ff, 1)
    if m.attention == "mla":
        for name in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            check_int(name, getattr(m, name), 1)
    elif m.num_heads % m.kv_heads:
        raise ValueError(f"num_heads ({m.num_heads}) must be divisible by num_kv_heads ({m.kv_heads})")


def check_cluster(c: Cluster, m: ModelConfig) -> None:
    """Raises ValueError naming the first broken constraint of a cluster for a model."""
    for name in ("gpus_per_node", "nodes", "ep", "tp", "pp", "dp", "tokens_per_gpu", "node_limit", "context"):
        check_int(name, getattr(c, name), 1)
    check_int("sequences_per_gpu_group", c.sequences_per_gpu_group, 0)
    check_choice("dtype", c.dtype, DTYPE_BYTES)
    for name in ("intra_node_bandwidth", "inter_node_bandwidth", "peak_flops", "gpu_memory"):
        check_positive(name, getattr(c, name))
    if c.dp * c.tp * c.pp != c.world:
        raise ValueError(f"dp x tp x pp ({c.dp} x {c.tp} x {c.pp} = {c.dp * c.tp * c.pp}) must equal nodes x "
                         f"gpus_per_node ({c.world})")
    if (c.dp * c.tp) % c.ep:
        raise ValueError(f"ep ({c.ep}) must divide dp x tp ({c.dp * c.tp}): expert-parallel ranks come from the "
                         f"data- and tensor-parallel ranks of a pipeline stage")
    if m.num_experts % c.ep:
        raise ValueError(f"num_experts ({m.num_experts}) must be divisible by ep ({c.ep})")
    if c.ep > c.gpus_per_node and c.ep % c.gpus_per_node:
        raise ValueError(f"ep ({c.ep}) must be a multiple of gpus_per_node ({c.gpus_per_node}) when it spans nodes")


def chance_group_missed(num_experts: int, group_size: int, k: int) -> float:
    """P(none of k distinct experts drawn uniformly from num_experts falls in a given group of group_size)."""
    if k > num_experts - group_size:
        return 0.0
    return math.comb(num_experts - group_size, k) / math.comb(num_experts, k)


def traffic(m: ModelConfig, c: Cluster) -> dict[str, float]:
    """All-to-all bytes per token per MoE layer (dispatch) and their split, expected under uniform routing."""
    slot_bytes = m.d_model * DTYPE_BYTES[c.dtype]
    gpus_in_node = min(c.gpus_per_node, c.ep)                   # EP ranks sharing a token's node
    ep_nodes = max(1, c.ep // c.gpus_per_node)                  # nodes the EP group spans
    per_node = m.num_experts // ep_nodes                        # experts on one node
    nodes_reached = ep_nodes * (1 - chance_group_missed(m.num_experts, per_node, m.top_k))  # own node included
    copies = nodes_reached * (1 - 1 / ep_nodes)
    # node-limited: the router keeps the node_limit groups (nodes) with the best experts, so the token reaches all of
    # them unless it reaches fewer anyway (moe_core's group-limited router: 3.96 of 4 nodes on average)
    limited = min(c.node_limit, nodes_reached) * (1 - 1 / ep_nodes)
    slots = m.top_k * slot_bytes
    return {"bytes": slots, "intra": slots * (gpus_in_node - 1) / c.ep, "inter": slots * (c.ep - gpus_in_node) / c.ep,
            "intra_limited": slots * (gpus_in_node - 1) / gpus_in_node, "inter_limited": limited * slot_bytes,
            "copies": copies, "copies_limited": limited}


def a2a_seconds(c: Cluster, intra_bytes: float, inter_bytes: float) -> float:
    """Dispatch + combine of tokens_per_gpu tokens: NVLink and the inter-node network run at the same time."""
    return 2 * c.tokens_per_gpu * max(intra_bytes / c.intra_node_bandwidth, inter_bytes / c.inter_node_bandwidth)


def estimate(model: ModelConfig, cluster: Cluster | None = None) -> Estimate:
    """Parameters, memory per GPU, FLOPs per token and all-to-all traffic of `model` on `cluster` (default: one node
    of 8 GPUs, EP 8). Bad settings raise ValueError naming the constraint."""
    c = cluster or Cluster()
    check_model(model)
    check_cluster(c, model)
    counts = count_params(model)
    dtype_bytes = DTYPE_BYTES[c.dtype]
    non_expert = counts["total"] - counts["expert"]
    per_gpu = non_expert / (c.tp * c.pp) + counts["expert"] / (c.ep * c.pp)
    # ZeRO-1: non-expert state over dp; an expert's state over its dp x tp / ep replicas
    optimizer = ADAM_STATE_BYTES * (non_expert / (c.tp * c.pp * c.dp) + counts["expert"] / c.world)
    kv_token = kv_cache_bytes_per_token(model, c.context, dtype_bytes)
    kv_split = c.pp * (1 if model.attention == "mla" else min(c.tp, model.kv_heads))  # MLA's latent is not split
    kv_bytes = c.sequences_per_gpu_group * c.context * kv_token / kv_split
    forward = 2.0 * counts["active_compute"] + attention_flops_per_token(model, c.context)
    t = traffic(model, c)
    expert_flops = 2 * swiglu_params(model.d_model, model.expert_d_ff) * (model.top_k + model.num_shared_experts)
    notes = list(model.notes)
    if c.ep > 1 and c.node_limit < max(1, c.ep // c.gpus_per_node):
        notes.append("node_limited")
    return Estimate(
        total_params=counts["total"], active_params=counts["active"], active_compute_params=counts["active_compute"],
        expert_params=counts["expert"], params_per_gpu=per_gpu, train_weight_bytes=per_gpu * dtype_bytes,
        train_grad_bytes=per_gpu * dtype_bytes, train_optimizer_bytes=optimizer,
        serve_weight_bytes=per_gpu * dtype_bytes,
        serve_kv_cache_bytes=kv_bytes,
        kv_cache_bytes_per_token=kv_token, flops_per_token_forward=forward, flops_per_token_training=3 * forward,
        a2a_bytes_per_token=t["bytes"], intra_node_bytes=t["intra"], inter_node_bytes=t["inter"],
        intra_node_bytes_node_limited=t["intra_limited"], inter_node_bytes_node_limited=t["inter_limited"],
        inter_node_copies=t["copies"], inter_node_copies_node_limited=t["copies_limited"],
        a2a_seconds=a2a_seconds(c, t["intra"], t["inter"]),
        a2a_seconds_node_limited=a2a_seconds(c, t["intra_limited"], t["inter_limited"]),
        expert_seconds=c.tokens_per_gpu * expert_flops / c.peak_flops,
        train_fits=per_gpu * 2 * dtype_bytes + optimizer <= c.gpu_memory,
        serve_fits=per_gpu * dtype_bytes + kv_bytes <= c.gpu_memory, notes=notes)


def suggested_cluster(model: ModelConfig) -> Cluster:
    """A cluster the calculator starts from for a model: 8-GPU nodes, EP over up to 64 GPUs (as DeepSeek-V3's EP 64
    over 8 nodes) and data parallelism over the same GPUs, with the fewest pipeline stages (1, 2, 4, 8 or 16) whose
    training state fits in a GPU's memory."""
    ep = max(d for d in range(1, min(model.num_experts, 64) + 1) if model.num_experts % d == 0)
    nodes = max(1, ep // 8)
    for pp in (1, 2, 4, 8, 16):
        cluster = Cluster(nodes=nodes * pp, ep=ep, pp=pp, dp=nodes * 8)
        if estimate(model, cluster).train_fits:
            break
    return cluster
