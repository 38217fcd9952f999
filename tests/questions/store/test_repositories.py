"""The repositories: cards and reviews, bookmarks, notes, quizzes, mock interviews, exercise attempts, profiles."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from questions.store import Store
from questions.store.exchange import export_profile, import_profile
from questions.study.scheduler import preview

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _review(question_id, rating=Rating.Good, now=NOW):
    return preview(None, question_id, now)[rating]


def test_record_review_round_trip(tmp_path):
    store = Store(tmp_path / "db")
    card, log = _review("routing-a")
    store.reviews.record("alice", "routing-a", card, log, answer_text="softmax then top-k")
    assert store.reviews.card("alice", "routing-a").to_dict() == card.to_dict()
    assert store.reviews.card("alice", "routing-b") is None
    assert store.reviews.logs("alice") == [{
        "question_id": "routing-a", "rating": 3, "review_datetime": "2026-03-01T12:00:00.000000+00:00",
        "source": "practice", "answer_text": "softmax then top-k",
    }]
    assert store.reviews.logs("alice", with_log=True)[0]["log"] == json.loads(log.to_json())
    assert list(store.reviews.cards("alice")) == ["routing-a"]
    assert store.reviews.due_ids("alice", NOW) == []
    assert store.reviews.due_ids("alice", card.due) == ["routing-a"]
    assert store.profiles.names() == ["alice"]
    with pytest.raises(ValueError, match="source"):
        store.reviews.record("alice", "routing-a", card, log, source="exam")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.reviews.due_ids("alice", datetime(2026, 3, 1))


def test_review_is_updated_not_duplicated_and_due_order(tmp_path):
    store = Store(tmp_path / "db")
    store.reviews.record("p", "late", *_review("late", Rating.Easy))
    store.reviews.record("p", "soon", *_review("soon", Rating.Again))
    card, log = preview(store.reviews.card("p", "soon"), "soon", NOW + timedelta(minutes=5))[Rating.Good]
    store.reviews.record("p", "soon", card, log)
    assert len(store.reviews.cards("p")) == 2
    assert len(store.reviews.logs("p")) == 3
    far = NOW + timedelta(days=400)
    assert store.reviews.due_ids("p", far) == ["soon", "late"]


def test_bookmarks_notes_quiz_mock_exercises(tmp_path):
    store = Store(tmp_path / "db")
    store.bookmarks.set("p", "q1", True)
    store.bookmarks.set("p", "q1", True)
    store.bookmarks.set("p", "q2", True)
    store.bookmarks.set("p", "q2", False)
    assert store.bookmarks.ids("p") == {"q1"}
    store.notes.set("p", "q1", "renormalise the k weights")
    store.notes.set("p", "q1", "softmax over the k logits")
    assert store.notes.get("p", "q1") == "softmax over the k logits"
    assert store.notes.all("p") == {"q1": "softmax over the k logits"}
    store.notes.set("p", "q1", "  ")
    assert store.notes.get("p", "q1") == ""
    quiz_id = store.quizzes.record("p", "routing", ["q1", "q2"], {"q1": [0], "q2": [1, 2]}, 1, 2)
    assert store.quizzes.results("p") == [{
        "id": quiz_id, "topic": "routing", "question_ids": ["q1", "q2"], "answers": {"q1": [0], "q2": [1, 2]},
        "score": 1, "total": 2, "taken_at": store.quizzes.results("p")[0]["taken_at"],
    }]
    with pytest.raises(ValueError, match="score"):
        store.quizzes.record("p", "routing", ["q1"], {}, 3, 2)
    card, log = _review("q3", Rating.Hard)
    mock_id = store.mocks.record("p", [
        {"question_id": "q3", "answer_text": "all-to-all", "seconds": 42.5, "rating": 2, "card": card, "log": log},
        {"question_id": "q4", "answer_text": "", "seconds": 10, "rating": None},
    ])
    sessions = store.mocks.sessions("p")
    assert [session["id"] for session in sessions] == [mock_id]
    assert sessions[0]["items"] == [
        {"question_id": "q3", "answer_text": "all-to-all", "seconds": 42.5, "rating": 2},
        {"question_id": "q4", "answer_text": "", "seconds": 10.0, "rating": None},
    ]
    assert [(entry["question_id"], entry["source"]) for entry in store.reviews.logs("p")] == [("q3", "mock")]
    store.attempts.record("p", "topk-router", "fail", 2, 5, "def f(): ...")
    store.attempts.record("p", "z-loss", "pass", 3, 3, "x")
    assert [a["slug"] for a in store.attempts.list("p")] == ["topk-router", "z-loss"]
    assert [a["status"] for a in store.attempts.list("p", slug="z-loss")] == ["pass"]


def test_failed_mock_item_rolls_back_whole_session(tmp_path):
    store = Store(tmp_path / "db")
    card, log = _review("q1")
    other_card, _ = _review("q2")
    with pytest.raises(ValueError, match="card_id"):
        store.mocks.record("p", [
            {"question_id": "q1", "answer_text": "a", "seconds": 1, "rating": 3, "card": card, "log": log},
            {"question_id": "q2", "answer_text": "b", "seconds": 1, "rating": 3, "card": other_card, "log": log},
        ])
    assert store.mocks.sessions("p") == []
    assert store.reviews.logs("p") == []


def test_profiles_isolate_all_data(tmp_path):
    store = Store(tmp_path / "db")
    for profile, question_id in (("alice", "qa"), ("bob", "qb")):
        store.reviews.record(profile, question_id, *_review(question_id), answer_text=profile)
        store.bookmarks.set(profile, question_id, True)
        store.notes.set(profile, question_id, f"note of {profile}")
        store.quizzes.record(profile, "routing", [question_id], {}, 1, 1)
        store.mocks.record(profile, [{"question_id": question_id, "answer_text": profile, "seconds": 1, "rating": 3}])
        store.attempts.record(profile, f"slug-{profile}", "pass", 1, 1, profile)
    far = NOW + timedelta(days=1000)
    for profile, own, other in (("alice", "qa", "qb"), ("bob", "qb", "qa")):
        assert set(store.reviews.cards(profile)) == {own}
        assert store.reviews.card(profile, other) is None
        assert [log["question_id"] for log in store.reviews.logs(profile)] == [own]
        assert store.reviews.due_ids(profile, far) == [own]
        assert store.bookmarks.ids(profile) == {own}
        assert store.notes.get(profile, other) == ""
        assert store.notes.all(profile) == {own: f"note of {profile}"}
        assert [quiz["question_ids"] for quiz in store.quizzes.results(profile)] == [[own]]
        assert [s["items"][0]["question_id"] for s in store.mocks.sessions(profile)] == [own]
        assert [a["slug"] for a in store.attempts.list(profile)] == [f"slug-{profile}"]
        exported = json.dumps(export_profile(store, profile))
        assert other not in exported
    # Writing to one profile (even a full import) leaves the other untouched.
    before = export_profile(store, "bob")
    import_profile(store, "alice", export_profile(store, "alice") | {"bookmarks": []})
    assert store.bookmarks.ids("alice") == set()
    after = export_profile(store, "bob")
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in before.items() if k != "exported_at"}
    assert store.profiles.delete("alice")
    assert not store.profiles.delete("alice")
    assert store.profiles.names() == ["bob"]
    assert store.reviews.cards("alice") == {}
    assert store.bookmarks.ids("bob") == {"qb"}
    with pytest.raises(ValueError, match="profile"):
        store.reviews.cards("")


def test_ensure_profile_is_idempotent(tmp_path):
    store = Store(tmp_path / "db")
    first = store.profiles.ensure("ada@example.com")
    assert store.profiles.ensure("ada@example.com") == first
    assert store.profiles.names() == ["ada@example.com"]
    with pytest.raises(ValueError, match="limit is 200"):
        store.profiles.ensure("x" * 201)
