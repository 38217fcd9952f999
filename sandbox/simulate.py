"""One routing pass of moe_core on synthetic tokens: expert load, capacity drops, balance losses and EP traffic."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor

from moe_core import (DROP_POLICIES, ROUTERS, apply_capacity, build_router, create_expert_groups, drop_rate,
                      expert_capacity, expert_to_rank, load_cv, max_mean_load, routing_entropy, switch_aux_loss, z_loss)
from moe_core._checks import check_int
from moe_core.routing import ExpertChoiceRouter

SKEWS = ("uniform", "clustered", "hot-expert")
WEIGHT_BINS = 40
MAX_TOKENS = 65_536
MAX_EXPERTS = 1024


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
    weight_edges: list[float]           # [bins + 1] edges of the combine-weight histogram
    weight_counts: list[int]            # [bins] valid slots per bin
    notes: list[str] = field(default_factory=list)  # facts about this setting (e.g. capacity > T for expert choice)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def remote_slots(self) -> int:
        """Kept slots that cross ranks (off the traffic matrix's diagonal)."""
        return sum(v for i, row in enumerate(self.traffic) for j, v in enumerate(row) if i != j)


def _check_float(name: str, value, low: float, high: float) -> float:
    """A finite number in [low, high] (the int settings use moe_core's check_int, with the same messages)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < low:
        raise ValueError(f"{name} ({value}) must be >= {low}")
    if value > high:
        raise ValueError(f"{name} ({value}) must be <= {high}")
    return value


def make_tokens(num_tokens: int, d_model: int, skew: str, seed: int, num_clusters: int = 8,
                zipf_exponent: float = 1.2, cluster_spread: float = 0.5) -> tuple[Tensor, Tensor]:
    """Synthetic tokens [T, d] and their cluster ids [T] (all 0 unless clustered), drawn from a local generator.

    clustered: num_clusters unit-norm centres scaled by sqrt(d); cluster c is drawn with weight 1 / (c + 1)^zipf_exponent
    (Zipf), each token = centre + cluster_spread * N(0, I). uniform and hot-expert: N(0, I) tokens.
    """
    if skew not in SKEWS:
        raise ValueError(f"skew ({skew!r}) must be one of {SKEWS}")
    generator = torch.Generator().manual_seed(seed)
    if skew != "clustered":
        return torch.randn(num_tokens, d_model, generator=generator), torch.zeros(num_tokens, dtype=torch.long)
    check_int("num_clusters", num_clusters, 1, 4096)
    _check_float("zipf_exponent", zipf_exponent, 0.0, 10.0)
    _check_float("cluster_spread", cluster_spread, 0.0, 100.0)
    centres = torch.randn(num_clusters, d_model, generator=generator)
    centres = centres / centres.norm(dim=1, keepdim=True) * math.sqrt(d_model)          # [C, d]
    cluster_weights = 1.0 / torch.arange(1, num_clusters + 1, dtype=torch.float64) ** zipf_exponent
    cluster_ids = torch.multinomial(cluster_weights, num_tokens, replacement=True, generator=generator)  # [T]
    noise = torch.randn(num_tokens, d_model, generator=generator)
    return centres[cluster_ids] + cluster_spread * noise, cluster_ids


def source_ranks(num_tokens: int, ep_size: int) -> Tensor:
    """[T] the rank each token starts on: contiguous, even split, the first ranks take one more (like tensor_split)."""
    base, remainder = divmod(num_tokens, ep_size)
    sizes = torch.tensor([base + (rank < remainder) for rank in range(ep_size)])
    return torch.repeat_interleave(torch.arange(ep_size), sizes)


def _router_kwargs(router: str, capacity_factor: float | None, num_groups: int,
                   topk_groups: int, routed_scaling_factor: float, generator: torch.Generator) -> dict:
    if router == "expert_choice":
        return {"capacity_factor": 1.0 if capacity_factor is None else capacity_factor}
    if router == "noisy_topk":
        return {"generator": generator}
    if router == "sigmoid_group_limited":
        return {"num_groups": num_groups, "topk_groups": topk_groups, "routed_scaling_factor": routed_scaling_factor}
    return {}


@torch.inference_mode()
def simulate(num_tokens: int = 4096, d_model: int = 64, num_experts: int = 8, top_k: int = 2,
             router: str = "topk_softmax", capacity_factor: float | None = 1.25, drop_policy: str = "position",
             ep_size: int = 4, skew: str = "uniform", seed: int = 0, *, num_clusters: int = 8,
             zipf_exponent: float = 1.2, hot_bias: float = 2.0, router_scale: float = 1.0, num_groups: int = 1,
             topk_groups: int = 1, routed_scaling_factor: float = 1.0, expert_bias: list[float] | None = None
             ) -> SimulationResult:
    """Route `num_tokens` synthetic tokens once with moe_core's router and capacity; no experts run (no FFN).

    capacity_factor None = dropless. The router's weight is drawn from the seed with std router_scale / sqrt(d_model),
    so logits have std ~router_scale (moe_core's 0.02 init would route almost uniformly at random). skew "hot-expert"
    adds `hot_bias` to expert 0's logit (hash routing ignores logits, so it has no hot expert). `expert_bias` is the
    selection bias of the sigmoid router (aux-loss-free balancing). Capacity is global over the T tokens, as in one
    MoELayer call; moe_core.parallel applies it per source rank (see run_expert_parallel). Expert choice: each expert
    takes `capacity` tokens, k = E slots per token with a valid mask, so nothing is "dropped"; tokens_without_expert
    counts the tokens no expert picked. Bad settings raise ValueError naming the constraint.
    """
    settings = dict(num_tokens=num_tokens, d_model=d_model, num_experts=num_experts, top_k=top_k, router=router,
                    capacity_factor=capacity_factor, drop_policy=drop_policy, ep_size=ep_size, skew=skew, seed=seed,
                    num_clusters=num_clusters, zipf_exponent=zipf_exponent, hot_bias=hot_bias,
                    router_scale=router_scale, num_groups=num_groups, topk_groups=topk_groups,
                    routed_scaling_factor=routed_scaling_factor)
    check_int("num_tokens", num_tokens, 1, MAX_TOKENS)
    check_int("d_model", d_model, 1, 4096)
    check_int("num_experts", num_experts, 1, MAX_EXPERTS)
    check_int("top_k", top_k, 1, num_experts, "num_experts")
    check_int("ep_size", ep_size, 1, num_experts, "num_experts")
    check_int("seed", seed, 0)
    if router not in ROUTERS:
        raise ValueError(f"router ({router!r}) must be one of {sorted(ROUTERS)}")
    if capacity_factor is not None and (isinstance(capacity_factor, bool) or not isinstance(capacity_factor, (int, float))
                                        or not math.isfinite(capacity_factor) or capacity_factor <= 0):
        raise ValueError(f"capacity_factor ({capacity_factor!r}) must be > 0 (or None for dropless)")
    if drop_policy not in DROP_POLICIES:
        raise ValueError(f"drop_policy ({drop_policy!r}) must be one of {DROP_POLICIES}")
    _check_float("hot_bias", hot_bias, -50.0, 50.0)
    _check_float("router_scale", router_scale, 0.0, 100.0)

    generator = torch.Generator().manual_seed(seed + 1)  # the router's draws, apart from the tokens'
    tokens, _clusters = make_tokens(num_tokens, d_model, skew, seed, num_clusters, zipf_exponent)   # [T, d]
    module = build_router(router, d_model, num_experts, top_k,
                          **_router_kwargs(router, capacity_factor, num_groups, topk_groups,
                                           routed_scaling_factor, generator))
    module.weight.copy_(torch.randn(num_experts, d_model, generator=generator) * (router_scale / math.sqrt(d_model)))
    if expert_bias is not None:
        if not hasattr(module, "expert_bias"):
            raise ValueError(f"expert_bias needs router 'sigmoid_group_limited', got {router!r}")
        if len(expert_bias) != num_experts:
            raise ValueError(f"expert_bias has {len(expert_bias)} entries, expected num_experts ({num_experts})")
        module.expert_bias.copy_(torch.tensor(expert_bias, dtype=torch.float32))
    if skew == "hot-expert":
        logit_bias = torch.zeros(num_experts)
        logit_bias[0] = hot_bias
        plain_logits = module.logits
        # The router's own forward (top-k, noise, groups) runs on the biased logits: only the logits change.
        module.logits = lambda x: plain_logits(x) + logit_bias
    token_ids = torch.arange(num_tokens)  # the hash router's ids: token positions
    routing = module(tokens, token_ids=token_ids)
    indices, valid = routing.indices, routing.valid                                   # [T, k], [T, k] or None

    notes: list[str] = []
    if isinstance(module, ExpertChoiceRouter):
        capacity = module.capacity(num_tokens)
        keep = valid
        if capacity == num_tokens:
            notes.append("expert_choice_full")  # capacity reached T: each expert takes every token
    elif capacity_factor is None:
        capacity, keep = None, torch.ones_like(indices, dtype=torch.bool)
    else:
        capacity = expert_capacity(num_tokens, num_experts, top_k, capacity_factor)
        keep, _position = apply_capacity(indices, num_experts, capacity, drop_policy, routing.weights, valid)
    valid_mask = torch.ones_like(indices, dtype=torch.bool) if valid is None else valid
    flat_experts = indices.reshape(-1)
    routed = torch.bincount(flat_experts[valid_mask.reshape(-1)], minlength=num_experts)       # [E]
    kept = torch.bincount(flat_experts[keep.reshape(-1)], minlength=num_experts)              # [E]
    dropped = routed - kept
    num_slots = int(valid_mask.sum())

    aux = switch_aux_loss(routing.probs, indices, valid) if module.uses_balance_loss else torch.zeros(())
    zl = z_loss(routing.logits) if module.learned else torch.zeros(())

    # expert parallelism: a kept slot travels from its token's rank to its expert's owner rank
    owner = torch.tensor(expert_to_rank(num_experts, ep_size))                                # [E]
    source = source_ranks(num_tokens, ep_size)[:, None].expand_as(indices)                   # [T, k]
    pair = (source * ep_size + owner[indices])[keep]                                          # [kept]
    traffic = torch.bincount(pair, minlength=ep_size * ep_size).view(ep_size, ep_size)      # [ep, ep]

    kept_weights = routing.weights[valid_mask].float()
    top = max(1.0, float(kept_weights.max())) if kept_weights.numel() else 1.0
    weight_counts = torch.histc(kept_weights, bins=WEIGHT_BINS, min=0.0, max=top)
    weight_edges = torch.linspace(0.0, top, WEIGHT_BINS + 1)

    return SimulationResult(
        settings=settings, num_slots=num_slots, capacity=capacity,
        routed_per_expert=routed.tolist(), tokens_per_expert=kept.tolist(), dropped_per_expert=dropped.tolist(),
        dropped_tokens=int(dropped.sum()), tokens_without_expert=int((~keep.any(dim=1)).sum()),
        aux_loss=float(aux), z_loss=float(zl), load_cv=load_cv(routed), max_mean_load=max_mean_load(routed),
        kept_load_cv=load_cv(kept), drop_rate=drop_rate(int(dropped.sum()), num_slots),
        entropy=routing_entropy(routing.probs), max_entropy=math.log(num_experts),
        mean_probs=routing.probs.float().mean(dim=0).tolist(),
        expert_groups=create_expert_groups(num_experts, ep_size), expert_rank=owner.tolist(),
        tokens_per_source_rank=torch.bincount(source[:, 0], minlength=ep_size).tolist(),
        tokens_per_rank=traffic.sum(dim=0).tolist(), traffic=traffic.tolist(),
        weight_edges=[round(float(v), 6) for v in weight_edges], weight_counts=[int(v) for v in weight_counts],
        notes=notes)
