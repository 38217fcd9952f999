"""python -m tests.sandbox.bench_training: the Sandbox page's live training of the default comparison, driven in
Chromium on `streamlit run` (Play until the last step is drawn), against `compare()` with the same settings, in one
run; prints the ratios.

Two figures: the server's CPU time from Play to the end (training, redraws, messages: what the page costs) and the
wall time (on a small machine the browser's redraws compete with the training for the same cores). Not a test
(pytest collects test_*.py only). Both are warmed up first (torch's first calls); compare() runs in this process
before and after each page run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from questions.ui.i18n import t
from sandbox.settings import train_settings_from_state
from sandbox.train import compare
from tests.helpers.browser import READY, chromium, running_app
from tests.helpers.server import cpu_seconds

TIMEOUT_MS = 600_000


def page_training(browser, server: dict, steps: int, methods: int) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) from the click on Play to the last step's curves on the page (1400 px wide,
    English)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server['url']}/sandbox?lang=en")
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    page.get_by_role("tab", name=t("sandbox.section.train", "en")).click()

    def status(step: int):
        return page.get_by_text(t("sandbox.live.status", "en", step=step, total=steps, methods=methods))
    page.get_by_role("button", name=t("sandbox.live.step", "en", n=10)).click()  # warm-up: torch's first calls
    status(10).wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name=t("sandbox.live.reset", "en")).click()
    status(0).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    start, start_cpu = time.perf_counter(), cpu_seconds(server["pid"])
    page.get_by_role("button", name=t("sandbox.live.play", "en")).click()
    status(steps).wait_for(timeout=TIMEOUT_MS)
    wall, cpu = time.perf_counter() - start, cpu_seconds(server["pid"]) - start_cpu
    page.close()
    return wall, cpu


def compare_seconds(balances: list[str], kwargs: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of compare()."""
    start, start_cpu = time.perf_counter(), time.process_time()
    compare(balances, **kwargs)
    return time.perf_counter() - start, time.process_time() - start_cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="page runs (compare() runs one more)")
    args = parser.parse_args(argv)
    balances, kwargs = train_settings_from_state({}, seed=0)  # the page's default comparison
    compare(balances, **{**kwargs, "steps": 10})              # warm-up
    plain = [compare_seconds(balances, kwargs)]
    on_page = []
    with tempfile.TemporaryDirectory() as directory, running_app(Path(directory)) as server, \
            chromium() as browser:
        for _ in range(args.repeats):
            on_page.append(page_training(browser, server, kwargs["steps"], len(balances)))
            plain.append(compare_seconds(balances, kwargs))
    print(f"{len(balances)} methods x {kwargs['steps']} steps (page: median of {len(on_page)}; compare(): median of "
          f"{len(plain)}); target <= 1.5x")
    for index, name in enumerate(("server CPU", "wall")):
        page_s, plain_s = (statistics.median(run[index] for run in runs) for runs in (on_page, plain))
        print(f"  {name:10}: page {page_s:.2f} s, compare() {plain_s:.2f} s, ratio {page_s / plain_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
