"""Grading a practice card: the preview taken when the answer is shown is exactly what the grade saves."""
from __future__ import annotations

from datetime import datetime, timezone

from fsrs import Rating

from questions.store import Store
from questions.study.practice import answer_preview, commit_grade
from questions.study.scheduler import RATINGS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_the_preview_holds_every_rating_at_the_moment_the_answer_was_shown():
    shown = answer_preview(None, "routing-a", NOW)
    assert shown["question_id"] == "routing-a" and shown["at"] == NOW
    assert list(shown["options"]) == list(RATINGS)
    assert all(log.review_datetime == NOW for _card, log in shown["options"].values())


def test_commit_saves_the_previewed_card_and_the_typed_answer(tmp_path):
    store = Store(tmp_path / "progress.sqlite3")
    shown = answer_preview(None, "routing-a", NOW)
    saved = commit_grade(store, "p", shown, "routing-a", 3, "  top-k then softmax  ")
    assert saved is shown["options"][Rating.Good][0]
    assert store.reviews.card("p", "routing-a").due == saved.due  # the interval shown is the interval saved
    assert [(log["rating"], log["source"], log["answer_text"]) for log in store.reviews.logs("p")] == [
        (3, "practice", "top-k then softmax")]


def test_a_blank_answer_is_saved_as_none_and_a_stale_click_saves_nothing(tmp_path):
    store = Store(tmp_path / "progress.sqlite3")
    shown = answer_preview(None, "routing-a", NOW)
    assert commit_grade(store, "p", shown, "routing-b", 3, "x") is None  # the preview of another card
    assert commit_grade(store, "p", None, "routing-a", 3, "x") is None  # no preview (already graded elsewhere)
    assert store.reviews.logs("p") == []
    commit_grade(store, "p", shown, "routing-a", 1, "   ")
    assert store.reviews.logs("p")[0]["answer_text"] is None
