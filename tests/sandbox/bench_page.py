"""python -m tests.sandbox.bench_page: the first run and reruns of the Sandbox page after a setting change (AppTest),
at the default size and at 16,384 tokens x 64 experts.

Not a test (pytest collects test_*.py only): a benchmark on the tests' one AppTest factory. A rerun with a new seed
misses the simulation cache, so simulate runs again and every chart is rebuilt.
"""
from __future__ import annotations

import statistics
import sys

from questions.ui.routes import SANDBOX
from sandbox.bench import parse_args, timed
from tests.helpers.apptest import app_test, run_ok

LARGE = {"sb.tokens": "16384", "sb.experts": "64", "sb.ep": "8"}


def bench_page(repeats: int, **params) -> tuple[float, list[float]]:
    """The first page run (imports, bank) and reruns of the sandbox page with a changed setting (cache miss)."""
    at = app_test(lang="en", **params)
    at.run()
    at.switch_page(SANDBOX.path)
    first = timed(at.run, 1)[0]
    seeds = iter(range(1, 10_000))

    def rerun():  # a new seed: simulate runs again (no cache hit), every chart is rebuilt
        at.number_input(key="sb.seed").set_value(next(seeds))
        run_ok(at)
    return first, timed(rerun, repeats)


def main(argv=None) -> int:
    args = parse_args(argv, __doc__)
    for name, params, budget in (("default (4,096 tokens x 8 experts)", {}, 500),
                                 ("16,384 tokens x 64 experts", LARGE, 300)):
        first, reruns = bench_page(max(5, args.repeats // 2), **params)
        print(f"{name}: page first run {1e3 * first:.0f} ms; rerun after a setting change: "
              f"median {1e3 * statistics.median(reruns):.0f} ms "
              f"(min {1e3 * min(reruns):.0f}, {len(reruns)} reruns; budget < {budget} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
