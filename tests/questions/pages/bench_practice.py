"""Benchmark (not a test): median Practice rerun time in AppTest with a generated 2,000-question bank.

Run from the repository root: .venv/bin/python -m tests.questions.pages.bench_practice [--questions 2000] [--reruns 30]
Prints the median and p90 of plain reruns, of "Show answer" reruns and of a filtered (search) rerun; the target is
a median under 200 ms. Also prints the bank load time (cold, uncached) and one filter pass.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from questions.bank.schema import TOPICS
from questions.ui.routes import PRACTICE
from tests.helpers.apptest import app_test
from tests.helpers.bank import choice_question, open_question, write_bank


def generated_bank(count: int) -> dict[str, list[dict]]:
    bank: dict[str, list[dict]] = {topic: [] for topic in TOPICS}
    for n in range(count):
        topic = TOPICS[n % len(TOPICS)]
        qid = f"{topic}-generated-{n}"
        if n % 4 == 3:
            bank[topic].append(choice_question(qid, topic, f"Generated choice question {n} about {topic}?",
                                               f"关于{topic}的第 {n} 道选择题？", correct=n % 3))
        else:
            bank[topic].append(open_question(qid, topic, 1 + n % 3, f"Generated question {n}: explain {topic}.",
                                             f"第 {n} 题：解释 {topic}。"))
    return bank


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def summary(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(f"{label:<34} median {statistics.median(samples):7.1f} ms   p90 {p90:7.1f} ms   (n={len(samples)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--reruns", type=int, default=30)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="moe-lab-bench-"))
    bank_dir = write_bank(workdir / "bank", generated_bank(args.questions))
    os.environ["MOE_LAB_BANK"] = str(bank_dir)
    os.environ["MOE_LAB_DB"] = str(workdir / "progress.sqlite3")

    from questions.bank.loader import filter_questions, load_bank

    load_ms = timed(lambda: load_bank(bank_dir))
    result = load_bank(bank_dir)
    assert len(result.questions) == args.questions and not result.problems, result.problems[:3]
    filter_ms = timed(lambda: filter_questions(result.questions, search="capacity", difficulties=[2]))
    print(f"bank: {args.questions} questions; load_bank {load_ms:.0f} ms (uncached); filter {filter_ms:.1f} ms")

    at = app_test(page=PRACTICE.path)
    first_ms = timed(at.run)
    assert not at.exception, at.exception
    print(f"first run (imports, bank parse, DB create) {first_ms:.0f} ms")
    # Review a few cards so the store holds cards and logs as in real use.
    for _ in range(5):
        at.button(key="practice_show").click().run()
        at.button(key="practice_rate_3").click().run()

    plain = [timed(at.run) for _ in range(args.reruns)]
    summary("Practice rerun (card shown)", plain)
    shown = []
    for _ in range(min(args.reruns, 15)):
        shown.append(timed(at.button(key="practice_show").click().run))
        at.button(key="practice_skip").click().run()
    summary("Show answer rerun", shown)
    at.segmented_control(key="practice_queue").set_value("all").run()
    at.text_input(key="practice_search").input("explain").run()
    searched = [timed(at.run) for _ in range(args.reruns)]
    summary("Practice rerun (search 'explain')", searched)
    assert not at.exception, at.exception


if __name__ == "__main__":
    main()
