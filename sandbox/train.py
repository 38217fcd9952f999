"""Train a tiny moe_core.MoELayer on synthetic clustered data and record how each balance method shapes the load.

`train` / `compare` run to the end; `TrainingRun` is the same training as a resumable object (the page's live
training): it steps every balance method in lockstep, keeps its curves in `history`, and takes new settings while
paused, continuing from the current weights where that makes sense (`continue_or_restart`).
"""
from __future__ import annotations

import copy
import functools
import inspect
import math
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import torch
from torch import Tensor

from moe_core import MoELayer, drop_rate, load_cv, max_mean_load, update_expert_bias
from moe_core.checks import check_choice, check_float, check_int, check_positive

from .clusters import ZipfClusters

BALANCE_METHODS = ("none", "aux", "z", "bias", "capacity")
CURVES = ("task_loss", "load_cv", "max_mean_load", "drop_rate", "aux_loss", "z_loss")
MAX_STEPS = 5000
# settings a run takes mid-way (they act from the next step on); any other change restarts it
LIVE_SETTINGS = ("steps", "aux_coef", "z_coef", "bias_rate")


def single_threaded(function):
    """Runs `function` with torch on one thread: a layer this small trains fastest so, and more threads only contend
    for the cores (on a busy 2-core machine, 3 methods x 100 steps took 47 s on 2 threads and 3.6 s on one)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapper


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
    tokens_per_expert: list[list[int]] = field(default_factory=list)  # [steps][E] routed slots per expert
    steps_run: int = 0
    cancelled: bool = False
    branched_from: tuple[str, int] | None = None  # (method, step): the curves up to that step are that method's

    @property
    def final_tokens_per_expert(self) -> list[int]:
        """Routed slots per expert at the last step ([] before any step)."""
        return self.tokens_per_expert[-1] if self.tokens_per_expert else []

    def to_dict(self) -> dict:
        return asdict(self)

    def copy(self) -> TrainResult:
        """A copy that later steps do not change (a step appends to the curves and never edits an entry)."""
        return replace(self, **{name: list(getattr(self, name)) for name in (*CURVES, "expert_bias",
                                                                             "tokens_per_expert")})


@dataclass(frozen=True)
class Task:
    """A clustered regression task: ZipfClusters inputs; cluster c has its own linear map A_c; target = A_c x.

    Some clusters are far more common (Zipf): the router is tempted to send the popular clusters (and, without
    balancing, everything) to the few experts that learned them first.
    """
    clusters: ZipfClusters
    maps: Tensor  # [C, d, d]

    def batch(self, batch_size: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """(x [B, d], y [B, d]) drawn from `generator`."""
        x, cluster = self.clusters.sample(batch_size, 0.3, generator)                              # [B, d], [B]
        y = torch.einsum("bd,bde->be", x, self.maps[cluster]) / math.sqrt(x.shape[1])              # [B, d]
        return x, y


def make_task(num_clusters: int, d_model: int, zipf_exponent: float, generator: torch.Generator) -> Task:
    clusters = ZipfClusters.draw(num_clusters, d_model, zipf_exponent, generator)
    maps = torch.randn(num_clusters, d_model, d_model, generator=generator) / math.sqrt(d_model)  # [C, d, d]
    return Task(clusters, maps)


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


@single_threaded
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
    lane = Lane(settings)
    for step in range(steps):
        if cancel is not None and cancel():
            lane.result.cancelled = True
            break
        lane.step()
        if progress is not None:
            progress(step + 1, steps)
    return lane.result


def router_kind(balance: str) -> str:
    """The router a balance method trains: the sigmoid router for "bias" (its selection bias), else top-k softmax."""
    return "sigmoid_group_limited" if balance == "bias" else "topk_softmax"


class Lane:
    """One balance method's layer, Adam state, data stream and curves: train() runs one, TrainingRun several.

    Built from train()'s full settings, seeded as train() is: the same settings give identical curves.
    """

    def __init__(self, settings: dict):
        check_train_settings(settings)
        self.settings = dict(settings)
        seed = settings["seed"]
        torch.manual_seed(seed)  # MoELayer's parameter init draws from the global generator
        self.generator = torch.Generator().manual_seed(seed)  # data: a local generator, so nothing else shifts it
        self.task = make_task(settings["num_clusters"], settings["d_model"], settings["zipf_exponent"],
                              self.generator)
        self.layer = build_layer(settings, lambda size: self.task.batch(size, self.generator))
        self.optimizer = torch.optim.Adam(self.layer.parameters(), lr=settings["lr"])
        self.result = TrainResult(settings=self.settings)

    def step(self) -> None:
        """One Adam step on a fresh batch, with this lane's balance method; appends the step's curves."""
        settings = self.settings
        balance = settings["balance"]
        x, y = self.task.batch(settings["batch_size"], self.generator)                 # [B, d], [B, d]
        out, info = self.layer(x)
        task_loss = torch.nn.functional.mse_loss(out, y)
        loss = task_loss
        if balance == "aux":
            loss = loss + settings["aux_coef"] * info.aux_loss
        elif balance == "z":
            loss = loss + settings["z_coef"] * info.z_loss
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        record_step(self.result, self.layer, info, float(task_loss.detach()),
                    settings["bias_rate"] if balance == "bias" else None)

    def branch(self, balance: str) -> Lane:
        """A copy of this lane, from its current weights, data stream and curves, that goes on with `balance`.

        The same router kind keeps the Adam state; the other kind (bias <-> the rest) takes the weights it shares
        (router weight, experts) into a new layer with a fresh optimizer.
        """
        check_choice("balance", balance, BALANCE_METHODS)
        other = copy.copy(self)
        other.settings = {**self.settings, "balance": balance}
        other.generator = copy.deepcopy(self.generator)
        if router_kind(balance) == router_kind(self.settings["balance"]):
            other.layer, other.optimizer = copy.deepcopy((self.layer, self.optimizer))
        else:
            other.layer = build_layer({**other.settings, "hot_bias": 0.0}, None)
            other.layer.load_state_dict(self.layer.state_dict(), strict=False)
            other.optimizer = torch.optim.Adam(other.layer.parameters(), lr=other.settings["lr"])
        other.layer.capacity_factor = other.settings["capacity_factor"] if balance == "capacity" else None
        other.result = copy.deepcopy(self.result)
        other.result.settings = other.settings
        other.result.branched_from = (self.settings["balance"], self.result.steps_run)
        return other


def build_layer(settings: dict, batch: Callable | None) -> MoELayer:
    """The MoELayer train() starts from: router_kind(balance), capacity for "capacity".

    hot_bias tilts expert 0's router row toward the average input (drawn from `batch`): it wins most tokens at first.
    """
    balance = settings["balance"]
    layer = MoELayer(settings["d_model"], settings["d_ff"], settings["num_experts"], settings["top_k"],
                     router=router_kind(balance),
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
    result.tokens_per_expert.append(routed.tolist())
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


class TrainingRun:
    """compare()'s training as a resumable object: every balance method steps in lockstep on the same data and init.

    step(n) runs n more steps of each method (never past `steps`); history holds the curves so far ({method: TrainResult}, identical to compare()'s for the same settings).
    start() trains on in a background thread until pause() or the last step, while snapshot() gives consistent
    copies of the curves to draw: a page redraws them while the training goes on, instead of taking turns with it.
    Plain Python state: a page keeps it between reruns and picks up where it paused.
    """

    def __init__(self, balances, steps: int = 200, seed: int = 0, **settings):
        balances = list(dict.fromkeys(balances))
        if not balances:
            raise ValueError("balances must name at least one balance method")
        self.settings = {**keyword_defaults_of_train(), **settings, "steps": steps, "seed": seed}
        self.lanes = {balance: Lane({**self.settings, "balance": balance}) for balance in balances}
        self._lock = threading.Lock()       # held for one step of every method, and by snapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the background thread is training."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Trains on in a background thread until pause() or the last step; no-op when running or done."""
        if self.running or self.done:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._train_on, name="TrainingRun", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stops the background thread after its current step and waits for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    @single_threaded
    def _train_on(self) -> None:
        while not self._stop.is_set() and not self.done:
            with self._lock:
                self.step(1)

    def snapshot(self) -> dict[str, TrainResult]:
        """Copies of the curves at a step boundary (every method at the same step), safe while the thread trains."""
        with self._lock:
            return {balance: lane.result.copy() for balance, lane in self.lanes.items()}

    @property
    def steps(self) -> int:
        return self.settings["steps"]

    @property
    def steps_run(self) -> int:
        return min(lane.result.steps_run for lane in self.lanes.values())

    @property
    def done(self) -> bool:
        return self.steps_run >= self.steps

    @property
    def history(self) -> dict[str, TrainResult]:
        return {balance: lane.result for balance, lane in self.lanes.items()}

    @single_threaded
    def step(self, n: int = 1) -> int:
        """Runs up to n more steps of every method (stops at `steps`); returns how many it ran."""
        ran = 0
        while ran < n and not self.done:
            for lane in self.lanes.values():
                lane.step()
            ran += 1
        return ran

    def set_live(self, **settings) -> None:
        """Changes LIVE_SETTINGS in place: they act from the next step on."""
        unknown = set(settings) - set(LIVE_SETTINGS)
        if unknown:
            raise ValueError(f"set_live takes {', '.join(LIVE_SETTINGS)}, got {', '.join(sorted(unknown))}")
        check_int("steps", settings.get("steps", self.steps), 1, MAX_STEPS)
        for name in set(settings) - {"steps"}:
            check_float(name, settings[name], 0)
        self.settings.update(settings)
        for lane in self.lanes.values():
            lane.settings.update(settings)

    def set_balances(self, balances) -> None:
        """Keeps the methods still asked for; a new one branches from the first kept method's current weights (or
        starts with the others when nothing has run yet)."""
        balances = list(dict.fromkeys(balances))
        for balance in balances:
            check_choice("balance", balance, BALANCE_METHODS)
        kept = [balance for balance in balances if balance in self.lanes]
        if not kept:
            raise ValueError("set_balances needs at least one method the run already has")
        parent = self.lanes[kept[0]]
        lanes = {}
        for balance in balances:
            if balance in self.lanes:
                lanes[balance] = self.lanes[balance]
            elif self.steps_run == 0:
                lanes[balance] = Lane({**self.settings, "balance": balance})
            else:
                lanes[balance] = parent.branch(balance)
        self.lanes = lanes


def keyword_defaults_of_train() -> dict:
    """train()'s keyword-only defaults (layer, task, optimiser, balance strengths), without the callbacks."""
    return {name: parameter.default for name, parameter in inspect.signature(train).parameters.items()
            if parameter.kind is parameter.KEYWORD_ONLY and name not in ("progress", "cancel")}


def continue_or_restart(run: TrainingRun | None, balances, steps: int, seed: int,
                        **settings) -> tuple[TrainingRun, str]:
    """The run for these settings and what happened: "started" (no run before), "unchanged", "continued" (only
    LIVE_SETTINGS or the set of methods changed: the run goes on from its current weights) or "restarted" (the data,
    the seed or the model changed: nothing to continue from). A run that changes or is replaced is paused first.
    Bad settings raise ValueError as train() does."""
    balances = list(dict.fromkeys(balances))
    wanted = {**keyword_defaults_of_train(), **settings, "steps": steps, "seed": seed}
    if run is None:
        return TrainingRun(balances, **wanted), "started"
    fixed_changed = any(run.settings[name] != value for name, value in wanted.items() if name not in LIVE_SETTINGS)
    if fixed_changed or not set(balances) & set(run.lanes):
        run.pause()
        return TrainingRun(balances, **wanted), "restarted"
    live = {name: wanted[name] for name in LIVE_SETTINGS if run.settings[name] != wanted[name]}
    if not live and balances == list(run.lanes):
        return run, "unchanged"
    run.pause()  # the caller starts it again if it was playing
    run.set_live(**live)
    run.set_balances(balances)
    return run, "continued"
