"""The store's study records: undoing the last grade (card restored, log row gone, one transaction), the sources of a
review, several reviews at once, and each profile's plan settings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from questions.store import Store
from questions.store.reviews import REVIEW_SOURCES
from questions.study.scheduler import preview

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _grade(store, profile, qid, rating, when, source="practice"):
    card, log = preview(store.reviews.card(profile, qid), qid, when)[rating]
    store.reviews.record(profile, qid, card, log, source=source)
    return card


def test_undo_restores_the_card_before_and_removes_the_log_row(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    first = _grade(store, "ann", "routing-a", Rating.Good, NOW)
    _grade(store, "ann", "routing-a", Rating.Again, NOW + timedelta(minutes=20))
    assert store.reviews.card("ann", "routing-a").to_dict() != first.to_dict()
    assert store.reviews.undo_last("ann") == "routing-a"
    assert store.reviews.card("ann", "routing-a").to_dict() == first.to_dict()
    assert [log["rating"] for log in store.reviews.logs("ann")] == [3]
    # Undoing a first review removes the card: the question is new again.
    assert store.reviews.undo_last("ann") == "routing-a"
    assert store.reviews.card("ann", "routing-a") is None and store.reviews.logs("ann") == []
    assert store.reviews.undo_last("ann") is None  # nothing left to undo


def test_undo_leaves_other_profiles_other_sources_and_unknown_befores_alone(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    _grade(store, "ann", "routing-a", Rating.Good, NOW)
    _grade(store, "bob", "routing-a", Rating.Easy, NOW)
    _grade(store, "ann", "routing-b", Rating.Again, NOW, source="quiz")
    assert store.reviews.undo_last("ann") is None  # the latest review came from a quiz, not a grade
    assert store.reviews.undo_last("ann", source="quiz") == "routing-b"
    assert store.reviews.undo_last("ann") == "routing-a"
    assert [log["rating"] for log in store.reviews.logs("bob")] == [4]
    # A review whose card before is unknown (imported, or logged before undo existed) is never undone.
    card, log = preview(None, "routing-c", NOW)[Rating.Good]
    with store.write() as conn:
        profile_id = conn.execute("SELECT id FROM profiles WHERE name = 'ann'").fetchone()[0]
        store.reviews.insert_card(conn, profile_id, "routing-c", card)
        store.reviews.insert_log(conn, profile_id, "routing-c", log, None, "practice")
    assert store.reviews.undo_last("ann") is None
    assert store.reviews.card("ann", "routing-c") is not None


def test_undo_is_one_transaction(tmp_path, monkeypatch):
    store = Store(tmp_path / "p.sqlite3")
    first = _grade(store, "ann", "routing-a", Rating.Good, NOW)
    _grade(store, "ann", "routing-a", Rating.Hard, NOW + timedelta(hours=1))
    before = store.reviews.card("ann", "routing-a").to_dict()

    def broken(*_args):
        raise RuntimeError("disk gone while restoring the card")

    monkeypatch.setattr(store.reviews, "insert_card", broken)
    with pytest.raises(RuntimeError):
        store.reviews.undo_last("ann")
    assert len(store.reviews.logs("ann")) == 2  # the log row was not deleted either
    assert store.reviews.card("ann", "routing-a").to_dict() == before != first.to_dict()


def test_every_source_is_stored_and_record_many_is_all_or_nothing(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    assert REVIEW_SOURCES == ("practice", "mock", "quiz", "exercise")
    for number, source in enumerate(REVIEW_SOURCES):
        _grade(store, "ann", f"routing-{number}", Rating.Good, NOW, source=source)
    assert [log["source"] for log in store.reviews.logs("ann")] == list(REVIEW_SOURCES)
    good = ("capacity-a", *preview(None, "capacity-a", NOW)[Rating.Again])
    wrong_card, _log = preview(None, "capacity-b", NOW)[Rating.Again]
    mismatched = ("capacity-b", wrong_card, preview(None, "capacity-c", NOW)[Rating.Again][1])
    with pytest.raises(ValueError, match="card_id"):
        store.reviews.record_many("ann", [good, mismatched], "quiz")
    assert store.reviews.card("ann", "capacity-a") is None  # the first was rolled back with the second
    store.reviews.record_many("ann", [good], "exercise")
    assert store.reviews.logs("ann")[-1]["source"] == "exercise"


def test_plan_settings_per_profile(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    assert store.plans.get("ann") is None
    store.plans.set("ann", "2026-04-01", 45, 12, 150)
    store.plans.set("bob", None, 20, 10, 200)
    assert store.plans.get("ann") == {"interview_date": "2026-04-01", "daily_minutes": 45, "new_per_day": 12,
                                      "review_limit": 150}
    store.plans.set("ann", None, 30, 10, 200)
    assert store.plans.get("ann")["interview_date"] is None
    assert store.plans.get("bob")["daily_minutes"] == 20
    with pytest.raises(ValueError, match="interview"):
        store.plans.set("ann", "April 1st", 30, 10, 200)
    with pytest.raises(ValueError, match=r"daily_minutes \(0\) must be an integer >= 1"):
        store.plans.set("ann", None, 0, 10, 200)
    store.profiles.delete("ann")
    assert store.plans.get("ann") is None
