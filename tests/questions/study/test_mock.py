"""Mock interviews: the draw across topics, the per-question clock, grades required, the save fed to the scheduler."""
from __future__ import annotations

import random
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from questions.bank.loader import load_bank
from questions.store import Store
from questions.study.mock import (
    close_question, is_stale, mock_history, open_topics, pick_mock_questions, save_session, start_session, ungraded)
from tests.helpers.bank import write_bank

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_mock_pick_spreads_across_topics_and_takes_open_questions_only():
    questions = [SimpleNamespace(id=f"{topic}-{n}", topic=topic, type=kind)
                 for topic in ("routing", "capacity", "training") for n, kind in enumerate(["open"] * 3 + ["choice"])]
    picked = pick_mock_questions(questions, 3, rng=random.Random(1))
    assert len(picked) == 3 and {qid.split("-")[0] for qid in picked} == {"routing", "capacity", "training"}
    assert all(not qid.endswith("-3") for qid in picked)  # index 3 is the choice question
    everything = pick_mock_questions(questions, 50, topics=["routing"], rng=random.Random(2))
    assert sorted(everything) == ["routing-0", "routing-1", "routing-2"]
    assert open_topics(questions) == ["routing", "capacity", "training"]
    assert open_topics([question for question in questions if question.type == "choice"]) == []


def test_each_question_keeps_its_answer_and_time_and_the_last_opens_the_review():
    session = start_session(["a", "b"], hide_difficulty=True, clock=100.0)
    assert session["phase"] == "answer" and session["index"] == 0 and session["hide_difficulty"] is True
    close_question(session, "first", clock=130.04)
    assert session["answers"] == {"a": "first"} and session["seconds"] == {"a": 30.0}
    assert session["index"] == 1 and session["started"] == 130.04 and session["phase"] == "answer"
    close_question(session, "", clock=190.0)
    assert session["seconds"]["b"] == 60.0 and session["phase"] == "review"


def test_a_session_is_stale_when_the_bank_lost_one_of_its_questions():
    session = start_session(["a", "b"], False, 0.0)
    assert not is_stale(session, {"a": 1, "b": 2, "c": 3})
    assert is_stale(session, {"a": 1})


def test_saving_needs_every_grade_and_feeds_the_scheduler(tmp_path):
    questions = load_bank(write_bank(tmp_path / "bank")).questions
    ids = pick_mock_questions(questions, 2, rng=random.Random(0))
    session = start_session(ids, False, 0.0)
    close_question(session, "my answer", 20.0)
    close_question(session, "  ", 50.0)
    store = Store(tmp_path / "progress.sqlite3")
    assert ungraded(session, {ids[0]: 3, ids[1]: None}) == [ids[1]]
    with pytest.raises(ValueError, match="grades"):
        save_session(store, "p", session, {ids[0]: 3}, NOW)
    assert store.mocks.sessions("p") == []

    assert save_session(store, "p", session, {ids[0]: 3, ids[1]: 1}, NOW) == {ids[0]: 3, ids[1]: 1}
    assert session["phase"] == "saved" and session["saved"] == {ids[0]: 3, ids[1]: 1}
    items = store.mocks.sessions("p")[0]["items"]
    assert [(item["question_id"], item["answer_text"], item["seconds"], item["rating"]) for item in items] == [
        (ids[0], "my answer", 20.0, 3), (ids[1], "  ", 30.0, 1)]
    assert [(log["question_id"], log["rating"], log["source"]) for log in store.reviews.logs("p")] == [
        (ids[0], 3, "mock"), (ids[1], 1, "mock")]
    assert store.reviews.card("p", ids[1]).due < store.reviews.card("p", ids[0]).due  # Again comes back sooner


def test_history_is_newest_first_with_minutes_and_mean_rating():
    sessions = [
        {"taken_at": "2026-03-01T10:00:00+00:00",
         "items": [{"rating": 3, "seconds": 60.0}, {"rating": 4, "seconds": 30}]},
        {"taken_at": "2026-03-02T10:00:00+00:00", "items": [{"rating": None, "seconds": None}]},
    ]
    assert mock_history(sessions) == [
        {"taken_at": "2026-03-02T10:00:00+00:00", "questions": 1, "minutes": 0.0, "mean_rating": None},
        {"taken_at": "2026-03-01T10:00:00+00:00", "questions": 2, "minutes": 1.5, "mean_rating": 3.5},
    ]
    assert mock_history(sessions, limit=1)[0]["questions"] == 1
