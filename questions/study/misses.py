"""One loop from a miss to its review: a wrong quiz answer or a failed exercise sends the related questions back.

A miss is saved as an FSRS review rated Again at the moment of the miss, with its source ("quiz", "exercise") in the
review log: the card goes to (re)learning and is due within minutes, so it comes back first in Practice's Due and
Today queues. Sending is idempotent: a question whose latest review is already an Again (sent back, not reviewed
since) is left alone, so a rerun, a second click or the same miss in two quizzes never schedules it twice.
A mock interview needs no sending: its self-grades are themselves saved as reviews (source "mock"), so Again and Hard
already bring the question back.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping, Sequence

from fsrs import Rating

from questions.bank.schema import Question
from questions.store import Store
from questions.study.quiz import choice_is_correct
from questions.study.scheduler import preview

MISS_SOURCES = ("quiz", "exercise")


def awaiting_review(logs: Iterable[Mapping]) -> set[str]:
    """The questions whose latest review (logs oldest first) is an Again: already sent back to review."""
    latest: dict[str, int] = {}
    for log in logs:
        latest[log["question_id"]] = int(log["rating"])
    return {qid for qid, rating in latest.items() if rating == int(Rating.Again)}


def send_to_review(store: Store, profile: str, question_ids: Iterable[str], source: str,
                   now: datetime) -> list[str]:
    """Save an Again review (source `source`) of each question not already awaiting review, in one transaction;
    returns the ids sent, in the order given (each once)."""
    if source not in MISS_SOURCES:
        raise ValueError(f"source ({source!r}) must be one of {MISS_SOURCES}")
    waiting = awaiting_review(store.reviews.logs(profile))
    wanted = [qid for qid in dict.fromkeys(question_ids) if qid not in waiting]
    reviews = []
    for qid in wanted:
        card, log = preview(store.reviews.card(profile, qid), qid, now)[Rating.Again]
        reviews.append((qid, card, log))
    if reviews:
        store.reviews.record_many(profile, reviews, source)
    return wanted


def quiz_misses(questions: Sequence[Question], answers: Mapping[str, list[int]]) -> list[str]:
    """The ids of a graded quiz's questions answered wrong (or not at all), in quiz order."""
    return [question.id for question in questions
            if not choice_is_correct(question.correct_option_indices(), answers.get(question.id, []))]


def open_quiz_misses(results: Sequence[Mapping], by_id: Mapping[str, Question]) -> list[str]:
    """The questions whose latest quiz answer (results oldest first) was wrong: what "Retry my misses" asks again,
    most recent miss first."""
    latest: dict[str, bool] = {}
    for result in results:
        for qid in result["question_ids"]:
            if qid in by_id:
                latest.pop(qid, None)  # re-insert: dict order becomes the order of the latest attempt
                latest[qid] = choice_is_correct(by_id[qid].correct_option_indices(), result["answers"].get(qid, []))
    return [qid for qid, right in reversed(latest.items()) if not right]
