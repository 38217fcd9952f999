"""Train a tiny moe_core.MoELayer on synthetic clustered data and record how each balance method shapes the load."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from moe_core import MoELayer, drop_rate, load_cv, max_mean_load, update_expert_bias
from moe_core.checks import check_choice, check_float, check_int, check_positive

from .clusters import ZipfClusters

BALANCE_METHODS = ("none", "aux", "z", "bias", "capacity")
CURVES = ("task_loss", "load_cv", "max_mean_load", "drop_rate", "aux_loss", "z_loss")
MAX_STEPS = 5000


@dataclass
class TrainResult:
    """Per-step curves of one training run (lists of floats, one entry per step run)."""
    settings: dict
    task_loss: list[float] = field(default_factory=list)      # MSE of the regression target
    load_cv: list[float] = field(default_factory=list)        # std / mean of routed slots per expert (before capacity)
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
    """A clustered regression task: ZipfClusters inputs; cluster c has its own linear map A_c; target = A_c x.

    Some clusters are far more common (Zipf): the router is tempted to send the popular clusters (and, without
    balancing, everything) to the few experts that learned them first. Returns batch(size) -> (x [B, d], y [B, d]).
    """
    clusters = ZipfClusters.draw(num_clusters, d_model, zipf_exponent, generator)
    maps = torch.randn(num_clusters, d_model, d_model, generator=generator) / math.sqrt(d_model)  # [C, d, d]

    def batch(batch_size: int):
        x, cluster = clusters.sample(batch_size, 0.3, generator)                                # [B, d], [B]
        y = torch.einsum("bd,bde->be", x, maps[cluster]) / math.sqrt(d_model)                    # [B, d]
        return x, y

    return batch


def check_train_settings(settings: dict) -> None:
    """Raises ValueError naming the first broken constraint of train()'s settings."""
    check_choice("balance", settings["balance"], BALANCE_METHODS)
    for name, high in (("steps", MAX_STEPS), ("num_experts", 256), ("batch_size", 8192), ("d_model", 512),
                       ("d_ff", 2048), ("num_clusters", 1024)):
        check_int(name, settings[name], 1, high)
    check_int("top_k", settings["top_k"], 1, settings["num_experts"], "num_experts")
    for name in ("lr", "capacity_factor"):
        check_positive(name, settings[name])
    for name in ("aux_coef", "z_coef", "bias_rate", "zipf_exponent"):
        check_float(name, settings[name], 0)
    check_float("hot_bias", settings["hot_bias"], -50.0, 50.0)


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
    check_train_settings(settings)

    torch.manual_seed(seed)  # MoELayer's parameter init draws from the global generator
    generator = torch.Generator().manual_seed(seed)  # data: a local generator, so nothing else shifts it
    batch = make_task(num_clusters, d_model, zipf_exponent, generator)
    layer = build_layer(settings, batch)
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
        record_step(result, layer, info, float(task_loss.detach()), bias_rate if balance == "bias" else None)
        if progress is not None:
            progress(step + 1, steps)
    return result


def build_layer(settings: dict, batch: Callable) -> MoELayer:
    """The MoELayer train() starts from: the sigmoid router for "bias" (else top-k softmax), capacity for "capacity".

    hot_bias tilts expert 0's router row toward the average input (drawn from `batch`): it wins most tokens at first.
    """
    balance = settings["balance"]
    layer = MoELayer(settings["d_model"], settings["d_ff"], settings["num_experts"], settings["top_k"],
                     router="sigmoid_group_limited" if balance == "bias" else "topk_softmax",
                     capacity_factor=settings["capacity_factor"] if balance == "capacity" else None)
    if settings["hot_bias"]:
        with torch.no_grad():
            mean_input = batch(1024)[0].mean(dim=0)                                   # [d]
            layer.router.weight[0] += settings["hot_bias"] * mean_input / mean_input.norm().clamp_min(1e-6)
    return layer


def record_step(result: TrainResult, layer: MoELayer, info, task_loss: float, bias_rate: float | None) -> None:
    """Appends one step's curves to `result`; with a bias_rate (the "bias" method) it updates the selection bias."""
    num_experts = layer.num_experts
    # routed load (before capacity): what the router asked for, the quantity balancing acts on
    routed = torch.bincount(info.routing.indices.reshape(-1), minlength=num_experts)  # [E]
    if bias_rate is not None:
        layer.router.expert_bias.copy_(update_expert_bias(layer.router.expert_bias, routed, bias_rate))
    result.task_loss.append(task_loss)
    result.load_cv.append(load_cv(routed))
    result.max_mean_load.append(max_mean_load(routed))
    result.drop_rate.append(drop_rate(int(info.dropped_tokens), info.routing.indices.numel()))
    result.aux_loss.append(float(info.aux_loss.detach()))
    result.z_loss.append(float(info.z_loss.detach()))
    bias = layer.router.expert_bias if bias_rate is not None else torch.zeros(num_experts)
    result.expert_bias.append([round(float(b), 6) for b in bias])
    result.final_tokens_per_expert = routed.tolist()
    result.steps_run += 1


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
