"""Expert parallelism over torch.distributed: all-to-all dispatch and combine around this rank's experts.

Every rank holds the same full MoELayer; ExpertParallelMoE keeps the router (replicated) and this rank's block of
experts (create_expert_groups). A forward pass on this rank's tokens x_local:
  1. route and apply capacity locally, exactly as layer(x_local) would (capacity is per source rank);
  2. permute the kept slots by expert (expert order = destination-rank order, since groups are contiguous);
  3. exchange the per-expert counts with all_to_all_single on the [world, n_local] matrix;
  4. all_to_all_single the tokens with uneven splits (autograd flows through it);
  5. reorder the received chunks from rank-major to expert-major and run the local experts;
  6. undo the reorder, all_to_all back to the source ranks (the combine is a second all-to-all, not an all-gather),
     weight the outputs and index_add_ them onto their tokens.
gloo on CPU, NCCL on CUDA (one GPU per rank). Run it with torchrun:

    torchrun --nproc-per-node 4 -m moe_core.parallel --experts 8 --top-k 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from .dispatch import ACTIVATIONS, permute
from .experts import Experts
from .grouping import create_expert_groups
from .layer import MoEInfo, MoELayer
from .capacity import DROP_POLICIES
from .routing import ROUTERS


@dataclass
class EPInfo(MoEInfo):
    """MoEInfo of this rank's tokens plus the traffic and the time split of the expert-parallel step."""
    tokens_sent: list[int]       # [world] token slots this rank sent to each rank (itself included)
    tokens_received: list[int]   # [world] token slots this rank received from each rank
    comm_seconds: float          # wall time in the count exchange and both all-to-alls
    compute_seconds: float       # wall time in this rank's experts


class _AllToAll(torch.autograd.Function):
    """all_to_all_single with uneven splits; its backward is the all-to-all with the splits swapped."""

    @staticmethod
    def forward(ctx, x: Tensor, output_splits: list[int], input_splits: list[int], group) -> Tensor:
        ctx.splits, ctx.group = (output_splits, input_splits), group
        out = x.new_empty(sum(output_splits), *x.shape[1:])
        dist.all_to_all_single(out, x.contiguous(), output_splits, input_splits, group=group)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        output_splits, input_splits = ctx.splits
        grad_input = grad.new_empty(sum(input_splits), *grad.shape[1:])
        dist.all_to_all_single(grad_input, grad.contiguous(), input_splits, output_splits, group=ctx.group)
        return grad_input, None, None, None


def layer_fingerprint(layer: MoELayer) -> list[float]:
    """Numbers that differ when two ranks hold different layer configurations or weights."""
    router_names = list(ROUTERS)
    router_name = next(name for name, cls in ROUTERS.items() if type(layer.router) is cls)
    checksum, weighted = 0.0, 0.0
    with torch.no_grad():
        for param in layer.parameters():
            flat = param.detach().double().flatten()
            checksum += float(flat.sum())
            weighted += float((flat * torch.linspace(0.5, 1.5, flat.numel(), dtype=torch.float64,
                                                     device=flat.device)).sum())
    return [layer.d_model, layer.experts.w1.shape[2], layer.num_experts, layer.top_k,
            router_names.index(router_name), -1.0 if layer.capacity_factor is None else layer.capacity_factor,
            DROP_POLICIES.index(layer.drop_policy), ACTIVATIONS.index(layer.experts.activation),
            0 if layer.shared_experts is None else layer.shared_experts.w1.shape[2], checksum, weighted]


FINGERPRINT_FIELDS = ("d_model", "d_ff", "num_experts", "top_k", "router", "capacity_factor", "drop_policy",
                      "activation", "shared_width", "weight checksum", "weight checksum")


def check_ranks_agree(layer: MoELayer, group=None) -> None:
    """All ranks must hold the same layer, and world_size <= num_experts on every rank.

    One all_gather of a small fingerprint, then every rank checks every rank's entry, so all of them raise the same
    error instead of some entering a later all-to-all and hanging.
    """
    world_size = dist.get_world_size(group)
    device = layer.experts.w1.device
    mine = torch.tensor(layer_fingerprint(layer), dtype=torch.float64, device=device)
    gathered = [torch.empty_like(mine) for _ in range(world_size)]
    dist.all_gather(gathered, mine, group=group)
    reference = gathered[0]
    for rank, other in enumerate(gathered):
        if not torch.equal(other, reference):
            field = FINGERPRINT_FIELDS[int((other != reference).nonzero()[0])]
            raise ValueError(f"rank {rank} holds a different MoELayer than rank 0 ({field} differs): every rank must "
                             f"build the same layer with the same weights (same seed)")
    num_experts = int(reference[2])
    if world_size > num_experts:
        raise ValueError(f"world_size ({world_size}) must be <= num_experts ({num_experts}): every rank needs at least "
                         f"one expert")


class ExpertParallelMoE(nn.Module):
    """layer(x_local) computed with the experts spread over the ranks of `group` (default: the world).

    Equal to the full layer on this rank's tokens: the output, the input gradient and, summed over ranks, every
    weight's gradient (router and shared experts are replicated: all-reduce their gradients as in data parallelism;
    each expert's gradient lives on its owner rank).
    """

    def __init__(self, layer: MoELayer, group=None):
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("ExpertParallelMoE needs torch.distributed initialised (torchrun, or init_process_group)")
        check_ranks_agree(layer, group)
        self.group = group
        self.world_size, self.rank = dist.get_world_size(group), dist.get_rank(group)
        self.layer = layer  # router, shared experts and the routing/capacity logic, replicated
        self.expert_groups = create_expert_groups(layer.num_experts, self.world_size)
        self.local_expert_ids = self.expert_groups[self.rank]
        first, count = self.local_expert_ids[0], len(self.local_expert_ids)
        experts = layer.experts
        self.local_experts = Experts(count, layer.d_model, experts.w1.shape[2], experts.activation).to(experts.w1)
        with torch.no_grad():
            for name in ("w1", "w2", "w3"):
                full = getattr(experts, name)
                if full is not None:
                    getattr(self.local_experts, name).copy_(full[first:first + count])
        layer.experts = None  # this rank keeps only its own experts
        self.experts_per_rank = [len(g) for g in self.expert_groups]

    def _all_to_all(self, x: Tensor, output_splits: list[int], input_splits: list[int]) -> Tensor:
        """Differentiable uneven all-to-all in x's own dtype (gloo and NCCL both move bf16: it is a copy, no sum)."""
        return _AllToAll.apply(x, output_splits, input_splits, self.group)

    def _sync(self, x: Tensor) -> float:
        if x.is_cuda:
            torch.cuda.synchronize(x.device)
        return time.perf_counter()

    def forward(self, x: Tensor, token_ids: Tensor | None = None) -> tuple[Tensor, EPInfo]:
        layer = self.layer
        try:  # bad input on one rank must not leave the others waiting in the all-to-all
            tokens, token_ids = layer.flatten_input(x, token_ids)                   # [T, d]
            routing, keep, capacity = layer.route(tokens, token_ids)
            x_sorted, token_index, slot_index, tokens_per_expert = permute(tokens, routing.indices, keep,
                                                                           layer.num_experts)  # [N, d]
            send_counts, failure = tokens_per_expert.to(torch.long), None          # [E]
        except ValueError as error:
            send_counts, failure = torch.full((layer.num_experts,), -1, device=self.local_experts.w1.device), error
        # counts: what I send to rank r is my count for each of r's experts; I receive [world, n_local] counts.
        # A rank that failed sends -1s, so every rank learns of it here and raises, instead of hanging later.
        start = self._sync(send_counts)
        recv_counts = send_counts.new_empty(self.world_size * len(self.local_expert_ids))
        dist.all_to_all_single(recv_counts, send_counts, [len(self.local_expert_ids)] * self.world_size,
                               self.experts_per_rank, group=self.group)
        recv_counts = recv_counts.view(self.world_size, len(self.local_expert_ids))  # [world, n_local]
        if failure is not None:
            raise failure
        failed_ranks = (recv_counts < 0).any(1).nonzero().flatten().tolist()
        if failed_ranks:
            raise ValueError(f"rank(s) {failed_ranks} could not dispatch their tokens (their own error says why); "
                             f"no tokens were exchanged")
        input_splits = [int(c.sum()) for c in send_counts.split(self.experts_per_rank)]
        output_splits = recv_counts.sum(1).tolist()
        x_recv = self._all_to_all(x_sorted, output_splits, input_splits)            # [M, d] rank-major
        comm = self._sync(tokens) - start

        # rank-major (source, expert) chunks -> expert-major, so each local expert's rows are contiguous
        local_ids = torch.arange(len(self.local_expert_ids), device=x_recv.device).repeat(self.world_size)
        row_expert = local_ids.repeat_interleave(recv_counts.flatten())              # [M]
        expert_major = torch.argsort(row_expert, stable=True)
        start = self._sync(tokens)
        y_local = self.local_experts(x_recv.index_select(0, expert_major), recv_counts.sum(0))
        compute = self._sync(tokens) - start
        y_rank_major = torch.empty_like(y_local).index_copy(0, expert_major, y_local)

        start = self._sync(tokens)
        y_sorted = self._all_to_all(y_rank_major, input_splits, output_splits)      # [N, d] back home
        comm += self._sync(tokens) - start

        out = layer.combine(tokens, y_sorted, token_index, slot_index, routing)
        base = layer.make_info(routing, keep, capacity, tokens_per_expert, x_sorted.shape[0])
        info = EPInfo(**vars(base), tokens_sent=input_splits, tokens_received=output_splits,
                      comm_seconds=comm, compute_seconds=compute)
        return out.reshape(x.shape), info


# ---- the torchrun command: run, check against the full layer, print traffic and timings ---------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchrun --nproc-per-node N -m moe_core.parallel",
                                     description="Expert-parallel MoE layer over torch.distributed: per-rank traffic, "
                                                 "the check against the single-process layer, timings.")
    parser.add_argument("--tokens", type=int, default=256, help="tokens per rank")
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--d-ff", type=int, default=128)
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--router", default="topk_softmax", choices=sorted(ROUTERS))
    parser.add_argument("--capacity-factor", type=float, default=None, help="omit for dropless")
    parser.add_argument("--drop-policy", default="position", choices=DROP_POLICIES)
    parser.add_argument("--hot-expert-bias", type=float, default=0.0,
                        help="add this to expert 0's router logit bias direction (skews the load)")
    parser.add_argument("--num-groups", type=int, default=1, help="sigmoid_group_limited: expert groups")
    parser.add_argument("--topk-groups", type=int, default=1, help="sigmoid_group_limited: groups each token may use")
    parser.add_argument("--empty-rank", type=int, default=-1, help="this rank brings no tokens (an edge case)")
    parser.add_argument("--backend", default="auto", choices=["auto", "gloo", "nccl"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", type=int, default=0, metavar="STEPS",
                        help="also time STEPS forward+backward steps and print tokens/s")
    parser.add_argument("--json", action="store_true", help="print one JSON line per rank instead of tables")
    parser.add_argument("--fail-rank", type=int, default=-1, help=argparse.SUPPRESS)  # tests: this rank raises
    return parser


def _make_layer(args, device) -> MoELayer:
    torch.manual_seed(args.seed)
    router_kwargs = {"num_groups": args.num_groups, "topk_groups": args.topk_groups} \
        if args.router == "sigmoid_group_limited" else None
    layer = MoELayer(args.d_model, args.d_ff, args.experts, args.top_k, router=args.router,
                     capacity_factor=args.capacity_factor, drop_policy=args.drop_policy, router_kwargs=router_kwargs)
    if args.hot_expert_bias:
        with torch.no_grad():  # inputs are made positive, so this tilts every token towards expert 0
            layer.router.weight[0] += args.hot_expert_bias / args.d_model ** 0.5
    return layer.to(device)


def _inputs(args, world_size: int, device) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
    """Every rank's tokens, token ids and output-gradient directions, from the seed, so each rank can build the
    reference."""
    generator = torch.Generator().manual_seed(args.seed + 1)
    counts = [0 if rank == args.empty_rank else args.tokens for rank in range(world_size)]
    xs = [torch.randn(n, args.d_model, generator=generator) for n in counts]
    if args.hot_expert_bias:
        xs = [x.abs() for x in xs]
    ids = [torch.randint(0, 50_000, (n,), generator=generator) for n in counts]
    gs = [torch.randn(n, args.d_model, generator=generator) for n in counts]
    return [x.to(device) for x in xs], [i.to(device) for i in ids], [g.to(device) for g in gs]


def _loss(y: Tensor, info: MoEInfo, direction: Tensor) -> Tensor:
    return (y * direction).sum() + 1e-2 * info.aux_loss + 1e-3 * info.z_loss


def run_check(args, group=None) -> dict:
    """One rank's run: EP forward/backward vs the full layer on this rank's tokens; traffic and timings."""
    rank, world_size = dist.get_rank(group), dist.get_world_size(group)
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if dist.get_backend(group) == "nccl" \
        else torch.device("cpu")
    if rank == args.fail_rank:
        raise RuntimeError(f"rank {rank} failed on purpose (--fail-rank)")
    xs, token_ids, gs = _inputs(args, world_size, device)
    ids = token_ids if args.router == "hash" else [None] * world_size

    reference = _make_layer(args, device)
    ref_out, _ = reference(xs[rank], ids[rank])
    trained = [(name, p) for name, p in reference.named_parameters() if p.requires_grad]  # hash: frozen router
    ref_grads = {name: torch.zeros_like(p) for name, p in reference.named_parameters()}
    x_ref = xs[rank].clone().requires_grad_()
    for source in range(world_size):  # sum over ranks of each rank's loss: what the EP grads add up to
        x_source = x_ref if source == rank else xs[source]
        y, info = reference(x_source, ids[source])
        grads = torch.autograd.grad(_loss(y, info, gs[source]), [x_ref] * (source == rank) + [p for _, p in trained],
                                    allow_unused=True)
        if source == rank:
            ref_input_grad, grads = grads[0], grads[1:]
        for (name, _), grad in zip(trained, grads):
            if grad is not None:
                ref_grads[name] += grad

    ep = ExpertParallelMoE(_make_layer(args, device), group)
    x = xs[rank].clone().requires_grad_()
    start = time.perf_counter()
    y, info = ep(x, ids[rank])
    _loss(y, info, gs[rank]).backward()
    step_seconds = time.perf_counter() - start

    diffs = {"output": float((y.detach() - ref_out.detach()).abs().max()) if y.numel() else 0.0,
             "input_grad": float((x.grad - ref_input_grad).abs().max()) if x.numel() else 0.0}
    first, count = ep.local_expert_ids[0], len(ep.local_expert_ids)
    weight_diff = 0.0
    for name, param in ep.named_parameters():
        grad = param.grad if param.grad is not None else torch.zeros_like(param)
        if name.startswith("local_experts."):
            expected = ref_grads["experts." + name.split(".", 1)[1]][first:first + count]
        else:  # replicated: the sum over ranks is the data-parallel all-reduce
            grad = grad.clone()
            dist.all_reduce(grad, group=group)
            expected = ref_grads[name.split(".", 1)[1]]
        weight_diff = max(weight_diff, float((grad - expected).abs().max()) if grad.numel() else 0.0)
    diffs["weight_grads"] = weight_diff

    result = {"rank": rank, "world_size": world_size, "backend": dist.get_backend(group),
              "local_experts": ep.local_expert_ids, "tokens": args.tokens,
              "tokens_sent": info.tokens_sent, "tokens_received": info.tokens_received,
              "tokens_per_expert": info.tokens_per_expert.tolist(), "dropped_slots": info.dropped_tokens,
              "capacity": info.capacity, "max_abs_diff": diffs, "aux_loss": float(info.aux_loss.detach()),
              "step_seconds": step_seconds, "comm_seconds": info.comm_seconds,
              "compute_seconds": info.compute_seconds}
    if args.bench:
        result["bench"] = _bench(ep, xs[rank], ids[rank], gs[rank], args.bench)
    return result


def _bench(ep: ExpertParallelMoE, x: Tensor, token_ids: Tensor | None, direction: Tensor, steps: int) -> dict:
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


def _print_tables(results: list[dict]) -> None:
    world = len(results)
    first = results[0]
    print(f"expert parallelism: world_size={world} backend={first['backend']} tokens/rank={first['tokens']}")
    print("rank | experts      | sent to ranks             | received from ranks       | dropped | max|diff| out / dx / dW")
    for r in results:
        d = r["max_abs_diff"]
        print(f"{r['rank']:>4} | {str(r['local_experts']):<12} | {str(r['tokens_sent']):<25} | "
              f"{str(r['tokens_received']):<25} | {r['dropped_slots']:>7} | "
              f"{d['output']:.1e} / {d['input_grad']:.1e} / {d['weight_grads']:.1e}")
    worst = max(max(r["max_abs_diff"].values()) for r in results)
    print(f"check against the single-process layer: {'OK' if worst < 1e-4 else 'MISMATCH'} (max |diff| {worst:.2e})")
    print("rank | step ms | all-to-all ms | experts ms")
    for r in results:
        print(f"{r['rank']:>4} | {1e3 * r['step_seconds']:7.1f} | {1e3 * r['comm_seconds']:13.2f} | "
              f"{1e3 * r['compute_seconds']:10.2f}")
    if "bench" in first:
        total = sum(r["bench"]["tokens_per_second"] for r in results)
        share = max(r["bench"]["forward_comm_share"] for r in results)
        print(f"bench: {first['bench']['steps']} fwd+bwd steps, {total:,.0f} tokens/s over {world} ranks, "
              f"forward all-to-all share of wall time up to {share:.0%}")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    backend = args.backend
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= int(
            os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", 1))) else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    if "RANK" not in os.environ:  # plain `python -m moe_core.parallel`: a one-process world
        os.environ.update(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29512")
    dist.init_process_group(backend)
    try:
        try:
            result = run_check(args)
        except Exception as error:  # noqa: BLE001 - report it as this rank's result; the caller sees the message
            print(f"rank {dist.get_rank()}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            if args.json:
                print("EP_RESULT " + json.dumps({"rank": dist.get_rank(), "error": f"{type(error).__name__}: {error}"}),
                      flush=True)
            return 1
        if args.json:
            print("EP_RESULT " + json.dumps(result), flush=True)
            return 0
        gathered = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, result)
        if dist.get_rank() == 0:
            _print_tables(gathered)
        return 0
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
