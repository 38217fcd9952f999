"""Benchmark (not a test): the time of one exercise run through `questions.exercises.run`, warm worker against a cold
process, with `python -c "import torch"` measured in the same run as the peer.

Run from the repository root: .venv/bin/python -m tests.questions.exercises.bench_runs [--runs 15] [--cold-runs 5]
    [--slug topk-router] [--isolation bubblewrap|limits-only]
Prints p50 / p90 of each and the ratios; the target is a warm p50 of at most 1 s on 2 cores. The solution is the
exercise's reference (with moe_core), so every run imports torch and passes every test.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from questions.exercises import default_isolation, get_exercise, run


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """(p50, p90) by the nearest-rank method."""
    ordered = sorted(seconds)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.9 * len(ordered) + 0.5) - 1)]


def timed_runs(slug: str, count: int, engine: str, isolation: str) -> list[float]:
    exercise, seconds = get_exercise(slug), []
    for _ in range(count):
        started = time.perf_counter()
        result = run(slug, exercise.reference, allow_moe_core=True, engine=engine, isolation=isolation)
        seconds.append(time.perf_counter() - started)
        if result["status"] != "pass":
            raise SystemExit(f"{engine} run did not pass: {result['verdict']}: {result['message']}")
    return seconds


def import_torch(count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="warm runs (after one that starts the worker)")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--slug", default="topk-router")
    parser.add_argument("--isolation", default=None, help=f"default: {default_isolation()} on this machine")
    args = parser.parse_args()
    isolation = args.isolation or default_isolation()
    started = time.perf_counter()
    timed_runs(args.slug, 1, "warm", isolation)  # starts the worker: torch and pytest are imported once
    first = time.perf_counter() - started
    warm = timed_runs(args.slug, args.runs, "warm", isolation)
    cold = timed_runs(args.slug, args.cold_runs, "cold", isolation)
    torch_import = import_torch(args.cold_runs)
    rows = {"warm (fork of the worker)": warm, "cold (a fresh process)": cold, 'python -c "import torch"': torch_import}
    print(f"exercise {args.slug}, isolation {isolation}, reference solution (imports torch, all tests pass)")
    print(f"first warm run, starting the worker: {first:.2f} s")
    for name, seconds in rows.items():
        p50, p90 = percentiles(seconds)
        print(f"{name:28} n={len(seconds):3}  p50 {p50:6.3f} s  p90 {p90:6.3f} s")
    print(f"cold / warm p50: {statistics.median(cold) / statistics.median(warm):.1f}x;  "
          f"import torch / warm p50: {statistics.median(torch_import) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    main()
