"""moe_core: a small, readable Mixture-of-Experts library in PyTorch (routers, losses, capacity, dispatch, layer, EP)."""
from . import checks
from .balance import update_expert_bias
from .capacity import DROP_POLICIES, apply_capacity, expert_capacity
from .dispatch import ACTIVATIONS, expert_ffn, ffn, permute, unpermute
from .experts import Experts
from .grouping import create_expert_groups, expert_to_rank, local_experts
from .hf import EXPERT_LAYOUTS, HF_BLOCKS, from_hf, hf_layer_kwargs, state_dict_from_hf, state_dict_to_hf, to_hf
from .layer import Dispatch, MoEInfo, MoELayer
from .losses import cv_squared, importance_loss, load_loss, sequence_aux_loss, switch_aux_loss, z_loss
from .routers import (ROUTERS, ExpertChoiceRouter, HashRouter, NoisyTopKRouter, RoutedTokens, Router, RouterConfig,
                      SigmoidGroupLimitedRouter, SwitchRouter, TopKSoftmaxRouter, balance_losses, build_router,
                      route_with_capacity)
from .routing import (RoutingResult, expert_choice, hash_routing, noisy_topk, noisy_topk_load, sigmoid_group_limited,
                      switch_top1, topk_softmax)
from .stats import drop_rate, load_cv, max_mean_load, routing_entropy

__all__ = [name for name in dir() if not name.startswith("_")]
