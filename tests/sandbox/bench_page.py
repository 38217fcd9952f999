"""python -m tests.sandbox.bench_page: the first run and reruns of the Sandbox page with a new seed (AppTest).

Not a test (pytest collects test_*.py only): a benchmark on the tests' one AppTest factory.
"""
from __future__ import annotations

import statistics
import sys

from questions.ui.routes import SANDBOX
from sandbox.bench import parse_args, timed
from tests.helpers.apptest import app_test, run_ok


def bench_page(repeats: int) -> tuple[float, list[float]]:
    """The first page run (imports, bank) and reruns of the sandbox page with a changed setting (cache miss)."""
    at = app_test(lang="en")
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
    first, reruns = bench_page(max(5, args.repeats // 2))
    print(f"page first run {1e3 * first:.0f} ms; rerun with a new seed: "
          f"median {1e3 * statistics.median(reruns):.0f} ms "
          f"(min {1e3 * min(reruns):.0f}, {len(reruns)} reruns; budget < 500 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
