"""moe_core: a small, readable Mixture-of-Experts library in PyTorch (routers, losses, capacity, dispatch, layer, EP).

Every public name is importable from here (`from moe_core import MoELayer`). Names load on first use (PEP 562), so
`import moe_core.checks` alone imports neither torch nor the rest of the library.
"""
from __future__ import annotations

import importlib

# submodule -> the public names it defines
_EXPORTS = {
    "balance": ("update_expert_bias",),
    "capacity": ("DROP_POLICIES", "apply_capacity", "expert_capacity"),
    "dispatch": ("ACTIVATIONS", "expert_ffn", "ffn", "permute", "unpermute"),
    "experts": ("Experts",),
    "grouping": ("create_expert_groups", "expert_to_rank", "local_experts"),
    "hf": ("EXPERT_LAYOUTS", "HF_BLOCKS", "from_hf", "hf_layer_kwargs", "state_dict_from_hf", "state_dict_to_hf",
           "to_hf"),
    "layer": ("Dispatch", "MoEInfo", "MoELayer"),
    "losses": ("cv_squared", "importance_loss", "load_loss", "sequence_aux_loss", "switch_aux_loss", "z_loss"),
    "routers": ("ROUTERS", "ExpertChoiceRouter", "HashRouter", "NoisyTopKRouter", "RoutedTokens", "Router",
                "RouterConfig", "SigmoidGroupLimitedRouter", "SwitchRouter", "TopKSoftmaxRouter", "balance_losses",
                "build_router", "hot_expert_logit_bias", "route_with_capacity"),
    "routing": ("RoutingResult", "expert_choice", "hash_routing", "noisy_topk", "noisy_topk_load",
                "sigmoid_group_limited", "sinkhorn_balance", "sinkhorn_routing", "switch_top1", "topk_softmax"),
    "sizing": ("ModelSize", "model_size"),
    "stats": ("drop_rate", "load_cv", "max_mean_load", "routing_entropy"),
}
_SOURCE = {name: module for module, names in _EXPORTS.items() for name in names}
_SUBMODULES = (*_EXPORTS, "checks")

__all__ = sorted([*_SOURCE, "checks"])


def __getattr__(name: str):
    if name in _SOURCE:
        value = getattr(importlib.import_module(f".{_SOURCE[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
