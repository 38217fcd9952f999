"""python -m sandbox.scale_bench: the datacenter-scale calculator's time per model (estimate + the tab's tables),
beside the sandbox's cheapest live computation (simulate at 256 tokens x 8 experts) measured in the same run."""
from __future__ import annotations

import statistics
import sys

from sandbox.bench import parse_args, timed
from sandbox.scale import MODELS, estimate, suggested_cluster
from sandbox.scale_tables import memory_rows, parameter_rows, traffic_rows
from sandbox.simulate import simulate

BUDGET_MS = 50.0


def calculator_view(model_id: str) -> None:
    """What the tab computes on a rerun: the estimate of a preset on its cluster and every row it prints."""
    model = MODELS[model_id]
    result = estimate(model, suggested_cluster(model))
    parameter_rows(result), memory_rows(result), traffic_rows(result)


def main(argv=None) -> int:
    args = parse_args(argv, __doc__)
    peer_ms = 1e3 * statistics.median(timed(lambda: simulate(num_tokens=256, num_experts=8), args.repeats))
    print(f"peer: simulate 256 tokens x 8 experts, median of {args.repeats}: {peer_ms:.2f} ms")
    print("model              | calculator ms (median) | vs peer | budget")
    for model_id in MODELS:
        ms = 1e3 * statistics.median(timed(lambda: calculator_view(model_id), args.repeats))
        print(f"{model_id:18} | {ms:22.3f} | {ms / peer_ms:7.4f}x | {'ok' if ms < BUDGET_MS else 'OVER'} "
              f"(< {BUDGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
