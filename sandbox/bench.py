"""python -m sandbox.bench: simulate at 16,384 tokens x 64 experts and 200 training steps (the page rerun's benchmark
is tests/sandbox/bench_page.py, as it drives the app through AppTest)."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

from sandbox.simulate import simulate
from sandbox.train import train


def timed(function, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def parse_args(argv, description: str) -> argparse.Namespace:
    """--repeats and --threads; sets torch's thread count and prints it with the versions."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the app runs on 2 cores)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} cores visible")
    return args


def bench_simulate(repeats: int) -> list[float]:
    settings = dict(num_tokens=16_384, num_experts=64, top_k=2, d_model=64, capacity_factor=1.25, ep_size=8)
    simulate(**settings)  # warm-up: first-call allocations
    return timed(lambda: simulate(**settings), repeats)


def main(argv=None) -> int:
    args = parse_args(argv, __doc__)
    sim = bench_simulate(args.repeats)
    print(f"simulate T=16384 E=64 k=2: median {1e3 * statistics.median(sim):.1f} ms "
          f"(min {1e3 * min(sim):.1f}, {len(sim)} repeats; budget < 100 ms)")
    cold = timed(lambda: train("aux", steps=200, seed=0), 1)[0]
    warm = timed(lambda: train("aux", steps=200, seed=1), 3)
    print(f"train 200 steps (E=8, k=2, d=16, batch 256): first {cold:.2f} s, then median "
          f"{statistics.median(warm):.2f} s (budget < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
