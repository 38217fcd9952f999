"""Train a tiny moe_core.MoELayer on synthetic clustered data and record how each balance method shapes the load."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from moe_core import MoELayer, drop_rate, load_cv, max_mean_load, update_expert_bias

BALANCE_METHODS = ("none", "aux", "z", "bias", "capacity")
CURVES = ("task_loss", "load_cv", "max_mean_load", "drop_rate", "aux_loss", "z_loss")
MAX_STEPS = 5000


@dataclass
class TrainResult:
    """Per-step curves of one training run (lists of floats, one entry per step run)."""
    settings: dict
    task_loss: list[float] = field(default_factory=list)      # MSE of the regression target
    load_cv: list[float] = field(default_factory=list)        # std / mean of the routed slots per expert (before capacity)
    max_mean_load: list[float] = field(default_factory=list)  # busiest expert / mean, routed slots
    drop_rate: list[float] = field(default_factory=list)      # dropped / routed slots (capacity only)
    aux_loss: list[float] = field(default_factory=list)       # switch aux loss value (logged for every method)
    z_loss: list[float] = field(default_factory=list)         # router z-loss value (logged for every method)
    expert_bias: list[list[float]] = field(default_factory=list)  # [steps][E] selection bias ("bias" method; else 0)
    final_tokens_per_expert: list[int] = field(default_factory=list)  # routed slots per expert at the last step
    steps_run: int = 0
    cancelled: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def make_task(num_clusters: int, d_model: int, zipf_exponent: float, generator: torch.Generator):
    """A clustered regression task: cluster c has centre mu_c and its own linear map A_c; target = A_c x.

    Clusters are drawn with Zipf weights 1 / (c + 1)^s, so some inputs are far more common: the router is tempted to
    send the popular clusters (and, without balancing, everything) to the few experts that learned them first.
    """
    centres = torch.randn(num_clusters, d_model, generator=generator)
    centres = centres / centres.norm(dim=1, keepdim=True) * math.sqrt(d_model)         # [C, d]
    maps = torch.randn(num_clusters, d_model, d_model, generator=generator) / math.sqrt(d_model)  # [C, d, d]
    weights = 1.0 / torch.arange(1, num_clusters + 1, dtype=torch.float64) ** zipf_exponent

    def batch(batch_size: int):
        cluster = torch.multinomial(weights, batch_size, replacement=True, generator=generator)  # [B]
        x = centres[cluster] + 0.3 * torch.randn(batch_size, d_model, generator=generator)      # [B, d]
        y = torch.einsum("bd,bde->be", x, maps[cluster]) / math.sqrt(d_model)                    # [B, d]
        return x, y

    return batch


def train(balance: str = "none", steps: int = 200, seed: int = 0, *, num_experts: int = 8, top_k: int = 2,
          d_model: int = 16, d_ff: int = 32, batch_size: int = 256, lr: float = 1e-2, num_clusters: int = 8,
          zipf_exponent: float = 1.2, hot_bias: float = 0.0, aux_coef: float = 1e-2, z_coef: float = 1e-3,
          bias_rate: float = 1e-2, capacity_factor: float = 1.25,
          progress: Callable[[int, int], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> TrainResult:
    """Train one MoELayer (x -> moe(x), regression) for `steps` Adam steps with one balance method.

    balance: "none"; "aux" (switch aux loss x aux_coef); "z" (router z-loss x z_coef); "bias" (aux-loss-free,
    DeepSeek-V3: sigmoid router, update_expert_bias with bias_rate after every step; DeepSeek uses 1e-3 over far more
    steps, this toy uses 1e-2 to show it in a few hundred); "capacity" (capacity_factor, tokens over capacity dropped).
    Every method except "bias" uses the top-k softmax router. hot_bias > 0 starts expert 0's router row tilted
    towards the data's mean direction (a router that already prefers one expert). Seeded: the same arguments give
    identical curves. progress(step, steps) after each step; cancel() returning True stops early (cancelled=True).
    """
    settings = {k: v for k, v in locals().items() if k not in ("progress", "cancel")}  # the arguments, first thing
    if balance not in BALANCE_METHODS:
        raise ValueError(f"balance ({balance!r}) must be one of {BALANCE_METHODS}")
    for name, value, low, high in (("steps", steps, 1, MAX_STEPS), ("num_experts", num_experts, 1, 256),
                                   ("batch_size", batch_size, 1, 8192), ("d_model", d_model, 1, 512),
                                   ("d_ff", d_ff, 1, 2048), ("num_clusters", num_clusters, 1, 1024)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} ({value!r}) must be an int in [{low}, {high}]")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k ({top_k!r}) must be an int >= 1")
    if top_k > num_experts:
        raise ValueError(f"top_k ({top_k}) must be <= num_experts ({num_experts})")
    for name, value in (("lr", lr), ("capacity_factor", capacity_factor)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} ({value!r}) must be > 0")
    for name, value in (("aux_coef", aux_coef), ("z_coef", z_coef), ("bias_rate", bias_rate),
                        ("zipf_exponent", zipf_exponent)):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} ({value!r}) must be >= 0")

    torch.manual_seed(seed)  # MoELayer's parameter init draws from the global generator
    generator = torch.Generator().manual_seed(seed)  # data: a local generator, so nothing else shifts it
    batch = make_task(num_clusters, d_model, zipf_exponent, generator)
    router = "sigmoid_group_limited" if balance == "bias" else "topk_softmax"
    layer = MoELayer(d_model, d_ff, num_experts, top_k, router=router,
                     capacity_factor=capacity_factor if balance == "capacity" else None)
    if hot_bias:
        with torch.no_grad():  # tilt expert 0 toward the average input: it wins most tokens at the start
            mean_input = batch(1024)[0].mean(dim=0)
            layer.router.weight[0] += hot_bias * mean_input / mean_input.norm().clamp_min(1e-6)
    optimizer = torch.optim.Adam(layer.parameters(), lr=lr)

    result = TrainResult(settings=settings)
    for step in range(steps):
        if cancel is not None and cancel():
            result.cancelled = True
            break
        x, y = batch(batch_size)                                                # [B, d], [B, d]
        out, info = layer(x)
        task_loss = torch.nn.functional.mse_loss(out, y)
        loss = task_loss
        if balance == "aux":
            loss = loss + aux_coef * info.aux_loss
        elif balance == "z":
            loss = loss + z_coef * info.z_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        # routed load (before capacity): what the router asked for, the quantity balancing acts on
        routed = torch.bincount(info.routing.indices.reshape(-1), minlength=num_experts)  # [E]
        if balance == "bias":
            layer.router.expert_bias.copy_(update_expert_bias(layer.router.expert_bias, routed, bias_rate))
        num_slots = info.routing.indices.numel()
        result.task_loss.append(float(task_loss.detach()))
        result.load_cv.append(load_cv(routed))
        result.max_mean_load.append(max_mean_load(routed))
        result.drop_rate.append(drop_rate(int(info.dropped_tokens), num_slots))
        result.aux_loss.append(float(info.aux_loss.detach()))
        result.z_loss.append(float(info.z_loss.detach()))
        bias = layer.router.expert_bias if balance == "bias" else torch.zeros(num_experts)
        result.expert_bias.append([round(float(b), 6) for b in bias])
        result.final_tokens_per_expert = routed.tolist()
        result.steps_run = step + 1
        if progress is not None:
            progress(step + 1, steps)
    return result


def compare(balances, steps: int = 200, seed: int = 0, progress: Callable[[int, int], None] | None = None,
            cancel: Callable[[], bool] | None = None, **kwargs) -> dict[str, TrainResult]:
    """train() once per balance method on the same seed (same data, same init); progress counts over all runs."""
    balances = list(dict.fromkeys(balances))
    results: dict[str, TrainResult] = {}
    for index, balance in enumerate(balances):
        def report(step, total, index=index):
            if progress is not None:
                progress(index * steps + step, len(balances) * steps)
        results[balance] = train(balance, steps, seed, progress=report, cancel=cancel, **kwargs)
        if results[balance].cancelled:
            break
    return results
