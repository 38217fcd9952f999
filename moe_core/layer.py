"""MoELayer: router + capacity + sort-based dispatch + stacked experts (+ optional shared experts), one nn.Module."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .capacity import DROP_POLICIES
from .checks import check_bool, check_choice, check_int, check_positive, check_tensor
from .dispatch import permute, unpermute
from .experts import Experts
from .routers import RoutedTokens, RouterConfig, balance_losses, build_router, route_with_capacity
from .routing import RoutingResult


@dataclass
class MoEInfo:
    """Side outputs of one MoELayer call; the losses carry no coefficient (the caller weights them)."""
    aux_loss: Tensor           # scalar switch_aux_loss (1.0 = balanced); 0 for expert choice and hash routing
    z_loss: Tensor             # scalar router z-loss of the raw logits (every learned router); 0 for hash routing
    tokens_per_expert: Tensor  # [E] kept slots per expert
    dropped_tokens: int        # dropped (token, slot) pairs
    routing: RoutingResult     # the router's decision before capacity
    keep: Tensor               # [T, k] bool: slot kept (valid and within capacity)
    capacity: int | None       # slots per expert, None when nothing is dropped


@dataclass
class Dispatch:
    """One call's tokens in expert order, ready for the experts module (MoELayer.dispatch)."""
    tokens: Tensor             # [T, d] flat input
    routed: RoutedTokens       # routing, keep [T, k], capacity
    x_sorted: Tensor           # [N, d] kept slots grouped by expert
    token_index: Tensor        # [N] source token of each row
    slot_index: Tensor         # [N] flat slot t * k + j of each row (to gather its weight)
    tokens_per_expert: Tensor  # [E] rows per expert


class MoELayer(nn.Module):
    """A Mixture-of-Experts feed-forward layer: out = sum over kept slots of weight * expert(x) (+ shared experts).

    Parameters: router.weight [E, d]; experts.w1 (gate) / w3 (up) [E, d, ff] and w2 (down) [E, ff, d], stored for
    x @ w. Hugging Face blocks and checkpoints name and lay them out differently (router `gate.weight`; fused
    `gate_up_proj` / `down_proj`, or per-expert `w1/w2/w3.weight` [out, in]): moe_core.hf converts (from_hf / to_hf).
    capacity_factor None = no dropping (Mixtral, DeepSeek-V3); otherwise the router's capacity rule applies
    (route_with_capacity): each expert keeps at most ceil(cf * k * T / E) slots by `drop_policy`, and a dropped slot
    adds nothing, the caller's residual connection (x + moe(x)) carries the token. Under expert choice the capacity
    factor (default 1.0) sets how many tokens each expert picks and nothing more is dropped. `router` is a
    RouterConfig, or a router kind for its defaults. num_shared_experts adds shared experts of width shared_d_ff
    (default d_ff) applied to every token (DeepSeekMoE), stored fused as one expert of width
    num_shared_experts * shared_d_ff; shared_expert_gate multiplies their output by sigmoid(x @ shared_gate.weight.T)
    (Qwen2-MoE). Use token_ids with the hash router.
    """

    def __init__(self, d_model: int, d_ff: int, num_experts: int, top_k: int,
                 router: RouterConfig | str = "topk_softmax", capacity_factor: float | None = None,
                 drop_policy: str = "position", activation: str = "swiglu", num_shared_experts: int = 0,
                 shared_d_ff: int | None = None, shared_expert_gate: bool = False):
        super().__init__()
        check_int("num_experts", num_experts, 1)
        check_int("top_k", top_k, 1, num_experts, "num_experts")
        check_int("num_shared_experts", num_shared_experts, 0)
        if capacity_factor is not None:
            check_positive("capacity_factor", capacity_factor)
        check_choice("drop_policy", drop_policy, DROP_POLICIES)
        if shared_d_ff is not None:
            check_int("shared_d_ff", shared_d_ff, 1)
        check_bool("shared_expert_gate", shared_expert_gate)
        if not num_shared_experts and (shared_d_ff is not None or shared_expert_gate):
            raise ValueError("shared_d_ff and shared_expert_gate need num_shared_experts >= 1")
        self.d_model, self.num_experts, self.top_k = d_model, num_experts, top_k
        self.capacity_factor, self.drop_policy = capacity_factor, drop_policy
        self.router = build_router(router, d_model, num_experts, top_k)
        self.experts = Experts(num_experts, d_model, d_ff, activation)
        self.shared_experts = None
        if num_shared_experts:
            width = num_shared_experts * (d_ff if shared_d_ff is None else shared_d_ff)
            self.shared_experts = Experts(1, d_model, width, activation)
        self.shared_gate = nn.Linear(d_model, 1, bias=False) if shared_expert_gate else None

    @property
    def router_config(self) -> RouterConfig:
        return self.router.config

    def route(self, tokens: Tensor, token_ids: Tensor | None = None) -> RoutedTokens:
        """Router + the router's capacity rule on flat tokens [T, d]: route_with_capacity with this layer's settings."""
        return route_with_capacity(self.router, tokens, self.capacity_factor, self.drop_policy, token_ids)

    def make_info(self, routed: RoutedTokens, tokens_per_expert: Tensor, num_kept: int) -> MoEInfo:
        """MoEInfo with the balance losses of this routing (no coefficients) and the kept / dropped counts."""
        routing = routed.routing
        aux, zl = balance_losses(self.router, routing)
        num_slots = routing.indices.numel() if routing.valid is None else int(routing.valid.sum())
        return MoEInfo(aux, zl, tokens_per_expert, num_slots - num_kept, routing, routed.keep, routed.capacity)

    def flatten_input(self, x: Tensor, token_ids: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Check x [..., d_model] (and token_ids [...]) and flatten them to tokens [T, d] and ids [T]."""
        check_tensor("x", x, floating=True)
        if x.dim() < 1 or x.shape[-1] != self.d_model:
            raise ValueError(f"x has shape {tuple(x.shape)}, its last dim must be d_model ({self.d_model})")
        if token_ids is not None:
            if token_ids.shape != x.shape[:-1]:
                raise ValueError(f"token_ids shape {tuple(token_ids.shape)} must equal x's leading shape "
                                 f"{tuple(x.shape[:-1])}")
            token_ids = token_ids.reshape(-1)
        return x.reshape(-1, self.d_model), token_ids

    def shared_output(self, tokens: Tensor) -> Tensor | None:
        """The shared experts on every token [T, d], gated by sigmoid(x @ shared_gate^T) when there is a gate."""
        if self.shared_experts is None:
            return None
        out = self.shared_experts(tokens, [tokens.shape[0]])
        if self.shared_gate is not None:
            out = out * torch.sigmoid(self.shared_gate(tokens))       # [T, d] * [T, 1]
        return out

    def combine(self, tokens: Tensor, y_sorted: Tensor, token_index: Tensor, slot_index: Tensor,
                routing: RoutingResult) -> Tensor:
        """Weight the expert outputs y_sorted [N, d], sum them onto their tokens, add the shared experts. -> [T, d]"""
        weights_sorted = routing.weights.reshape(-1).index_select(0, slot_index)
        if not torch.is_grad_enabled():  # inference: weight in place, one [N, d] buffer less
            y_sorted.mul_(weights_sorted.to(y_sorted.dtype).unsqueeze(1))
            weights_sorted = None
        out = unpermute(y_sorted, token_index, weights_sorted, tokens.shape[0])
        shared = self.shared_output(tokens)
        return out if shared is None else out + shared

    def dispatch(self, x: Tensor, token_ids: Tensor | None = None) -> Dispatch:
        """Flatten, route with capacity and permute the kept slots into expert order (everything before the experts)."""
        tokens, token_ids = self.flatten_input(x, token_ids)     # [T, d], [T]
        routed = self.route(tokens, token_ids)
        # dropless with every slot valid: no mask, permute's plain sort is faster than selecting the kept slots
        every_slot = routed.capacity is None and routed.routing.valid is None
        x_sorted, token_index, slot_index, tokens_per_expert = permute(
            tokens, routed.routing.indices, None if every_slot else routed.keep, self.num_experts)
        return Dispatch(tokens, routed, x_sorted, token_index, slot_index, tokens_per_expert)

    def forward(self, x: Tensor, token_ids: Tensor | None = None) -> tuple[Tensor, MoEInfo]:
        d = self.dispatch(x, token_ids)
        y_sorted = self.experts(d.x_sorted, d.tokens_per_expert)  # [N, d]: whatever experts module is installed
        out = self.combine(d.tokens, y_sorted, d.token_index, d.slot_index, d.routed.routing)
        info = self.make_info(d.routed, d.tokens_per_expert, d.x_sorted.shape[0])
        return out.reshape(x.shape), info

    @classmethod
    def from_hf(cls, block: nn.Module) -> MoELayer:
        """A layer computing what a transformers Mixtral / Qwen2-MoE / DeepSeek-V3 MoE block computes (moe_core.hf)."""
        from .hf import from_hf  # here, not at the top: moe_core.hf imports this module
        return from_hf(block)

    def to_hf(self, block: nn.Module) -> nn.Module:
        """Copy this layer's weights into a transformers MoE block of the same configuration (moe_core.hf)."""
        from .hf import to_hf
        return to_hf(self, block)
