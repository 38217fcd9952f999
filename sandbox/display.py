"""What the sandbox page shows, as plain values: metric texts, experts per rank, training summaries, EP rank rows."""
from __future__ import annotations

import statistics
from collections.abc import Sequence

METRICS = ("capacity", "dropped", "aux", "z", "cv", "max_mean", "entropy", "remote")  # the page's order, 4 per row
SUMMARY_STEPS = 20  # the "end" of a training curve: the mean over its last steps
EP_COLUMNS = ("rank", "experts", "sent", "received", "step_ms", "comm_ms", "compute_ms")


def metric_texts(result) -> dict[str, str]:
    """The metric values of a SimulationResult as shown: capacity ∞ when dropless, drops with their share."""
    dropped = f"{result.dropped_tokens:,}" + (f" ({result.drop_rate:.1%})" if result.dropped_tokens else "")
    return {"capacity": "∞" if result.capacity is None else str(result.capacity), "dropped": dropped,
            "aux": f"{result.aux_loss:.3f}", "z": f"{result.z_loss:.2f}", "cv": f"{result.load_cv:.2f}",
            "max_mean": f"{result.max_mean_load:.2f}", "entropy": f"{result.entropy:.2f} / {result.max_entropy:.2f}",
            "remote": f"{result.remote_slots:,}"}


def expert_span(group: Sequence[int]) -> str:
    """The experts of one rank: "E4–E7" for a block, "E4" for one expert."""
    return f"E{group[0]}–E{group[-1]}" if len(group) > 1 else f"E{group[0]}"


def experts_per_rank(expert_groups: Sequence[Sequence[int]]) -> str:
    """"0: E0–E1 · 1: E2–E3": the experts each rank holds."""
    return " · ".join(f"{rank}: {expert_span(group)}" for rank, group in enumerate(expert_groups))


def training_summary(result, last: int = SUMMARY_STEPS) -> dict | None:
    """Load CV at the first step and over the last `last` steps, and the final task loss; None before any step."""
    if not result.load_cv:
        return None
    return {"first": result.load_cv[0], "last": statistics.fmean(result.load_cv[-last:]),
            "loss": result.task_loss[-1]}


def ep_rank_rows(ep_result) -> list[dict]:
    """One row per rank of an expert-parallel run (keys EP_COLUMNS): experts held, slots sent / received, timings."""
    return [{"rank": rank["rank"], "experts": str(rank["local_experts"]), "sent": str(rank["tokens_sent"]),
             "received": str(rank["tokens_received"]), "step_ms": round(step, 1), "comm_ms": round(comm, 2),
             "compute_ms": round(compute, 2)}
            for rank, step, comm, compute in zip(ep_result.ranks, ep_result.step_ms, ep_result.comm_ms,
                                                 ep_result.compute_ms)]
