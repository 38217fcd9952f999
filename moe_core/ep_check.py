"""The expert-parallel check as library functions: EP vs the single-process layer on every rank, traffic, timings.

Each function runs on one rank inside an initialised process group and returns plain dicts; moe_core.ep_tool is the
command around them (torchrun). Every rank rebuilds every rank's inputs from the seed, so it can compute the
reference output and gradients of the full layer locally.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from .checks import check_float, check_int
from .layer import MoEInfo, MoELayer
from .parallel import ExpertParallelMoE
from .routers import RouterConfig, hot_expert_logit_bias

MATCH_TOLERANCE = 1e-4  # max |diff| against the single-process layer (fp32 sums in a different order)


@dataclass(frozen=True)
class EPCheckConfig:
    """One check run: the layer, each rank's tokens, and what to add (edge cases, a benchmark)."""
    tokens: int = 256                    # tokens per rank
    d_model: int = 64
    d_ff: int = 128
    experts: int = 8
    top_k: int = 2
    router: str = "topk_softmax"
    capacity_factor: float | None = None  # None = dropless
    drop_policy: str = "position"
    hot_expert_bias: float = 0.0         # added to expert 0's logit (router.logit_bias): skews the load
    router_scale: float | None = None    # router weight std router_scale / sqrt(d_model); None: MoELayer's init
    num_groups: int = 1                  # sigmoid_group_limited only
    topk_groups: int = 1                 # sigmoid_group_limited only
    empty_rank: int = -1                 # this rank brings no tokens (an edge case)
    seed: int = 0
    bench: int = 0                       # also time this many forward+backward steps
    fail_rank: int = -1                  # tests: this rank raises before any communication

    def router_config(self) -> RouterConfig:
        groups = dict(num_groups=self.num_groups, topk_groups=self.topk_groups) \
            if self.router == "sigmoid_group_limited" else {}
        return RouterConfig(self.router, **groups)


def make_layer(config: EPCheckConfig, device) -> MoELayer:
    """The layer every rank builds (same seed, same weights).

    router_scale and hot_expert_bias set the router as the sandbox's simulate() does: logits of std ~router_scale,
    and hot_expert_bias added to expert 0's logit.
    """
    torch.manual_seed(config.seed)
    layer = MoELayer(config.d_model, config.d_ff, config.experts, config.top_k, router=config.router_config(),
                     capacity_factor=config.capacity_factor, drop_policy=config.drop_policy)
    if config.router_scale is not None:
        check_float("router_scale", config.router_scale, 0)
        with torch.no_grad():
            layer.router.weight.normal_(0.0, config.router_scale / config.d_model ** 0.5)
    if config.hot_expert_bias:
        layer.router.logit_bias = hot_expert_logit_bias(config.experts, config.hot_expert_bias)
    return layer.to(device)


def make_inputs(config: EPCheckConfig, world_size: int, device) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
    """Every rank's tokens, token ids and output-gradient directions, from the seed."""
    check_int("tokens", config.tokens, 0)
    generator = torch.Generator().manual_seed(config.seed + 1)
    counts = [0 if rank == config.empty_rank else config.tokens for rank in range(world_size)]
    xs = [torch.randn(n, config.d_model, generator=generator) for n in counts]
    ids = [torch.randint(0, 50_000, (n,), generator=generator) for n in counts]
    gs = [torch.randn(n, config.d_model, generator=generator) for n in counts]
    return [x.to(device) for x in xs], [i.to(device) for i in ids], [g.to(device) for g in gs]


def _loss(y: Tensor, info: MoEInfo, direction: Tensor) -> Tensor:
    return (y * direction).sum() + 1e-2 * info.aux_loss + 1e-3 * info.z_loss


def reference_grads(layer: MoELayer, xs, ids, gs, rank: int) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    """The full layer on this rank's tokens: (output, input gradient, {name: weight gradient summed over every rank's
    loss}), which is what the expert-parallel gradients add up to."""
    out, _ = layer(xs[rank], ids[rank])
    trained = [(name, p) for name, p in layer.named_parameters() if p.requires_grad]  # hash: frozen router
    grads = {name: torch.zeros_like(p) for name, p in layer.named_parameters()}
    x_ref = xs[rank].clone().requires_grad_()
    input_grad = None
    for source in range(len(xs)):
        x_source = x_ref if source == rank else xs[source]
        y, info = layer(x_source, ids[source])
        found = torch.autograd.grad(_loss(y, info, gs[source]), [x_ref] * (source == rank) + [p for _, p in trained],
                                    allow_unused=True)
        if source == rank:
            input_grad, found = found[0], found[1:]
        for (name, _), grad in zip(trained, found):
            if grad is not None:
                grads[name] += grad
    return out.detach(), input_grad, grads


def _weight_grad_diff(ep: ExpertParallelMoE, expected: dict[str, Tensor]) -> float:
    """Worst |EP grad - reference grad|: local experts against their block, replicated weights after an all-reduce."""
    first, count = ep.local_expert_ids[0], len(ep.local_expert_ids)
    worst = 0.0
    for name, param in ep.named_parameters():
        grad = param.grad if param.grad is not None else torch.zeros_like(param)
        if name.startswith("experts.local."):
            want = expected["experts." + name.removeprefix("experts.local.")][first:first + count]
        else:  # replicated: the sum over ranks is the data-parallel all-reduce
            grad = grad.clone()
            dist.all_reduce(grad, group=ep.group)
            want = expected[name]
        worst = max(worst, float((grad - want).abs().max()) if grad.numel() else 0.0)
    return worst


def _device(group) -> torch.device:
    if dist.get_backend(group) == "nccl":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def run_check(config: EPCheckConfig, group=None) -> dict:
    """One rank's run: EP forward/backward vs the full layer on this rank's tokens; traffic and timings."""
    rank, world_size = dist.get_rank(group), dist.get_world_size(group)
    device = _device(group)
    if rank == config.fail_rank:
        raise RuntimeError(f"rank {rank} failed on purpose (--fail-rank)")
    xs, token_ids, gs = make_inputs(config, world_size, device)
    ids = token_ids if config.router == "hash" else [None] * world_size
    ref_out, ref_input_grad, ref_grads = reference_grads(make_layer(config, device), xs, ids, gs, rank)

    ep = ExpertParallelMoE(make_layer(config, device), group)
    x = xs[rank].clone().requires_grad_()
    start = time.perf_counter()
    y, info = ep(x, ids[rank])
    _loss(y, info, gs[rank]).backward()
    step_seconds = time.perf_counter() - start

    diffs = {"output": float((y.detach() - ref_out).abs().max()) if y.numel() else 0.0,
             "input_grad": float((x.grad - ref_input_grad).abs().max()) if x.numel() else 0.0,
             "weight_grads": _weight_grad_diff(ep, ref_grads)}
    result = {"rank": rank, "world_size": world_size, "backend": dist.get_backend(group),
              "local_experts": ep.local_expert_ids, "tokens": config.tokens,
              "tokens_sent": info.tokens_sent, "tokens_received": info.tokens_received,
              "tokens_per_expert": info.tokens_per_expert.tolist(), "dropped_slots": info.dropped_tokens,
              "capacity": info.capacity, "max_abs_diff": diffs, "aux_loss": float(info.aux_loss.detach()),
              "step_seconds": step_seconds, "comm_seconds": info.comm_seconds,
              "compute_seconds": info.compute_seconds}
    if config.bench:
        result["bench"] = run_bench(ep, xs[rank], ids[rank], gs[rank], config.bench)
    return result


def run_bench(ep: ExpertParallelMoE, x: Tensor, token_ids: Tensor | None, direction: Tensor, steps: int) -> dict:
    """Forward+backward steps: wall time, and the share spent in communication (the all-to-alls and counts)."""
    comm = compute = 0.0
    dist.barrier(group=ep.group)
    start = time.perf_counter()
    for _ in range(steps):
        y, info = ep(x.detach().requires_grad_(), token_ids)
        _loss(y, info, direction).backward()
        comm, compute = comm + info.comm_seconds, compute + info.compute_seconds
    dist.barrier(group=ep.group)
    seconds = time.perf_counter() - start
    return {"steps": steps, "seconds": seconds, "tokens_per_second": steps * x.shape[0] / seconds,
            "forward_comm_share": comm / seconds, "forward_compute_share": compute / seconds}


def format_report(results: list[dict]) -> str:
    """Every rank's result (rank order) as the tables the tool prints: traffic and check, timings, bench."""
    first = results[0]
    lines = [f"expert parallelism: world_size={len(results)} backend={first['backend']} tokens/rank={first['tokens']}",
             "rank | experts      | sent to ranks             | received from ranks       | dropped | "
             "max|diff| out / dx / dW"]
    for r in results:
        d = r["max_abs_diff"]
        lines.append(f"{r['rank']:>4} | {str(r['local_experts']):<12} | {str(r['tokens_sent']):<25} | "
                     f"{str(r['tokens_received']):<25} | {r['dropped_slots']:>7} | "
                     f"{d['output']:.1e} / {d['input_grad']:.1e} / {d['weight_grads']:.1e}")
    worst = max(max(r["max_abs_diff"].values()) for r in results)
    lines.append(f"check against the single-process layer: {'OK' if worst < MATCH_TOLERANCE else 'MISMATCH'} "
                 f"(max |diff| {worst:.2e})")
    lines.append("rank | step ms | all-to-all ms | experts ms")
    for r in results:
        lines.append(f"{r['rank']:>4} | {1e3 * r['step_seconds']:7.1f} | {1e3 * r['comm_seconds']:13.2f} | "
                     f"{1e3 * r['compute_seconds']:10.2f}")
    if "bench" in first:
        total = sum(r["bench"]["tokens_per_second"] for r in results)
        share = max(r["bench"]["forward_comm_share"] for r in results)
        lines.append(f"bench: {first['bench']['steps']} fwd+bwd steps, {total:,.0f} tokens/s over {len(results)} "
                     f"ranks, forward all-to-all share of wall time up to {share:.0%}")
    return "\n".join(lines)
