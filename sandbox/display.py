"""What the sandbox page shows, as plain values: metric texts, experts per rank, training summaries, EP rank rows."""
from __future__ import annotations

import statistics
from collections.abc import Sequence

METRICS = ("capacity", "dropped", "aux", "z", "cv", "max_mean", "entropy", "remote")  # the page's order, 4 per row
SUMMARY_STEPS = 20  # the "end" of a training curve: the mean over its last steps
EP_COLUMNS = ("rank", "experts", "sent", "received", "step_ms", "comm_ms", "compute_ms")


# how each metric is written, and its change B - A
FORMATS = {"capacity": "{:d}", "dropped": "{:,}", "aux": "{:.3f}", "z": "{:.2f}", "cv": "{:.2f}", "max_mean": "{:.2f}",
           "entropy": "{:.2f}", "remote": "{:,}"}


def metric_numbers(result) -> dict[str, float | None]:
    """The metrics of a SimulationResult as numbers, in METRICS order; capacity None when dropless."""
    return {"capacity": result.capacity, "dropped": result.dropped_tokens, "aux": result.aux_loss,
            "z": result.z_loss, "cv": result.load_cv, "max_mean": result.max_mean_load, "entropy": result.entropy,
            "remote": result.remote_slots}


def metric_text(name: str, value: float | None) -> str:
    """One metric as shown: ∞ for an unlimited capacity."""
    return "∞" if value is None else FORMATS[name].format(value)


def metric_texts(result) -> dict[str, str]:
    """The metric values of a SimulationResult as shown, short enough for four metrics in a row."""
    return {name: metric_text(name, value) for name, value in metric_numbers(result).items()}


def metric_notes(result) -> dict[str, dict]:
    """Context printed under a metric, as format values of its text (sandbox.note.<name>): the dropped slots' share
    of all slots, the entropy's maximum log E."""
    notes = {"entropy": {"max": f"{result.max_entropy:.2f}"}}
    if result.dropped_tokens:
        notes["dropped"] = {"share": f"{result.drop_rate:.1%}"}
    return notes


def metric_delta(name: str, a: float | None, b: float | None) -> str:
    """B - A with its sign, "0" when equal; "∞" when one capacity is unlimited and the other is not."""
    if a is None or b is None:
        return "0" if a == b else "∞"
    if b == a:
        return "0"
    return FORMATS[name].replace("{:", "{:+").format(b - a)


def comparison_rows(result_a, result_b) -> list[dict]:
    """One row per metric (METRICS order): {"metric", "a", "b", "delta"} texts, delta = B - A."""
    a, b = metric_numbers(result_a), metric_numbers(result_b)
    return [{"metric": name, "a": metric_text(name, a[name]), "b": metric_text(name, b[name]),
             "delta": metric_delta(name, a[name], b[name])} for name in METRICS]


def expert_span(group: Sequence[int]) -> str:
    """The experts of one rank: "E4–E7" for a block, "E4" for one expert."""
    return f"E{group[0]}–E{group[-1]}" if len(group) > 1 else f"E{group[0]}"


def experts_per_rank(expert_groups: Sequence[Sequence[int]]) -> str:
    """"0: E0–E1 · 1: E2–E3": the experts each rank holds."""
    return " · ".join(f"{rank}: {expert_span(group)}" for rank, group in enumerate(expert_groups))


def training_status(run, history: dict) -> dict:
    """Where a TrainingRun stands by a snapshot of its curves: {"step", "total", "methods"}."""
    return {"step": min((result.steps_run for result in history.values()), default=0), "total": run.steps,
            "methods": len(history)}


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
