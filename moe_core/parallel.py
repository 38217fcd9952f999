"""Expert parallelism over torch.distributed: an experts module that swaps in (all-to-all, local experts, all-to-all).

As in torchtitan, expert parallelism changes only the experts: ExpertParallelExperts(experts, group) holds this rank's
block of experts (create_expert_groups) and has the interface of Experts, forward(x_sorted, tokens_per_expert):
  1. exchange the per-expert counts with all_to_all_single on the [world, n_local] matrix;
  2. all_to_all_single the tokens (already sorted by expert = by destination rank) with uneven splits (autograd flows);
  3. reorder the received chunks from rank-major to expert-major and run the local experts;
  4. undo the reorder and all_to_all back to the source ranks (the combine is a second all-to-all, not an all-gather).
ExpertParallelMoE(layer, group) is a new MoELayer that shares the caller's router and shared experts and uses that
experts module; the caller's layer is left as it was and still computes on its own. Routing and capacity run on each
rank's own tokens, exactly as layer(x_local) would (capacity is per source rank). gloo on CPU, NCCL on CUDA (one GPU
per rank). The command-line check is moe_core.ep_tool; its library functions are in moe_core.ep_check.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from .capacity import DROP_POLICIES
from .dispatch import ACTIVATIONS
from .experts import Experts
from .grouping import create_expert_groups
from .layer import Dispatch, MoEInfo, MoELayer
from .routers import ROUTERS


@dataclass
class EPInfo(MoEInfo):
    """MoEInfo of this rank's tokens plus the traffic and the time split of the expert-parallel step."""
    tokens_sent: list[int]       # [world] token slots this rank sent to each rank (itself included)
    tokens_received: list[int]   # [world] token slots this rank received from each rank
    comm_seconds: float          # wall time in the count exchange and both all-to-alls
    compute_seconds: float       # wall time in this rank's experts


@dataclass
class EPStep:
    """The traffic and time split of one ExpertParallelExperts call."""
    tokens_sent: list[int]
    tokens_received: list[int]
    comm_seconds: float
    compute_seconds: float


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


def _clock(x: Tensor) -> float:
    """Wall time once x's device has finished its queued work (CUDA runs asynchronously)."""
    if x.is_cuda:
        torch.cuda.synchronize(x.device)
    return time.perf_counter()


class ExpertParallelExperts(nn.Module):
    """`experts` spread over the ranks of `group` (default: the world): this rank keeps a copy of its block.

    forward(x_sorted [N, d], tokens_per_expert [E]) -> [N, d] equals experts(x_sorted, tokens_per_expert) for this
    rank's rows; every rank of the group must call it together. `last_step` holds the traffic and timings of the
    latest call. `experts` itself is not changed.
    """

    def __init__(self, experts: Experts, group=None):
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("expert parallelism needs torch.distributed initialised (torchrun, or "
                               "init_process_group)")
        self.group = group
        self.world_size, self.rank = dist.get_world_size(group), dist.get_rank(group)
        self.num_experts = experts.w1.shape[0]
        self.expert_groups = create_expert_groups(self.num_experts, self.world_size)
        self.local_expert_ids = self.expert_groups[self.rank]
        self.experts_per_rank = [len(g) for g in self.expert_groups]
        first, count = self.local_expert_ids[0], len(self.local_expert_ids)
        _, d_model, d_ff = experts.w1.shape
        self.local = Experts(count, d_model, d_ff, experts.activation).to(experts.w1)
        with torch.no_grad():
            for name in ("w1", "w2", "w3"):
                full = getattr(experts, name)
                if full is not None:
                    getattr(self.local, name).copy_(full[first:first + count])
        self.last_step: EPStep | None = None

    def _exchange_counts(self, send_counts: Tensor) -> Tensor:
        """My count for each expert [E] -> the counts every rank sends to my experts [world, n_local]."""
        n_local = len(self.local_expert_ids)
        recv_counts = send_counts.new_empty(self.world_size * n_local)
        dist.all_to_all_single(recv_counts, send_counts, [n_local] * self.world_size, self.experts_per_rank,
                               group=self.group)
        return recv_counts.view(self.world_size, n_local)

    def announce_failure(self) -> None:
        """Join the count exchange with -1s: this rank cannot dispatch, so its peers raise instead of hanging."""
        self._exchange_counts(torch.full((self.num_experts,), -1, dtype=torch.long, device=self.local.w1.device))

    def forward(self, x_sorted: Tensor, tokens_per_expert: Tensor) -> Tensor:
        start = _clock(x_sorted)
        recv_counts = self._exchange_counts(tokens_per_expert.to(torch.long))       # [world, n_local]
        failed_ranks = (recv_counts < 0).any(1).nonzero().flatten().tolist()
        if failed_ranks:
            raise ValueError(f"rank(s) {failed_ranks} could not dispatch their tokens (their own error says why); "
                             f"no tokens were exchanged")
        # the splits go to the host: all_to_all_single takes Python ints
        input_splits = [int(c.sum()) for c in tokens_per_expert.split(self.experts_per_rank)]
        output_splits = recv_counts.sum(1).tolist()
        x_recv = _AllToAll.apply(x_sorted, output_splits, input_splits, self.group)  # [M, d] rank-major
        comm = _clock(x_sorted) - start

        # rank-major (source, expert) chunks -> expert-major, so each local expert's rows are contiguous
        local_ids = torch.arange(len(self.local_expert_ids), device=x_recv.device).repeat(self.world_size)
        row_expert = local_ids.repeat_interleave(recv_counts.flatten())              # [M]
        expert_major = torch.argsort(row_expert, stable=True)
        start = _clock(x_sorted)
        y_local = self.local(x_recv.index_select(0, expert_major), recv_counts.sum(0))
        compute = _clock(x_sorted) - start
        y_rank_major = torch.empty_like(y_local).index_copy(0, expert_major, y_local)

        start = _clock(x_sorted)
        y_sorted = _AllToAll.apply(y_rank_major, input_splits, output_splits, self.group)  # [N, d] back home
        comm += _clock(x_sorted) - start
        self.last_step = EPStep(input_splits, output_splits, comm, compute)
        return y_sorted


def layer_fingerprint(layer: MoELayer) -> list[float]:
    """Numbers that differ when two ranks hold different layer configurations, weights or buffers."""
    config = layer.router_config
    checksum, weighted = 0.0, 0.0
    with torch.no_grad():
        for tensor in itertools.chain(layer.parameters(), layer.buffers()):
            flat = tensor.detach().double().flatten()
            checksum += float(flat.sum())
            weighted += float((flat * torch.linspace(0.5, 1.5, flat.numel(), dtype=torch.float64,
                                                     device=flat.device)).sum())
    return [layer.d_model, layer.experts.w1.shape[2], layer.num_experts, layer.top_k,
            list(ROUTERS).index(config.kind), config.renormalize, config.num_groups, config.topk_groups,
            config.routed_scaling_factor, -1.0 if layer.capacity_factor is None else layer.capacity_factor,
            DROP_POLICIES.index(layer.drop_policy), ACTIVATIONS.index(layer.experts.activation),
            0 if layer.shared_experts is None else layer.shared_experts.w1.shape[2], layer.shared_gate is not None,
            checksum, weighted]


FINGERPRINT_FIELDS = ("d_model", "d_ff", "num_experts", "top_k", "router", "renormalize", "num_groups",
                      "topk_groups", "routed_scaling_factor", "capacity_factor", "drop_policy", "activation",
                      "shared_width", "shared_expert_gate", "weight checksum", "weight checksum")


def check_ranks_agree(layer: MoELayer, group=None) -> None:
    """All ranks must hold the same layer, and world_size <= num_experts on every rank.

    One all_gather of a small fingerprint, then every rank checks every rank's entry, so all of them raise the same
    error instead of some entering a later all-to-all and hanging.
    """
    world_size = dist.get_world_size(group)
    mine = torch.tensor(layer_fingerprint(layer), dtype=torch.float64, device=layer.experts.w1.device)
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


class ExpertParallelMoE(MoELayer):
    """layer(x_local) computed with the experts spread over the ranks of `group` (default: the world).

    A new layer: it shares `layer`'s router and shared experts (the same modules and parameters, replicated on every
    rank) and uses an ExpertParallelExperts built from `layer.experts`; `layer` is not changed. Equal to the full
    layer on this rank's tokens: the output, the input gradient and, summed over ranks, every weight's gradient
    (all-reduce the replicated ones as in data parallelism; each expert's gradient lives on its owner rank, in
    `experts.local`). forward returns an EPInfo.
    """

    def __init__(self, layer: MoELayer, group=None):
        nn.Module.__init__(self)  # not MoELayer.__init__: every module comes from `layer`, none is built anew
        if not dist.is_initialized():
            raise RuntimeError("ExpertParallelMoE needs torch.distributed initialised (torchrun, or init_process_group)")
        check_ranks_agree(layer, group)
        self.d_model, self.num_experts, self.top_k = layer.d_model, layer.num_experts, layer.top_k
        self.capacity_factor, self.drop_policy = layer.capacity_factor, layer.drop_policy
        self.router = layer.router
        self.experts = ExpertParallelExperts(layer.experts, group)
        self.shared_experts = layer.shared_experts
        self.shared_gate = layer.shared_gate
        self.group = group

    @property
    def local_expert_ids(self) -> list[int]:
        return self.experts.local_expert_ids

    def dispatch(self, x: Tensor, token_ids: Tensor | None = None) -> Dispatch:
        """MoELayer.dispatch; if it fails here, the peers learn of it in the count exchange instead of hanging."""
        try:
            return super().dispatch(x, token_ids)
        except Exception:
            self.experts.announce_failure()
            raise

    def forward(self, x: Tensor, token_ids: Tensor | None = None) -> tuple[Tensor, EPInfo]:
        out, info = super().forward(x, token_ids)
        step = self.experts.last_step
        return out, EPInfo(**vars(info), tokens_sent=step.tokens_sent, tokens_received=step.tokens_received,
                           comm_seconds=step.comm_seconds, compute_seconds=step.compute_seconds)
