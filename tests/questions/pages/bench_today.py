"""Benchmark (not a test): rerun time of the Today page and the card browser with 2,000 questions and 5,000 reviews.

Run from the repository root: .venv/bin/python -m tests.questions.pages.bench_today [--questions 2000] [--reviews 5000]
[--reruns 20]. Prints the median and p90 of AppTest reruns of Today, of the browser (plain and with a search), and of
Practice (the peer, measured in the same run, now that its Today queue runs the plan too), each with its ratio to
Practice; then the plain functions alone (plan_for, browse_rows). Target: rerun medians under 200 ms.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from fsrs import Rating

from questions.study.clock import now_utc
from questions.study.scheduler import build_scheduler, new_card
from questions.ui.routes import BROWSE, PRACTICE, TODAY
from tests.helpers.apptest import app_test
from tests.helpers.bank import write_bank
from tests.questions.pages.bench_practice import generated_bank, summary, timed


def fill_store(store, question_ids: list[str], reviews: int, seed: int = 7) -> None:
    """`reviews` reviews over the last 90 days, spread over the questions (each question's reviews in time order)."""
    rng, scheduler, now = random.Random(seed), build_scheduler(), now_utc()
    per_question: dict[str, int] = {}
    for _ in range(reviews):
        qid = rng.choice(question_ids)
        per_question[qid] = per_question.get(qid, 0) + 1
    batch = []
    for qid, count in per_question.items():
        moment = now - timedelta(days=90)
        card = new_card(qid, moment)
        for _ in range(count):
            moment += timedelta(days=rng.uniform(0.5, 90 / count))
            card, log = scheduler.review_card(card, rng.choice(list(Rating)), review_datetime=min(moment, now))
            batch.append((qid, card, log))
    store.reviews.record_many("default", batch, "practice")
    store.plans.set("default", (now + timedelta(days=30)).date().isoformat(), 60, 10, 200)


def reruns(at, count: int) -> list[float]:
    return [timed(at.run) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--reruns", type=int, default=20)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="moe-lab-bench-today-"))
    bank = generated_bank(args.questions)
    os.environ["MOE_LAB_BANK"] = str(write_bank(workdir / "bank", bank))
    os.environ["MOE_LAB_DB"] = str(workdir / "progress.sqlite3")

    from questions.store import Store
    from questions.study.browse import BrowseFilters, browse_rows
    from questions.study.plan import plan_for

    store = Store(workdir / "progress.sqlite3")
    ids = [question["id"] for questions in bank.values() for question in questions]
    fill_store(store, ids, args.reviews)
    print(f"bank: {len(ids)} questions; store: {len(store.reviews.logs('default'))} reviews of "
          f"{len(store.reviews.cards('default'))} cards; interview in 30 days")

    medians = {}
    for label, route, action in (("Practice rerun (peer)", PRACTICE, None), ("Today rerun", TODAY, None),
                                 ("Browse rerun", BROWSE, None), ("Browse rerun (search 'explain')", BROWSE, "search")):
        at = app_test(page=route.path)
        first = timed(at.run)
        assert not at.exception, at.exception
        if action == "search":
            at.text_input(key="browse_search").input("explain").run()
        samples = reruns(at, args.reruns)
        assert not at.exception, at.exception
        medians[label] = statistics.median(samples)
        summary(label, samples)
        print(f"{'':<34} first run {first:.0f} ms")
    peer = medians["Practice rerun (peer)"]
    for label, median in medians.items():
        print(f"{label:<34} {median / peer:5.2f} x Practice")

    from questions.bank.loader import load_bank
    questions = load_bank(Path(os.environ["MOE_LAB_BANK"])).questions
    now = now_utc()
    summary("plan_for (function)", [timed(lambda: plan_for(store, "default", questions, now)) for _ in range(10)])
    with store.snapshot():
        cards, counts = store.reviews.cards("default"), store.reviews.counts("default")
    summary("browse_rows (function, sort due)", [
        timed(lambda: browse_rows(questions, cards, counts, set(), {}, BrowseFilters(), "en", "due"))
        for _ in range(10)])


if __name__ == "__main__":
    main()
