"""One routing pass of moe_core on synthetic tokens: expert load, capacity drops, balance losses and EP traffic."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor

from moe_core import (DROP_POLICIES, ROUTERS, RouterConfig, balance_losses, build_router, create_expert_groups,
                      drop_rate, expert_to_rank, hot_expert_logit_bias, load_cv, max_mean_load, route_with_capacity,
                      routing_entropy)
from moe_core.checks import check_choice, check_float, check_int, check_len, check_positive

from .clusters import ZipfClusters

SKEWS = ("uniform", "clustered", "hot-expert")
WEIGHT_BINS = 40
MAX_TOKENS = 65_536
MAX_EXPERTS = 1024
MAX_D_MODEL = 1024
HOT_BIAS_RANGE = (-50.0, 50.0)     # expert 0's logit bias (skew "hot-expert"); the EP run takes the same
ROUTER_SCALE_RANGE = (0.0, 100.0)  # std of the logits; the EP run takes the same


@dataclass
class SimulationResult:
    """Everything the sandbox shows for one setting; lists of plain numbers so it caches and serialises."""
    settings: dict                      # the arguments simulate() ran with (after defaults)
    num_slots: int                      # routed (token, slot) pairs: T * k (valid slots for expert choice)
    capacity: int | None                # slots per expert; None = dropless
    routed_per_expert: list[int]        # [E] slots the router sent to each expert, before capacity
    tokens_per_expert: list[int]        # [E] kept slots per expert
    dropped_per_expert: list[int]       # [E] slots over capacity per expert
    dropped_tokens: int                 # total dropped slots
    tokens_without_expert: int          # tokens with no kept slot at all (they only pass through the residual)
    aux_loss: float                     # switch aux loss E * sum f_i P_i (1.0 = balanced), 0 where it does not apply
    z_loss: float                       # router z-loss mean(logsumexp^2), no coefficient
    load_cv: float                      # std / mean of the routed load
    max_mean_load: float                # busiest expert's routed load / mean
    kept_load_cv: float                 # std / mean of the kept load (after capacity)
    drop_rate: float                    # dropped / routed slots
    entropy: float                      # mean router entropy in nats
    max_entropy: float                  # log(E): uniform routing
    mean_probs: list[float]             # [E] P_i, mean router probability per expert
    expert_groups: list[list[int]]      # experts held by each EP rank (create_expert_groups)
    expert_rank: list[int]              # [E] owner rank of each expert
    tokens_per_source_rank: list[int]   # [ep] tokens each rank starts with (split evenly, in order)
    tokens_per_rank: list[int]          # [ep] kept slots each rank's experts process
    traffic: list[list[int]]            # [ep, ep] kept slots sent from rank i (row) to rank j (column)
    tokens_by_ranks_reached: list[int]  # [ep + 1] tokens whose kept slots reach r distinct ranks (index r)
    weight_edges: list[float]           # [bins + 1] edges of the combine-weight histogram
    weight_counts: list[int]            # [bins] valid slots per bin
    notes: list[str] = field(default_factory=list)  # facts about this setting (e.g. capacity >= T)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def remote_slots(self) -> int:
        """Kept slots that cross ranks (off the traffic matrix's diagonal)."""
        return sum(v for i, row in enumerate(self.traffic) for j, v in enumerate(row) if i != j)


def make_tokens(num_tokens: int, d_model: int, skew: str, seed: int, num_clusters: int = 8,
                zipf_exponent: float = 1.2, cluster_spread: float = 0.5) -> tuple[Tensor, Tensor]:
    """Synthetic tokens [T, d] and their cluster ids [T] (all 0 unless clustered), drawn from a local generator.

    clustered: ZipfClusters, each token = its centre + cluster_spread * N(0, I); uniform and hot-expert: N(0, I).
    """
    check_choice("skew", skew, SKEWS)
    generator = torch.Generator().manual_seed(seed)
    if skew != "clustered":
        return torch.randn(num_tokens, d_model, generator=generator), torch.zeros(num_tokens, dtype=torch.long)
    clusters = ZipfClusters.draw(num_clusters, d_model, zipf_exponent, generator)
    return clusters.sample(num_tokens, cluster_spread, generator)


def source_ranks(num_tokens: int, ep_size: int) -> Tensor:
    """[T] the rank each token starts on: contiguous, even split, the first ranks take one more (like tensor_split)."""
    base, remainder = divmod(num_tokens, ep_size)
    sizes = torch.tensor([base + (rank < remainder) for rank in range(ep_size)])
    return torch.repeat_interleave(torch.arange(ep_size), sizes)


def check_settings(settings: dict) -> None:
    """Raises ValueError naming the first broken constraint of simulate()'s settings (the router checks its own)."""
    check_int("num_tokens", settings["num_tokens"], 1, MAX_TOKENS)
    check_int("d_model", settings["d_model"], 1, MAX_D_MODEL)
    num_experts = check_int("num_experts", settings["num_experts"], 1, MAX_EXPERTS)
    check_int("top_k", settings["top_k"], 1, num_experts, "num_experts")
    check_int("ep_size", settings["ep_size"], 1, num_experts, "num_experts")
    check_int("seed", settings["seed"], 0)
    check_choice("router", settings["router"], sorted(ROUTERS))
    if settings["capacity_factor"] is not None:  # None = dropless
        check_positive("capacity_factor", settings["capacity_factor"])
    check_choice("drop_policy", settings["drop_policy"], DROP_POLICIES)
    check_choice("skew", settings["skew"], SKEWS)
    check_float("hot_bias", settings["hot_bias"], *HOT_BIAS_RANGE)
    check_float("router_scale", settings["router_scale"], *ROUTER_SCALE_RANGE)


def make_router(settings: dict, generator: torch.Generator, expert_bias: list[float] | None = None):
    """The router of `settings` (a moe_core router module) with its weight drawn from `generator`.

    Only the RouterConfig fields the chosen router reads are passed (the page always sends the group settings).
    The weight has std router_scale / sqrt(d_model), so logits have std ~router_scale. noisy_topk draws its noise
    from `generator` too. skew "hot-expert" adds hot_bias to expert 0's logit (the router's `logit_bias`), before
    the router's own top-k, noise and groups.
    """
    kind, num_experts, d_model = settings["router"], settings["num_experts"], settings["d_model"]
    config = RouterConfig(kind, **{name: settings[name] for name in ROUTERS[kind].settings if name in settings})
    module = build_router(config, d_model, num_experts, settings["top_k"])
    if hasattr(module, "generator"):
        module.generator = generator
    module.weight.copy_(torch.randn(num_experts, d_model, generator=generator) *
                        (settings["router_scale"] / math.sqrt(d_model)))
    if expert_bias is not None:
        if not hasattr(module, "expert_bias"):
            raise ValueError(f"expert_bias needs router 'sigmoid_group_limited', got {kind!r}")
        check_len("expert_bias", expert_bias, num_experts, "num_experts")
        module.expert_bias.copy_(torch.tensor(expert_bias, dtype=torch.float32))
    if settings["skew"] == "hot-expert":
        module.logit_bias = hot_expert_logit_bias(num_experts, settings["hot_bias"])
    return module


def ep_traffic(indices: Tensor, keep: Tensor, num_experts: int, ep_size: int) -> tuple[Tensor, Tensor, Tensor]:
    """(owner [E], source rank [T], traffic [ep, ep]): a kept slot goes from its token's rank to its expert's owner."""
    owner = torch.tensor(expert_to_rank(num_experts, ep_size))                    # [E]
    source = source_ranks(indices.shape[0], ep_size)                               # [T]
    pair = (source[:, None] * ep_size + owner[indices])[keep]                      # [kept]
    traffic = torch.bincount(pair, minlength=ep_size * ep_size).view(ep_size, ep_size)
    return owner, source, traffic


def ranks_reached(indices: Tensor, keep: Tensor, owner: Tensor, ep_size: int) -> Tensor:
    """[T] how many distinct ranks each token's kept slots go to (what group-limited routing bounds)."""
    slots = torch.zeros(indices.shape[0], ep_size, dtype=torch.long)                       # [T, ep]
    slots.scatter_add_(1, owner[indices], keep.long())
    return (slots > 0).sum(dim=1)


def weight_histogram(weights: Tensor, bins: int = WEIGHT_BINS) -> tuple[list[float], list[int]]:
    """(edges [bins + 1], counts [bins]) of the combine weights over [0, max(1, largest weight)]."""
    weights = weights.float()
    top = max(1.0, float(weights.max())) if weights.numel() else 1.0
    counts = torch.histc(weights, bins=bins, min=0.0, max=top)
    edges = torch.linspace(0.0, top, bins + 1)
    return [round(float(v), 6) for v in edges], [int(v) for v in counts]


@torch.inference_mode()
def simulate(num_tokens: int = 4096, d_model: int = 64, num_experts: int = 8, top_k: int = 2,
             router: str = "topk_softmax", capacity_factor: float | None = 1.25, drop_policy: str = "position",
             ep_size: int = 4, skew: str = "uniform", seed: int = 0, *, num_clusters: int = 8,
             zipf_exponent: float = 1.2, hot_bias: float = 2.0, router_scale: float = 1.0, num_groups: int = 1,
             topk_groups: int = 1, routed_scaling_factor: float = 1.0, expert_bias: list[float] | None = None
             ) -> SimulationResult:
    """Route `num_tokens` synthetic tokens once as one MoELayer call would (moe_core.route_with_capacity); no FFN.

    capacity_factor None = dropless. The router is make_router's (weight std router_scale / sqrt(d_model): moe_core's
    0.02 init would route almost uniformly at random); hash routing ignores logits, so it has no hot expert.
    `expert_bias` is the selection bias of the sigmoid router (aux-loss-free balancing). Capacity is global over the
    T tokens; moe_core's expert-parallel layer applies it per source rank (see run_expert_parallel). Expert choice:
    each expert takes `capacity` tokens, k = E slots per token with a valid mask, so nothing is "dropped";
    tokens_without_expert counts the tokens no expert picked. Bad settings raise ValueError naming the constraint.
    """
    settings = dict(num_tokens=num_tokens, d_model=d_model, num_experts=num_experts, top_k=top_k, router=router,
                    capacity_factor=capacity_factor, drop_policy=drop_policy, ep_size=ep_size, skew=skew, seed=seed,
                    num_clusters=num_clusters, zipf_exponent=zipf_exponent, hot_bias=hot_bias,
                    router_scale=router_scale, num_groups=num_groups, topk_groups=topk_groups,
                    routed_scaling_factor=routed_scaling_factor)
    check_settings(settings)
    generator = torch.Generator().manual_seed(seed + 1)  # the router's draws, apart from the tokens'
    tokens, _clusters = make_tokens(num_tokens, d_model, skew, seed, num_clusters, zipf_exponent)   # [T, d]
    module = make_router(settings, generator, expert_bias)
    # the hash router's ids are the token positions
    routed = route_with_capacity(module, tokens, capacity_factor, drop_policy, token_ids=torch.arange(num_tokens))
    aux, zl = balance_losses(module, routed.routing)
    return summarise(settings, routed, float(aux), float(zl))


def summarise(settings: dict, routed, aux_loss: float, z_loss: float) -> SimulationResult:
    """The SimulationResult of one routing with capacity (moe_core.RoutedTokens) under `settings`."""
    routing, keep, capacity = routed.routing, routed.keep, routed.capacity                 # keep [T, k]
    num_tokens, num_experts, ep_size = settings["num_tokens"], settings["num_experts"], settings["ep_size"]
    indices = routing.indices                                                                # [T, k]
    valid = torch.ones_like(indices, dtype=torch.bool) if routing.valid is None else routing.valid  # [T, k]
    flat_experts = indices.reshape(-1)
    routed_load = torch.bincount(flat_experts[valid.reshape(-1)], minlength=num_experts)      # [E]
    kept = torch.bincount(flat_experts[keep.reshape(-1)], minlength=num_experts)             # [E]
    dropped = routed_load - kept
    num_slots = int(valid.sum())
    owner, source, traffic = ep_traffic(indices, keep, num_experts, ep_size)
    weight_edges, weight_counts = weight_histogram(routing.weights[valid])
    # capacity >= T: every expert could take every token, so capacity drops nothing (expert choice: each takes all)
    notes = ["capacity_covers_every_token"] if capacity is not None and capacity >= num_tokens else []
    return SimulationResult(
        settings=settings, num_slots=num_slots, capacity=capacity,
        routed_per_expert=routed_load.tolist(), tokens_per_expert=kept.tolist(), dropped_per_expert=dropped.tolist(),
        dropped_tokens=int(dropped.sum()), tokens_without_expert=int((~keep.any(dim=1)).sum()),
        aux_loss=aux_loss, z_loss=z_loss, load_cv=load_cv(routed_load), max_mean_load=max_mean_load(routed_load),
        kept_load_cv=load_cv(kept), drop_rate=drop_rate(int(dropped.sum()), num_slots),
        entropy=routing_entropy(routing.probs), max_entropy=math.log(num_experts),
        mean_probs=routing.probs.float().mean(dim=0).tolist(),
        expert_groups=create_expert_groups(num_experts, ep_size), expert_rank=owner.tolist(),
        tokens_per_source_rank=torch.bincount(source, minlength=ep_size).tolist(),
        tokens_per_rank=traffic.sum(dim=0).tolist(), traffic=traffic.tolist(),
        tokens_by_ranks_reached=torch.bincount(ranks_reached(indices, keep, owner, ep_size),
                                               minlength=ep_size + 1).tolist(),
        weight_edges=weight_edges, weight_counts=weight_counts, notes=notes)
