"""python -m sandbox.bench: simulate at 16,384 tokens x 64 experts, a sandbox page rerun, and 200 training steps."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from questions.ui.routes import SANDBOX
from sandbox.simulate import simulate
from sandbox.train import train

APP = Path(__file__).resolve().parent.parent / "app.py"


def timed(function, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def bench_simulate(repeats: int) -> list[float]:
    settings = dict(num_tokens=16_384, num_experts=64, top_k=2, d_model=64, capacity_factor=1.25, ep_size=8)
    simulate(**settings)  # warm-up: first-call allocations
    return timed(lambda: simulate(**settings), repeats)


def bench_page(repeats: int) -> tuple[float, list[float]]:
    """The first page run (imports, bank) and reruns of the sandbox page with a changed setting (cache miss)."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page(SANDBOX.path)
    first = timed(at.run, 1)[0]
    seeds = iter(range(1, 10_000))

    def rerun():  # a new seed: simulate runs again (no cache hit), every chart is rebuilt
        at.number_input(key="sb.seed").set_value(next(seeds))
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return first, timed(rerun, repeats)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target machine has 2 cores)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} cores visible")

    sim = bench_simulate(args.repeats)
    print(f"simulate T=16384 E=64 k=2: median {1e3 * statistics.median(sim):.1f} ms "
          f"(min {1e3 * min(sim):.1f}, {len(sim)} repeats; target < 100 ms)")

    first, reruns = bench_page(max(5, args.repeats // 2))
    print(f"page first run {1e3 * first:.0f} ms; rerun with a new seed: "
          f"median {1e3 * statistics.median(reruns):.0f} ms "
          f"(min {1e3 * min(reruns):.0f}, {len(reruns)} reruns; target < 500 ms)")

    cold = timed(lambda: train("aux", steps=200, seed=0), 1)[0]
    warm = timed(lambda: train("aux", steps=200, seed=1), 3)
    print(f"train 200 steps (E=8, k=2, d=16, batch 256): first {cold:.2f} s, then median "
          f"{statistics.median(warm):.2f} s (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
