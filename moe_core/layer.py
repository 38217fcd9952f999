"""MoELayer: router -> capacity -> permute -> experts -> unpermute (+ shared experts); balance losses in MoEInfo."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ._checks import check_int, check_positive, check_tensor
from .capacity import DROP_POLICIES, apply_capacity, expert_capacity
from .dispatch import permute, unpermute
from .experts import Experts
from .losses import switch_aux_loss, z_loss
from .routing import ExpertChoiceRouter, RoutingResult, build_router


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


class MoELayer(nn.Module):
    """A Mixture-of-Experts feed-forward layer; Mixtral checkpoints load directly (same names and [E, ...] layouts).

    capacity_factor None = no dropping (Mixtral, DeepSeek-V3); otherwise each expert keeps at most
    ceil(cf * k * T / E) slots by `drop_policy`, and a dropped slot adds nothing: the caller's residual connection
    (x + moe(x)) carries the token. For router="expert_choice" the capacity factor (default 1.0) sets how many tokens
    each expert picks and no further dropping happens. num_shared_experts adds a dense FFN of width
    num_shared_experts * d_ff applied to every token (DeepSeekMoE shared experts). Use token_ids with router="hash".
    """

    def __init__(self, d_model: int, d_ff: int, num_experts: int, top_k: int, router: str = "topk_softmax",
                 capacity_factor: float | None = None, drop_policy: str = "position", activation: str = "swiglu",
                 num_shared_experts: int = 0, router_kwargs: dict | None = None):
        super().__init__()
        check_int("num_experts", num_experts, 1)
        check_int("top_k", top_k, 1, num_experts, "num_experts")
        check_int("num_shared_experts", num_shared_experts, 0)
        if capacity_factor is not None:
            check_positive("capacity_factor", capacity_factor)
        if drop_policy not in DROP_POLICIES:
            raise ValueError(f"drop_policy ({drop_policy!r}) must be one of {DROP_POLICIES}")
        router_kwargs = dict(router_kwargs or {})
        if router == "expert_choice" and capacity_factor is not None:
            router_kwargs.setdefault("capacity_factor", capacity_factor)
        self.d_model, self.num_experts, self.top_k = d_model, num_experts, top_k
        self.capacity_factor, self.drop_policy = capacity_factor, drop_policy
        self.router = build_router(router, d_model, num_experts, top_k, **router_kwargs)
        self.experts = Experts(num_experts, d_model, d_ff, activation)
        self.shared_experts = Experts(1, d_model, num_shared_experts * d_ff, activation) if num_shared_experts else None

    def route(self, tokens: Tensor, token_ids: Tensor | None = None) -> tuple[RoutingResult, Tensor | None, int | None]:
        """Router + capacity on flat tokens [T, d]: (routing, keep [T, k] or None for all, capacity or None).

        Shared with the expert-parallel layer, which applies capacity per source rank exactly like this.
        """
        routing = self.router(tokens, token_ids=token_ids)
        keep, capacity = routing.valid, None
        if isinstance(self.router, ExpertChoiceRouter):
            capacity = self.router.capacity(tokens.shape[0])
        elif self.capacity_factor is not None:
            capacity = expert_capacity(tokens.shape[0], self.num_experts, self.top_k, self.capacity_factor)
            keep, _ = apply_capacity(routing.indices, self.num_experts, capacity, self.drop_policy,
                                     routing.weights, routing.valid)
        return routing, keep, capacity

    def make_info(self, routing: RoutingResult, keep: Tensor | None, capacity: int | None,
                  tokens_per_expert: Tensor, num_kept: int) -> MoEInfo:
        """MoEInfo with the balance losses of this routing (no coefficients) and the kept / dropped counts."""
        zero = routing.probs.new_zeros(())
        aux = switch_aux_loss(routing.probs, routing.indices, routing.valid) if self.router.uses_balance_loss else zero
        zl = z_loss(routing.logits) if self.router.learned else zero
        num_slots = routing.indices.numel() if routing.valid is None else int(routing.valid.sum())
        return MoEInfo(aux, zl, tokens_per_expert, num_slots - num_kept, routing,
                       keep if keep is not None else torch.ones_like(routing.indices, dtype=torch.bool), capacity)

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

    def combine(self, tokens: Tensor, y_sorted: Tensor, token_index: Tensor, slot_index: Tensor,
                routing: RoutingResult) -> Tensor:
        """Weight the expert outputs y_sorted [N, d], sum them onto their tokens, add the shared experts. -> [T, d]

        Shared with the expert-parallel layer, whose y_sorted comes back from the combine all-to-all.
        """
        num_tokens = tokens.shape[0]
        weights_sorted = routing.weights.reshape(-1).index_select(0, slot_index)
        if not torch.is_grad_enabled():  # inference: weight in place, one [N, d] buffer less
            y_sorted.mul_(weights_sorted.to(y_sorted.dtype).unsqueeze(1))
            weights_sorted = None
        out = unpermute(y_sorted, token_index, weights_sorted, num_tokens)
        if self.shared_experts is not None:
            out = out + self.shared_experts(tokens, [num_tokens])
        return out

    def forward(self, x: Tensor, token_ids: Tensor | None = None) -> tuple[Tensor, MoEInfo]:
        tokens, token_ids = self.flatten_input(x, token_ids)     # [T, d], [T]
        num_tokens = tokens.shape[0]
        routing, keep, capacity = self.route(tokens, token_ids)
        x_sorted, token_index, slot_index, tokens_per_expert = permute(tokens, routing.indices, keep, self.num_experts)
        y_sorted = self.experts(x_sorted, tokens_per_expert)     # [N, d]
        out = self.combine(tokens, y_sorted, token_index, slot_index, routing)
        info = self.make_info(routing, keep, capacity, tokens_per_expert, x_sorted.shape[0])
        return out.reshape(x.shape), info
