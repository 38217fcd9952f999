"""Router modules, one per strategy: their settings (RouterConfig), their capacity rule, and routing with capacity."""
from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .capacity import DROP_POLICIES, apply_capacity, expert_capacity
from .checks import check_bool, check_choice, check_int, check_positive, check_same_rows, check_tensor
from .losses import switch_aux_loss, z_loss
from .routing import (RoutingResult, check_group_limited, expert_choice, hash_routing, noisy_topk,
                      sigmoid_group_limited, switch_top1, topk_softmax)


@dataclass(frozen=True)
class RouterConfig:
    """How a layer routes: the router kind and the settings of the kinds that read them.

    renormalize: rescale the k chosen weights to sum 1 (topk_softmax, sigmoid_group_limited; HF's norm_topk_prob).
    num_groups, topk_groups, routed_scaling_factor: DeepSeek-V3's group-limited selection (sigmoid_group_limited).
    A setting changed from its default on a router that ignores it raises ValueError, so nothing is silently unused.
    Not here: the capacity factor is the layer's (under expert choice it also sets how many tokens each expert takes),
    and noisy_topk's noise generator is an attribute of the router module (`router.generator`).
    """
    kind: str = "topk_softmax"
    renormalize: bool = True
    num_groups: int = 1
    topk_groups: int = 1
    routed_scaling_factor: float = 1.0

    def __post_init__(self):
        check_choice("router", self.kind, sorted(ROUTERS))
        check_bool("renormalize", self.renormalize)
        check_int("num_groups", self.num_groups, 1)
        check_int("topk_groups", self.topk_groups, 1, self.num_groups, "num_groups")
        check_positive("routed_scaling_factor", self.routed_scaling_factor)
        for setting in fields(self)[1:]:
            value = getattr(self, setting.name)
            if setting.name not in ROUTERS[self.kind].settings and value != setting.default:
                readers = sorted(kind for kind, cls in ROUTERS.items() if setting.name in cls.settings)
                raise ValueError(f"{setting.name} ({value!r}) applies only to router {readers}, not {self.kind!r}")


@dataclass
class RoutedTokens:
    """A router's decision and the capacity rule applied to it (route_with_capacity)."""
    routing: RoutingResult   # the router's decision before capacity
    keep: Tensor             # [T, k] bool: slot valid and within capacity
    capacity: int | None     # slots per expert; None when nothing is dropped (dropless)


class Router(nn.Module):
    """Base router: a linear map weight [E, d_model] (no bias) computed in float32; subclasses route the logits.

    forward(x [T, d], token_ids [T] or None, capacity_factor) -> RoutingResult before capacity; only routers whose
    choice depends on the capacity factor read it (expert choice). apply_capacity is the router's capacity rule.
    `logit_bias` (None, or a fixed [E] tensor) is added to every token's logits before the router's own rule: a skewed
    load for experiments (hot_expert_logit_bias); it is not learned and not in the state_dict. Hash routing reads no
    logits, so it ignores it.
    """
    kind = ""                              # the key in ROUTERS
    settings: tuple[str, ...] = ()         # the RouterConfig fields this router reads
    uses_balance_loss = True  # False where balance holds by construction or nothing is learned: aux loss = 0
    learned = True            # False for fixed routing: z-loss = 0

    def __init__(self, d_model: int, num_experts: int, top_k: int, config: RouterConfig | None = None):
        super().__init__()
        check_int("d_model", d_model, 1)
        check_int("num_experts", num_experts, 1)
        check_int("top_k", top_k, 1, num_experts, "num_experts")
        config = RouterConfig(self.kind) if config is None else config
        if config.kind != self.kind:
            raise ValueError(f"config.kind ({config.kind!r}) must be {self.kind!r} for {type(self).__name__}")
        self.config = config
        self.d_model, self.num_experts, self.top_k = d_model, num_experts, top_k
        self.weight = nn.Parameter(torch.randn(num_experts, d_model) * 0.02)
        self.register_buffer("logit_bias", None, persistent=False)

    def check_input(self, x: Tensor) -> None:
        check_tensor("x", x, ndim=2, floating=True)
        if x.shape[1] != self.d_model:
            raise ValueError(f"x has last dim {x.shape[1]}, expected d_model ({self.d_model})")

    def logits(self, x: Tensor) -> Tensor:
        self.check_input(x)
        logits = F.linear(x.float(), self.weight.float())        # [T, E]
        return logits if self.logit_bias is None else logits + self.logit_bias.float()

    def forward(self, x: Tensor, token_ids: Tensor | None = None,
                capacity_factor: float | None = None) -> RoutingResult:
        raise NotImplementedError

    def capacity(self, num_tokens: int, capacity_factor: float | None) -> int | None:
        """Slots per expert: ceil(cf * k * T / E) (Megatron `get_capacity`); None for cf None (dropless)."""
        if capacity_factor is None:
            return None
        return expert_capacity(num_tokens, self.num_experts, self.top_k, capacity_factor)

    def apply_capacity(self, routing: RoutingResult, num_tokens: int, capacity_factor: float | None,
                       drop_policy: str = "position") -> tuple[Tensor, int | None]:
        """(keep [T, k] bool, capacity): token choice keeps at most `capacity` slots per expert by drop_policy."""
        capacity = self.capacity(num_tokens, capacity_factor)
        if capacity is None:
            valid = routing.valid
            return (torch.ones_like(routing.indices, dtype=torch.bool) if valid is None else valid), None
        keep, _ = apply_capacity(routing.indices, self.num_experts, capacity, drop_policy, routing.weights,
                                 routing.valid)
        return keep, capacity


class TopKSoftmaxRouter(Router):
    """Softmax over all experts, top-k, renormalised unless config.renormalize is False (Mixtral; Qwen2-MoE)."""
    kind, settings = "topk_softmax", ("renormalize",)

    def forward(self, x, token_ids=None, capacity_factor=None):
        return topk_softmax(self.logits(x), self.top_k, self.config.renormalize)


class NoisyTopKRouter(Router):
    """Shazeer 2017; noise_weight starts at zero as in the paper, noise is added only in training mode.

    `generator` (a torch.Generator, default None = the global one) draws the noise: set it on the module.
    """
    kind = "noisy_topk"

    def __init__(self, d_model, num_experts, top_k, config=None):
        super().__init__(d_model, num_experts, top_k, config)
        self.noise_weight = nn.Parameter(torch.zeros(num_experts, d_model))
        self.generator: torch.Generator | None = None

    def forward(self, x, token_ids=None, capacity_factor=None):
        logits = self.logits(x)
        noise_logits = F.linear(x.float(), self.noise_weight.float())
        return noisy_topk(logits, noise_logits, self.top_k, self.training, self.generator)


class SwitchRouter(Router):
    """Switch Transformer top-1: the gate is the probability itself (never renormalised)."""
    kind = "switch"

    def __init__(self, d_model, num_experts, top_k=1, config=None):
        if top_k != 1:
            raise ValueError(f"top_k ({top_k}) must be 1 for the switch router")
        super().__init__(d_model, num_experts, 1, config)

    def forward(self, x, token_ids=None, capacity_factor=None):
        return switch_top1(self.logits(x))


class ExpertChoiceRouter(Router):
    """Each expert takes its top-C tokens, C = min(T, ceil(cf * top_k * T / E)) with cf = capacity_factor or 1.0.

    top_k is the average number of experts per token. The choice itself respects capacity: nothing more is dropped.
    """
    kind = "expert_choice"
    uses_balance_loss = False  # every expert takes exactly C tokens

    def capacity(self, num_tokens, capacity_factor):
        capacity_factor = 1.0 if capacity_factor is None else capacity_factor
        return max(1, min(num_tokens, expert_capacity(num_tokens, self.num_experts, self.top_k, capacity_factor)))

    def apply_capacity(self, routing, num_tokens, capacity_factor, drop_policy="position"):
        return routing.valid, self.capacity(num_tokens, capacity_factor)

    def forward(self, x, token_ids=None, capacity_factor=None):
        return expert_choice(self.logits(x), self.capacity(x.shape[0], capacity_factor))


class HashRouter(Router):
    """Fixed routing by token id; `weight` is kept (frozen, unused) so every router has the same state_dict layout."""
    kind = "hash"
    uses_balance_loss = False
    learned = False

    def __init__(self, d_model, num_experts, top_k, config=None):
        super().__init__(d_model, num_experts, top_k, config)
        self.weight.requires_grad_(False)

    def forward(self, x, token_ids=None, capacity_factor=None):
        self.check_input(x)
        if token_ids is None:
            raise ValueError("token_ids is required for the hash router")
        check_same_rows("token_ids", token_ids, "x", x)
        return hash_routing(token_ids.to(x.device), self.num_experts, self.top_k)


class SigmoidGroupLimitedRouter(Router):
    """DeepSeek-V3 router; `expert_bias` [E] is a buffer updated outside autograd with balance.update_expert_bias."""
    kind = "sigmoid_group_limited"
    settings = ("renormalize", "num_groups", "topk_groups", "routed_scaling_factor")

    def __init__(self, d_model, num_experts, top_k, config=None):
        super().__init__(d_model, num_experts, top_k, config)
        self.register_buffer("expert_bias", torch.zeros(num_experts))
        c = self.config  # validate the settings against num_experts and top_k at construction
        check_group_limited(num_experts, top_k, c.num_groups, c.topk_groups, c.routed_scaling_factor)

    def forward(self, x, token_ids=None, capacity_factor=None):
        c = self.config
        return sigmoid_group_limited(self.logits(x), self.expert_bias, self.top_k, c.num_groups, c.topk_groups,
                                     c.routed_scaling_factor, c.renormalize)


ROUTERS: dict[str, type[Router]] = {cls.kind: cls for cls in (
    TopKSoftmaxRouter, NoisyTopKRouter, SwitchRouter, ExpertChoiceRouter, HashRouter, SigmoidGroupLimitedRouter)}


def hot_expert_logit_bias(num_experts: int, bias: float, expert: int = 0) -> Tensor:
    """[E] a router `logit_bias` that adds `bias` to one expert's logit: every token leans towards that expert."""
    check_int("expert", expert, 0, num_experts - 1)
    logit_bias = torch.zeros(num_experts)
    logit_bias[expert] = bias
    return logit_bias


def build_router(config: RouterConfig | str, d_model: int, num_experts: int, top_k: int) -> Router:
    """The router module for `config` (a RouterConfig, or a router kind for its defaults)."""
    if isinstance(config, str):
        config = RouterConfig(config)
    if not isinstance(config, RouterConfig):
        raise ValueError(f"router must be a RouterConfig or a router kind (str), got {type(config).__name__}")
    return ROUTERS[config.kind](d_model, num_experts, top_k, config)


def route_with_capacity(router: Router, tokens: Tensor, capacity_factor: float | None, drop_policy: str = "position",
                        token_ids: Tensor | None = None) -> RoutedTokens:
    """Route flat tokens [T, d] and apply the router's capacity rule: what one MoELayer call decides.

    capacity_factor None = dropless for token choice (expert choice: 1.0). Capacity is computed from these T tokens,
    so an expert-parallel rank applies it to its own tokens (per source rank), exactly like layer(x_local).
    """
    check_choice("drop_policy", drop_policy, DROP_POLICIES)
    routing = router(tokens, token_ids=token_ids, capacity_factor=capacity_factor)
    keep, capacity = router.apply_capacity(routing, tokens.shape[0], capacity_factor, drop_policy)
    return RoutedTokens(routing, keep, capacity)


def balance_losses(router: Router, routing: RoutingResult) -> tuple[Tensor, Tensor]:
    """(aux_loss, z_loss) of one routing, no coefficients: switch_aux_loss (0 where the router needs no balancing)
    and the z-loss of the raw logits (0 for fixed routing). Both are float32 scalars."""
    zero = routing.probs.new_zeros((), dtype=torch.float32)
    aux = switch_aux_loss(routing.probs, routing.indices, routing.valid) if router.uses_balance_loss else zero
    zl = z_loss(routing.logits) if router.learned else zero
    return aux, zl
