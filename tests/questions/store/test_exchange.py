"""The progress export document: JSON round trip, a profile imported under another name, errors that name the field."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from questions.store import ProgressFormatError, Store
from questions.store.exchange import export_file_name, export_json, export_profile, import_json
from questions.study.scheduler import preview

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
QUESTION_IDS = ("routing-a", "routing-b", "capacity-a")
SECTIONS = ["cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions", "exercise_attempts",
            "study_plans", "experiment_progress"]


def _fill(store, profile):
    """One profile with every kind of record: three reviews, a bookmark, a note, a quiz, a mock (with a review), an
    exercise attempt."""
    for index, question_id in enumerate(QUESTION_IDS):
        card, log = preview(None, question_id, NOW - timedelta(days=index))[Rating(index + 1)]
        store.reviews.record(profile, question_id, card, log, answer_text=f"答案 {index}, \"quoted\"")
    store.bookmarks.set(profile, "routing-a", True)
    store.notes.set(profile, "capacity-a", "ceil, not floor\nsecond line")
    store.quizzes.record(profile, "routing", ["routing-b"], {"routing-b": [1]}, 1, 1, taken_at=NOW)
    card, log = preview(store.reviews.card(profile, "routing-a"), "routing-a", NOW)[Rating.Hard]
    store.mocks.record(profile, [{"question_id": "routing-a", "answer_text": "x", "seconds": 30.5, "rating": 2,
                                  "card": card, "log": log},
                                 {"question_id": "capacity-a", "answer_text": None, "seconds": None, "rating": None}],
                       taken_at=NOW)
    store.attempts.record(profile, "z-loss", "pass", 3, 3, "def z_loss(x): ...", attempted_at=NOW)
    store.plans.set(profile, "2026-04-01", 45, 12, 150)
    store.experiments.mark_passed(profile, "capacity-no-drops", NOW)


def _comparable(export):
    return {key: value for key, value in export.items() if key not in ("exported_at", "profile")}


def test_export_import_round_trip(tmp_path):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    text = export_json(store, "alice")
    data = json.loads(text)
    assert data["format"] == "moe-interview-lab-progress" and data["version"] == 2
    assert list(data) == ["format", "version", "schema_version", "exported_at", "profile", *SECTIONS]
    assert data["profile"] == "alice" and data["bookmarks"][0]["question_id"] == "routing-a"
    assert "id" not in data["quiz_results"][0] and data["mock_sessions"][0]["items"][1]["seconds"] is None
    assert "答案" in text  # UTF-8, not \u escapes

    other = Store(tmp_path / "other.sqlite3")
    counts = import_json(other, "bob", text.encode("utf-8"))
    assert counts == {"cards": 3, "review_log": 4, "bookmarks": 1, "notes": 1, "quiz_results": 1, "mock_sessions": 1,
                      "exercise_attempts": 1, "study_plans": 1,
                      "experiment_progress": 1}
    assert _comparable(export_profile(other, "bob")) == _comparable(data)
    assert {qid: card.to_dict() for qid, card in other.reviews.cards("bob").items()} == {
        qid: card.to_dict() for qid, card in store.reviews.cards("alice").items()}
    assert other.notes.get("bob", "capacity-a") == "ceil, not floor\nsecond line"
    # Importing again replaces rather than duplicates.
    import_json(other, "bob", text)
    assert len(other.reviews.logs("bob")) == 4
    assert _comparable(export_profile(other, "bob")) == _comparable(data)


def _mutated(data, change):
    copy = json.loads(json.dumps(data))
    change(copy)
    return json.dumps(copy)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(format="anki"), "format"),
        (lambda d: d.update(version=99), "version"),
        (lambda d: d["review_log"][1]["log"].update(rating=7), r"review_log\[1\]\.log"),
        (lambda d: d["review_log"][0].update(source="exam"), r"review_log\[0\]\.source"),
        (lambda d: d["cards"][0]["card"].pop("due"), r"cards\[0\]\.card"),
        (lambda d: d["cards"].append(d["cards"][0]), r"cards\[3\]\.question_id"),
        (lambda d: d["quiz_results"][0].update(score=5), r"quiz_results\[0\]\.score"),
        (lambda d: d["mock_sessions"][0]["items"][0].update(rating="good"), r"mock_sessions\[0\]\.items\[0\]\.rating"),
        (lambda d: d["notes"][0].update(updated_at="yesterday"), r"notes\[0\]\.updated_at"),
        (lambda d: d["notes"].append(d["notes"][0]), r"notes\[1\]\.question_id: must be non-empty and unique"),
        (lambda d: d["bookmarks"].append(d["bookmarks"][0]), r"bookmarks\[1\]\.question_id"),
        (lambda d: d.update(bookmarks={}), "bookmarks"),
        (lambda d: d["exercise_attempts"][0].pop("slug"), r"exercise_attempts\[0\]\.slug"),
        (lambda d: d["exercise_attempts"][0].update(passed=True), r"exercise_attempts\[0\]\.passed: must be int"),
    ],
)
def test_bad_import_names_the_field_and_changes_nothing(tmp_path, change, match):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    good = export_profile(store, "alice")
    store.notes.set("alice", "routing-b", "must survive a failed import")
    before = _comparable(export_profile(store, "alice"))
    with pytest.raises(ProgressFormatError, match=match):
        import_json(store, "alice", _mutated(good, change))
    assert _comparable(export_profile(store, "alice")) == before


def test_import_rejects_non_json_with_position(tmp_path):
    store = Store(tmp_path / "db")
    with pytest.raises(ProgressFormatError, match="line 1, column"):
        import_json(store, "alice", "{not json")
    with pytest.raises(ProgressFormatError, match="UTF-8"):
        import_json(store, "alice", b"\xff\xfe\x00")
    with pytest.raises(ProgressFormatError, match="JSON object"):
        import_json(store, "alice", "[]")
    assert store.profiles.names() == []


def test_export_file_name_is_safe():
    assert export_file_name("Ali ce/..", NOW) == "moe-lab-progress-Ali_ce_..-2026-03-01.json"
    assert export_file_name("日本", NOW) == "moe-lab-progress-profile-2026-03-01.json"
    with pytest.raises(ValueError, match="timezone-aware"):
        export_file_name("alice", datetime(2026, 3, 1))


def test_a_version_1_export_without_the_newer_sections_still_imports(tmp_path):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    data = export_profile(store, "alice")
    data["version"] = 1
    for section in ("study_plans", "experiment_progress"):
        del data[section]
    for entry in data["review_log"]:
        del entry["card_before"]
    other = Store(tmp_path / "other.sqlite3")
    import_json(other, "bob", json.dumps(data))
    assert len(other.reviews.logs("bob")) == 4 and other.plans.get("bob") is None
    assert other.reviews.undo_last("bob") is None  # the card each review replaced is unknown: nothing to undo
