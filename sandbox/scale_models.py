"""The model configurations of the scale calculator: the dataclass, and presets from each model's config.json and its
paper or model card (sandbox.scale computes with them)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """The figures a model's source gives, and where: what the calculator is checked against."""
    total: float                    # parameters
    active: float                   # parameters per token
    active_without_embedding: bool  # the source's active count leaves out the input embedding
    source: str                     # paper / model card / config.json, as the page cites it
    url: str


@dataclass(frozen=True)
class ModelConfig:
    """A decoder-only MoE transformer as its config.json describes it (Hugging Face names in the comments)."""
    name: str
    d_model: int                     # hidden_size
    num_layers: int                  # num_hidden_layers
    vocab_size: int                  # vocab_size
    num_experts: int                 # routed experts per MoE layer (num_local_experts / n_routed_experts)
    top_k: int                       # num_experts_per_tok
    expert_d_ff: int                 # one routed expert's width (moe_intermediate_size / intermediate_size)
    num_heads: int                   # num_attention_heads
    num_kv_heads: int = 0            # num_key_value_heads (GQA); 0 = num_heads
    head_dim: int = 0                # head_dim; 0 = d_model / num_heads
    num_dense_layers: int = 0        # the first layers with a dense MLP instead of experts (first_k_dense_replace)
    dense_d_ff: int = 0              # the dense MLP's width (intermediate_size)
    num_shared_experts: int = 0      # n_shared_experts, each expert_d_ff wide
    tied_embeddings: bool = False    # tie_word_embeddings
    attention: str = "gqa"           # "gqa" or "mla" (DeepSeek-V3's multi-head latent attention)
    q_lora_rank: int = 0             # MLA: query compression rank (0 = no compression)
    kv_lora_rank: int = 0            # MLA: the cached latent's width
    qk_nope_head_dim: int = 0        # MLA
    qk_rope_head_dim: int = 0        # MLA: the rotary part, cached once per token (shared by the heads)
    v_head_dim: int = 0              # MLA
    attention_bias: bool = False     # biases on q, k, v and o (gpt-oss)
    attention_sinks: bool = False    # one learned sink logit per head (gpt-oss)
    qk_norm: str = ""                # "" | "head" (RMSNorm over head_dim, Qwen3) | "full" (over all heads, OLMoE)
    sliding_window: int = 0          # tokens a sliding-window layer attends to (0 = none)
    sliding_layers: int = 0          # how many layers use the sliding window (gpt-oss: every other one)
    expert_bias: bool = False        # biases in the expert MLPs (gpt-oss)
    router_bias: bool = False        # a bias on the router's logits (gpt-oss)
    num_groups: int = 1              # expert groups (n_group; DeepSeek-V3: 8, one node each in training)
    topk_groups: int = 1             # groups a token may use (topk_group; DeepSeek-V3: 4 = M nodes)
    published: Published | None = None
    notes: tuple[str, ...] = ()      # what is left out or special, shown beside the source

    @property
    def kv_heads(self) -> int:
        return self.num_kv_heads or self.num_heads

    @property
    def head_width(self) -> int:
        return self.head_dim or self.d_model // self.num_heads

    @property
    def num_moe_layers(self) -> int:
        return self.num_layers - self.num_dense_layers


B = 1e9
MODELS: dict[str, ModelConfig] = {
    "mixtral-8x7b": ModelConfig(
        "Mixtral 8x7B", d_model=4096, num_layers=32, vocab_size=32000, num_experts=8, top_k=2, expert_d_ff=14336,
        num_heads=32, num_kv_heads=8, head_dim=128,
        published=Published(46.7 * B, 12.9 * B, False, "Jiang et al. 2024, Mixtral of Experts; config.json of "
                            "mistralai/Mixtral-8x7B-v0.1", "https://arxiv.org/abs/2401.04088")),
    "mixtral-8x22b": ModelConfig(
        "Mixtral 8x22B", d_model=6144, num_layers=56, vocab_size=32768, num_experts=8, top_k=2, expert_d_ff=16384,
        num_heads=48, num_kv_heads=8, head_dim=128,
        published=Published(141 * B, 39 * B, False, "Mistral AI, Cheaper, Better, Faster, Stronger (2024); "
                            "config.json of mistralai/Mixtral-8x22B-Instruct-v0.1",
                            "https://mistral.ai/news/mixtral-8x22b")),
    "deepseek-v3": ModelConfig(
        "DeepSeek-V3", d_model=7168, num_layers=61, vocab_size=129280, num_experts=256, top_k=8, expert_d_ff=2048,
        num_heads=128, num_dense_layers=3, dense_d_ff=18432, num_shared_experts=1, attention="mla",
        q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
        num_groups=8, topk_groups=4,
        published=Published(671 * B, 36.6 * B, True, "DeepSeek-AI 2024, DeepSeek-V3 Technical Report (671B total, "
                            "37B active); README_WEIGHTS.md (36.6B active with the 0.9B output head); config.json",
                            "https://arxiv.org/abs/2412.19437"),
        notes=("mtp_excluded",)),
    "qwen3-235b-a22b": ModelConfig(
        "Qwen3-235B-A22B", d_model=4096, num_layers=94, vocab_size=151936, num_experts=128, top_k=8,
        expert_d_ff=1536, num_heads=64, num_kv_heads=4, head_dim=128, qk_norm="head",
        published=Published(235 * B, 22 * B, False, "Qwen Team 2025, Qwen3 Technical Report; model card and "
                            "config.json of Qwen/Qwen3-235B-A22B", "https://arxiv.org/abs/2505.09388")),
    "gpt-oss-120b": ModelConfig(
        "gpt-oss-120b", d_model=2880, num_layers=36, vocab_size=201088, num_experts=128, top_k=4, expert_d_ff=2880,
        num_heads=64, num_kv_heads=8, head_dim=64, attention_bias=True, attention_sinks=True, sliding_window=128,
        sliding_layers=18, expert_bias=True, router_bias=True,
        published=Published(116.8 * B, 5.1 * B, True, "OpenAI 2025, gpt-oss-120b & gpt-oss-20b Model Card "
                            "(116.8B total, 5.1B active per token); config.json of openai/gpt-oss-120b",
                            "https://arxiv.org/abs/2508.10925"),
        notes=("alternating_window",)),
    "olmoe-1b-7b": ModelConfig(
        "OLMoE-1B-7B", d_model=2048, num_layers=16, vocab_size=50304, num_experts=64, top_k=8, expert_d_ff=1024,
        num_heads=16, qk_norm="full",
        published=Published(6.9 * B, 1.3 * B, False, "Muennighoff et al. 2024, OLMoE: Open Mixture-of-Experts "
                            "Language Models; config.json of allenai/OLMoE-1B-7B-0924",
                            "https://arxiv.org/abs/2409.02060")),
}
