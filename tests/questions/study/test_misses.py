"""From a miss to its review: a wrong quiz answer or a failed exercise is saved as an Again review with its source,
once; the quiz misses still open; the questions an exercise sends back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating, State

from questions.store import Store
from questions.study.misses import (
    awaiting_review, open_quiz_misses, quiz_misses, send_to_review)
from questions.study.scheduler import preview
from tests.helpers.bank import FIXTURE_BANK, as_questions

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
QUESTIONS = as_questions(question for questions in FIXTURE_BANK.values() for question in questions)
BY_ID = {question.id: question for question in QUESTIONS}


def test_a_miss_is_an_again_review_with_its_source_and_is_due_within_minutes(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    card, log = preview(None, "capacity-factor", NOW - timedelta(days=40))[Rating.Easy]
    store.reviews.record("ann", "capacity-factor", card, log)
    assert send_to_review(store, "ann", ["capacity-factor", "routing-switch-k"], "quiz", NOW) == [
        "capacity-factor", "routing-switch-k"]
    logs = store.reviews.logs("ann")
    assert [(log["question_id"], log["rating"], log["source"]) for log in logs[1:]] == [
        ("capacity-factor", 1, "quiz"), ("routing-switch-k", 1, "quiz")]
    assert store.reviews.card("ann", "capacity-factor").state == State.Relearning
    assert set(store.reviews.due_ids("ann", NOW + timedelta(minutes=15))) == {"capacity-factor", "routing-switch-k"}


def test_sending_is_idempotent_until_the_card_is_reviewed_again(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    assert send_to_review(store, "ann", ["routing-switch-k", "routing-switch-k"], "quiz", NOW) == ["routing-switch-k"]
    assert send_to_review(store, "ann", ["routing-switch-k"], "quiz", NOW) == []
    assert send_to_review(store, "ann", ["routing-switch-k"], "exercise", NOW + timedelta(hours=2)) == []
    assert len(store.reviews.logs("ann")) == 1
    later = NOW + timedelta(hours=3)
    card, log = preview(store.reviews.card("ann", "routing-switch-k"), "routing-switch-k", later)[Rating.Good]
    store.reviews.record("ann", "routing-switch-k", card, log)
    assert send_to_review(store, "ann", ["routing-switch-k"], "quiz", later) == ["routing-switch-k"]
    assert awaiting_review(store.reviews.logs("ann")) == {"routing-switch-k"}
    with pytest.raises(ValueError, match="source"):
        send_to_review(store, "ann", ["routing-switch-k"], "practice", NOW)


def test_quiz_misses_and_the_misses_still_open():
    quiz = [BY_ID["routing-switch-k"], BY_ID["capacity-formula"], BY_ID["capacity-overflow"]]
    answers = {"routing-switch-k": [0], "capacity-formula": [0]}  # right, wrong, unanswered
    assert quiz_misses(quiz, answers) == ["capacity-formula", "capacity-overflow"]
    results = [
        {"question_ids": ["routing-switch-k", "capacity-formula"], "answers": {"routing-switch-k": [1],
                                                                              "capacity-formula": [0]}},
        {"question_ids": ["routing-switch-k", "capacity-overflow"], "answers": {"routing-switch-k": [0],
                                                                               "capacity-overflow": [0]}},
        {"question_ids": ["gone-question"], "answers": {}},
    ]
    # routing-switch-k was fixed in the second quiz; the newest miss comes first; unknown ids are left out.
    assert open_quiz_misses(results, BY_ID) == ["capacity-overflow", "capacity-formula"]
