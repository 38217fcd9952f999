"""Hugging Face MoE blocks and checkpoints to and from MoELayer (Mixtral, Qwen2-MoE, DeepSeek-V3), without transformers.

from_hf(block) builds a MoELayer that computes what a transformers block computes (eval mode); to_hf(layer, block)
copies a layer's weights into a block of the same configuration; state_dict_from_hf / state_dict_to_hf convert one
block's entries of a checkpoint to and from the layer's state dict. Blocks are recognised by class name and read
through their attributes (duck typing), so transformers stays a test dependency. Where HF's conventions differ:
- HF stores a linear map as weight [out, in] (y = x @ W^T); moe_core's expert matrices are [in, out] (y = x @ w), so
  every expert matrix is transposed on the way.
- transformers 5 fuses each expert's gate and up projections: experts.gate_up_proj [E, 2*ff, d] (gate rows first,
  then up) and experts.down_proj [E, d, ff] (checked on transformers 5.24). Checkpoint files store one matrix per
  expert: experts.{i}.w1 (gate) / w3 (up) [ff, d] and w2 (down) [d, ff] in Mixtral's, experts.{i}.gate_proj /
  up_proj / down_proj in Qwen2-MoE's and DeepSeek-V3's.
- HF calls the router `gate` (gate.weight [E, d]); DeepSeek-V3's selection-only bias gate.e_score_correction_bias is
  our router.expert_bias. A shared MLP (Qwen2-MoE `shared_expert`, DeepSeek-V3 `shared_experts` of width
  n_shared_experts * moe_intermediate_size) is our fused shared_experts; Qwen's shared_expert_gate is our shared_gate.
- HF's Mixtral and Qwen2-MoE compute router logits in the input dtype, moe_core in float32: equal outputs in float32,
  close ones in bfloat16.
"""
from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from .checks import check_choice
from .layer import MoELayer
from .routers import RouterConfig

HF_BLOCKS = {"MixtralSparseMoeBlock": "mixtral", "Qwen2MoeSparseMoeBlock": "qwen2_moe", "DeepseekV3MoE": "deepseek_v3"}
# expert layouts of state_dict_to_hf: transformers 5 modules, Mixtral files, Qwen2-MoE / DeepSeek-V3 files
EXPERT_LAYOUTS = ("fused", "w1w2w3", "gate_up_down")
# per-expert file names of (gate, up, down)
_PER_EXPERT_NAMES = {"w1w2w3": ("w1", "w3", "w2"), "gate_up_down": ("gate_proj", "up_proj", "down_proj")}
_PER_EXPERT_KEY = re.compile(r"experts\.(\d+)\.(\w+)\.weight")
_MLP_NAMES = ("gate_proj", "up_proj", "down_proj")
_SILU = ("SiLU", "SiLUActivation")  # transformers' ACT2FN["silu"] and ACT2FN["swish"]
# transformers' experts flags (integrations.moe.use_experts_implementation) and the values moe_core can hold
_EXPERT_FLAGS = (("has_gate", True), ("is_concatenated", True), ("is_transposed", False), ("has_bias", False),
                 ("has_post_expert_norm", False), ("_is_expert_parallel", False))


def block_kind(block: nn.Module) -> str:
    """The kind of a transformers MoE block by its class name: "mixtral", "qwen2_moe" or "deepseek_v3"."""
    name = type(block).__name__
    if name not in HF_BLOCKS or not (hasattr(block, "gate") and hasattr(block, "experts")):
        raise ValueError(f"block ({name}) must be one of {sorted(HF_BLOCKS)}")
    return HF_BLOCKS[name]


def _check_silu(where: str, module: nn.Module) -> None:
    name = type(module.act_fn).__name__
    if name not in _SILU:
        raise ValueError(f"hidden_act of {where} ({name}) must be silu: moe_core's experts are SwiGLU, "
                         "silu(x w1) * (x w3) then w2")


def _check_experts(experts: nn.Module) -> None:
    """The fused experts moe_core can hold: SwiGLU, [gate; up] concatenated, [out, in], no bias, all experts local."""
    _check_silu("experts", experts)
    for flag, wanted in _EXPERT_FLAGS:
        value = getattr(experts, flag, wanted)
        if value != wanted:
            raise ValueError(f"experts.{flag} ({value!r}) must be {wanted!r} for moe_core")


def _mixtral_settings(block: nn.Module) -> dict:
    """Softmax over all experts, top-k, renormalised. Input jitter (training only) has no moe_core counterpart."""
    jitter = getattr(block, "jitter_noise", 0.0)
    if jitter:
        raise ValueError(f"router_jitter_noise ({jitter}) must be 0: moe_core has no input jitter")
    return {"router": RouterConfig("topk_softmax")}


def _qwen2_moe_settings(block: nn.Module) -> dict:
    """Top-k softmax renormalised only when norm_topk_prob; one shared expert gated by sigmoid(x @ gate^T)."""
    _check_silu("shared_expert", block.shared_expert)
    return {"router": RouterConfig("topk_softmax", renormalize=bool(block.gate.norm_topk_prob)),
            "num_shared_experts": 1, "shared_d_ff": block.shared_expert.gate_proj.weight.shape[0],
            "shared_expert_gate": True}


def _deepseek_v3_settings(block: nn.Module) -> dict:
    """Sigmoid scores, biased group-limited selection (noaux_tc), unbiased weights; n_shared_experts fused shared."""
    config, gate = getattr(block, "config", None), block.gate
    for setting, wanted in (("topk_method", "noaux_tc"), ("scoring_func", "sigmoid")):
        value = getattr(config, setting, wanted)  # set in DeepSeek's own config files; transformers 5 reads neither
        if value != wanted:
            raise ValueError(f"{setting} ({value!r}) must be {wanted!r}: moe_core's DeepSeek router is "
                             "sigmoid_group_limited")
    num_experts, groups = gate.weight.shape[0], gate.num_group
    if not isinstance(groups, int) or groups < 1 or num_experts % groups:
        raise ValueError(f"n_routed_experts ({num_experts}) must be divisible by n_group ({groups})")
    _check_silu("shared_experts", block.shared_experts)
    num_shared = getattr(config, "n_shared_experts", 1)
    width = block.shared_experts.gate_proj.weight.shape[0]
    if not isinstance(num_shared, int) or num_shared < 1 or width % num_shared:
        raise ValueError(f"n_shared_experts ({num_shared}) must be >= 1 and divide the shared width ({width})")
    router = RouterConfig("sigmoid_group_limited", renormalize=bool(gate.norm_topk_prob), num_groups=groups,
                          topk_groups=gate.topk_group, routed_scaling_factor=float(gate.routed_scaling_factor))
    return {"router": router, "num_shared_experts": num_shared, "shared_d_ff": width // num_shared}


_SETTINGS = {"mixtral": _mixtral_settings, "qwen2_moe": _qwen2_moe_settings, "deepseek_v3": _deepseek_v3_settings}


def hf_layer_kwargs(block: nn.Module) -> dict:
    """The MoELayer arguments that compute what `block` computes; ValueError names a setting moe_core cannot express.

    Read from the block's attributes and weight shapes (and DeepSeek's `config`), never from transformers itself.
    """
    kind = block_kind(block)
    _check_experts(block.experts)
    num_experts, d_model = block.gate.weight.shape
    kwargs = {"d_model": d_model, "d_ff": block.experts.down_proj.shape[2], "num_experts": num_experts,
              "top_k": block.gate.top_k}
    return kwargs | _SETTINGS[kind](block)


def from_hf(block: nn.Module) -> MoELayer:
    """A MoELayer with the weights and routing of a transformers MoE block (a copy; the block is left as it is).

    The layer is built on the meta device (no memory for weights that would be thrown away: a DeepSeek-V3 layer is
    ~45 GB in float32), then the converted tensors replace its placeholders (assign), so the layer takes the block's
    dtype and device tensor by tensor, and its train / eval mode. HF blocks drop no tokens: capacity_factor is None.
    """
    with torch.device("meta"):
        layer = MoELayer(**hf_layer_kwargs(block))
    layer.load_state_dict(state_dict_from_hf(block.state_dict()), assign=True)
    return layer.train(block.training)


def _layer_settings(layer: MoELayer) -> dict:
    """What a layer computes, in the terms of hf_layer_kwargs (the shared experts by their total width)."""
    shared = layer.shared_experts
    return {"d_model": layer.d_model, "d_ff": layer.experts.w1.shape[2], "num_experts": layer.num_experts,
            "top_k": layer.top_k, "router": layer.router_config, "activation": layer.experts.activation,
            "shared width": 0 if shared is None else shared.w1.shape[2],
            "shared_expert_gate": layer.shared_gate is not None, "capacity_factor": layer.capacity_factor}


def to_hf(layer: MoELayer, block: nn.Module) -> nn.Module:
    """Copy a layer's weights into a transformers MoE block of the same configuration, in place; returns the block.

    ValueError when the layer would compute something else than the block: other sizes, router settings, shared
    experts or activation, or a capacity factor (HF blocks never drop tokens).
    """
    kwargs = hf_layer_kwargs(block)
    shared_width = kwargs.pop("num_shared_experts", 0) * kwargs.pop("shared_d_ff", 0)
    wanted = kwargs | {"shared width": shared_width, "shared_expert_gate": kwargs.get("shared_expert_gate", False),
                       "activation": "swiglu", "capacity_factor": None}
    actual = _layer_settings(layer)
    for name, value in wanted.items():
        if actual[name] != value:
            raise ValueError(f"layer's {name} ({actual[name]!r}) must be {value!r} to match the "
                             f"{type(block).__name__}")
    block.load_state_dict(state_dict_to_hf(layer.state_dict()), strict=True)
    return block


def _with_dot(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith(".") else prefix + "."


def _pop(entries: dict, key: str, prefix: str = "") -> Tensor:
    if key not in entries:
        raise ValueError(f"{prefix}{key} is missing")
    return entries.pop(key)


def _stack_per_expert(entries: dict, prefix: str) -> tuple[Tensor, Tensor, Tensor]:
    """Pop experts.{i}.<name>.weight and stack them: gate [E, ff, d], up [E, ff, d], down [E, d, ff]."""
    found: dict[str, dict[int, Tensor]] = {}
    for key in [key for key in entries if _PER_EXPERT_KEY.fullmatch(key)]:
        index, name = _PER_EXPERT_KEY.fullmatch(key).groups()
        found.setdefault(name, {})[int(index)] = entries.pop(key)
    names = next((names for names in _PER_EXPERT_NAMES.values() if set(names) == set(found)), None)
    if names is None:
        raise ValueError(f"{prefix}experts: expected experts.gate_up_proj and experts.down_proj, or experts.{{i}} "
                         f"weights named {list(_PER_EXPERT_NAMES.values())}, found names {sorted(found)}")
    num_experts = len(found[names[0]])
    for name in names:
        if sorted(found[name]) != list(range(num_experts)):
            raise ValueError(f"{prefix}experts.{{i}}.{name}.weight must exist for i = 0..{num_experts - 1}, "
                             f"found {sorted(found[name])}")
    return tuple(torch.stack([found[name][i] for i in range(num_experts)]) for name in names)


def _pop_hf_experts(entries: dict, prefix: str) -> tuple[Tensor, Tensor, Tensor]:
    """The experts as gate [E, ff, d], up [E, ff, d], down [E, d, ff], from the fused or the per-expert layout."""
    if "experts.gate_up_proj" not in entries:
        return _stack_per_expert(entries, prefix)
    gate_up, down = entries.pop("experts.gate_up_proj"), _pop(entries, "experts.down_proj", prefix)
    if gate_up.dim() != 3 or gate_up.shape[1] % 2:
        raise ValueError(f"{prefix}experts.gate_up_proj has shape {tuple(gate_up.shape)}, expected [E, 2*ff, d]")
    gate, up = gate_up.chunk(2, dim=1)                           # gate rows first, then up
    return gate, up, down


def _ours(name: str, gate: Tensor, up: Tensor, down: Tensor) -> dict[str, Tensor]:
    """HF [out, in] matrices stacked over experts -> moe_core's w1 / w3 [E, d, ff] and w2 [E, ff, d]."""
    return {f"{name}.w1": gate.transpose(1, 2), f"{name}.w3": up.transpose(1, 2), f"{name}.w2": down.transpose(1, 2)}


def state_dict_from_hf(hf_state: dict[str, Tensor], prefix: str = "") -> dict[str, Tensor]:
    """The MoELayer state dict from one HF MoE block's entries under `prefix`; keys outside it are ignored.

    prefix is the block's path, e.g. "model.layers.0.block_sparse_moe" in Mixtral files or "model.layers.0.mlp" in
    transformers 5 (empty for a block's own state_dict()). Reads gate.weight, DeepSeek's gate.e_score_correction_bias,
    the experts fused (gate_up_proj / down_proj) or per expert (w1 / w3 / w2 or gate_proj / up_proj / down_proj),
    the shared expert(s) and Qwen's shared_expert_gate. ValueError for a missing or an unknown key under prefix.
    Returns contiguous copies.
    """
    prefix = _with_dot(prefix)
    entries = {key[len(prefix):]: value for key, value in hf_state.items() if key.startswith(prefix)}
    state = {"router.weight": _pop(entries, "gate.weight", prefix)}
    if "gate.e_score_correction_bias" in entries:
        state["router.expert_bias"] = entries.pop("gate.e_score_correction_bias")
    state |= _ours("experts", *_pop_hf_experts(entries, prefix))
    for name in ("shared_expert", "shared_experts"):
        if any(key.startswith(name + ".") for key in entries):   # one fused MLP -> one shared expert of its width
            mlp = [_pop(entries, f"{name}.{proj}.weight", prefix).unsqueeze(0) for proj in _MLP_NAMES]
            state |= _ours("shared_experts", *mlp)
    if "shared_expert_gate.weight" in entries:
        state["shared_gate.weight"] = entries.pop("shared_expert_gate.weight")
    if entries:
        raise ValueError(f"unknown keys under {prefix or 'the state dict'}: {sorted(entries)}")
    return {key: value.detach().clone(memory_format=torch.contiguous_format) for key, value in state.items()}


def _hf_matrices(entries: dict, name: str) -> tuple[Tensor, Tensor, Tensor]:
    """Pop moe_core's {name}.w1 / w3 / w2 and return them as HF's gate, up [E, ff, d] and down [E, d, ff]."""
    if f"{name}.w1" in entries and f"{name}.w3" not in entries:
        raise ValueError(f"{name}.w3 is missing: HF blocks hold SwiGLU experts (activation 'swiglu')")
    return tuple(_pop(entries, f"{name}.{w}").transpose(1, 2) for w in ("w1", "w3", "w2"))


def _experts_to_hf(gate: Tensor, up: Tensor, down: Tensor, layout: str) -> dict[str, Tensor]:
    if layout == "fused":
        return {"experts.gate_up_proj": torch.cat([gate, up], dim=1), "experts.down_proj": down}
    names = _PER_EXPERT_NAMES[layout]
    return {f"experts.{i}.{name}.weight": matrices[i]
            for i in range(gate.shape[0]) for name, matrices in zip(names, (gate, up, down))}


def state_dict_to_hf(layer_state: dict[str, Tensor], prefix: str = "", layout: str = "fused") -> dict[str, Tensor]:
    """The inverse of state_dict_from_hf: a MoELayer state dict as one HF MoE block's entries under `prefix`.

    layout: "fused" (transformers 5 modules, what to_hf loads), "w1w2w3" (Mixtral checkpoint files) or
    "gate_up_down" (Qwen2-MoE / DeepSeek-V3 files). The shared experts are named Qwen2-MoE's `shared_expert` when the
    layer has a shared gate, DeepSeek-V3's `shared_experts` otherwise. ValueError for a layer that has no HF
    counterpart (non-SwiGLU experts, extra router weights such as noisy top-k's). Returns contiguous tensors.
    """
    check_choice("layout", layout, EXPERT_LAYOUTS)
    entries = dict(layer_state)
    hf = {"gate.weight": _pop(entries, "router.weight")}
    if "router.expert_bias" in entries:
        hf["gate.e_score_correction_bias"] = entries.pop("router.expert_bias")
    hf |= _experts_to_hf(*_hf_matrices(entries, "experts"), layout)
    if "shared_experts.w1" in entries:
        name = "shared_expert" if "shared_gate.weight" in entries else "shared_experts"
        shared = _hf_matrices(entries, "shared_experts")          # each [1, ...]: the shared experts are fused
        hf |= {f"{name}.{proj}.weight": matrix[0] for proj, matrix in zip(_MLP_NAMES, shared)}
    if "shared_gate.weight" in entries:
        hf["shared_expert_gate.weight"] = entries.pop("shared_gate.weight")
    if entries:
        raise ValueError(f"layer_state holds entries no HF MoE block has: {sorted(entries)}")
    prefix = _with_dot(prefix)
    return {prefix + key: value.contiguous() for key, value in hf.items()}
