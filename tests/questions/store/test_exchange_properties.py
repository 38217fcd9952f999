"""Property tests of the progress export: any history survives export -> import exactly, and a corrupted document
is rejected with the field named and nothing changed (hypothesis generates the histories and the corruptions)."""
import copy
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fsrs import Rating
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions.store import ProgressFormatError, Store
from questions.store.exchange import export_json, export_profile, import_json
from questions.study.scheduler import preview

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
QUESTION_IDS = ("routing-a", "routing-b", "capacity-a", "load-balancing-z", "路由-中文")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

question_ids = st.sampled_from(QUESTION_IDS)
moments = st.integers(0, 400 * 24 * 60).map(lambda minutes: START + timedelta(minutes=minutes))
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)  # any Unicode but lone surrogates
reviews = st.tuples(question_ids, st.sampled_from(list(Rating)), moments, st.none() | texts)
quizzes = st.tuples(st.none() | st.sampled_from(["routing", "capacity"]), st.lists(question_ids, min_size=1,
                    max_size=4, unique=True), st.integers(0, 3), moments)
mock_items = st.lists(st.tuples(question_ids, st.none() | texts, st.none() | st.floats(0, 3600), st.none()
                                | st.integers(1, 4)), min_size=1, max_size=4)
attempts = st.tuples(st.sampled_from(["z-loss", "topk-router"]), st.sampled_from(["pass", "fail", "error"]),
                     st.integers(0, 5), st.none() | texts, moments)
histories = st.fixed_dictionaries({
    "reviews": st.lists(reviews, max_size=12), "bookmarks": st.lists(question_ids, max_size=4, unique=True),
    "notes": st.dictionaries(question_ids, texts, max_size=3), "quizzes": st.lists(quizzes, max_size=3),
    "mocks": st.lists(st.tuples(mock_items, moments), max_size=2), "attempts": st.lists(attempts, max_size=4),
    "plan": st.none() | st.tuples(st.none() | st.dates().map(str), st.integers(1, 600), st.integers(0, 50),
                                  st.integers(0, 500)),
    "undo": st.booleans(),
    "experiments": st.dictionaries(st.sampled_from(["capacity-no-drops", "hot-expert-cv"]),
                                   st.tuples(moments, st.booleans()), max_size=2)})


def _fill(store: Store, profile: str, history: dict) -> None:
    """Write a generated history through the app's own record functions."""
    for question_id, rating, at, answer in sorted(history["reviews"], key=lambda review: review[2]):
        card, log = preview(store.reviews.card(profile, question_id), question_id, at)[rating]
        store.reviews.record(profile, question_id, card, log, answer_text=answer)
    for question_id in history["bookmarks"]:
        store.bookmarks.set(profile, question_id, True)
    for question_id, text in history["notes"].items():
        store.notes.set(profile, question_id, text)
    for topic, ids, score, at in history["quizzes"]:
        store.quizzes.record(profile, topic, ids, {ids[0]: [0]}, min(score, len(ids)), len(ids), taken_at=at)
    for items, at in history["mocks"]:
        store.mocks.record(profile, [{"question_id": qid, "answer_text": answer, "seconds": seconds, "rating": rating}
                                     for qid, answer, seconds, rating in items], taken_at=at)
    for slug, status, passed, code, at in history["attempts"]:
        store.attempts.record(profile, slug, status, passed, 5, code, attempted_at=at)
    if history["plan"] is not None:
        store.plans.set(profile, *history["plan"])
    if history["undo"]:
        store.reviews.undo_last(profile)
    for experiment_id, (at, passed) in history["experiments"].items():
        (store.experiments.mark_passed if passed else store.experiments.start)(profile, experiment_id, at)


def _sections(export: dict) -> dict:
    return {key: value for key, value in export.items() if key not in ("exported_at", "profile")}


@SETTINGS
@given(history=histories)
def test_export_then_import_reproduces_every_row(history):
    with tempfile.TemporaryDirectory() as folder:
        source, target = Store(Path(folder) / "a.sqlite3"), Store(Path(folder) / "b.sqlite3")
        _fill(source, "alice", history)
        text = export_json(source, "alice")
        import_json(target, "bob", text)
        assert _sections(export_profile(target, "bob")) == _sections(json.loads(text))
        # the rows themselves, beyond the export's view of them
        assert {qid: card.to_dict() for qid, card in target.reviews.cards("bob").items()} == {
            qid: card.to_dict() for qid, card in source.reviews.cards("alice").items()}
        assert target.notes.all("bob") == source.notes.all("alice")
        assert target.bookmarks.ids("bob") == source.bookmarks.ids("alice")
        assert target.plans.get("bob") == source.plans.get("alice")
        assert target.experiments.progress("bob") == source.experiments.progress("alice")
        # the card each review replaced came along: undoing the last grade gives the same card on both sides
        assert target.reviews.undo_last("bob") == source.reviews.undo_last("alice")
        assert {qid: card.to_dict() for qid, card in target.reviews.cards("bob").items()} == {
            qid: card.to_dict() for qid, card in source.reviews.cards("alice").items()}
        source.close(), target.close()


def _corruptions():
    """(path into the document, new value) pairs: a wrong type, a missing field, an out-of-range value."""
    junk = st.sampled_from([None, 7, -1, 2.5, True, "", "x" * 3, [], {}, "2026-13-45", [1, "a"]])
    return st.tuples(st.sampled_from(["cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions",
                                      "exercise_attempts", "study_plans", "experiment_progress"]), st.integers(0, 3), st.text(min_size=1, max_size=12)
                     | st.sampled_from(["question_id", "card", "log", "rating", "source", "created_at", "text",
                                        "score", "total", "taken_at", "items", "passed", "status", "attempted_at",
                                        "card_before", "interview_date", "daily_minutes", "experiment_id",
                                        "started_at", "passed_at"]),
                     st.none() | junk)


@SETTINGS
@given(history=histories, corruption=_corruptions(), drop=st.booleans())
def test_a_corrupted_export_names_its_field_and_changes_nothing(history, corruption, drop):
    section, index, field, value = corruption
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "a.sqlite3")
        _fill(store, "alice", history)
        document = export_profile(store, "alice")
        entries = document[section]
        if not entries:
            return
        entry = entries[index % len(entries)]
        if drop:
            if field not in entry:
                return
            del entry[field]
        else:
            entry[field] = value
        before = _sections(export_profile(store, "alice"))
        try:
            import_json(store, "alice", json.dumps(document))
        except ProgressFormatError as error:
            assert str(error).startswith(f"{section}["), error  # the message names the section and entry
            assert _sections(export_profile(store, "alice")) == before
        else:  # the corruption happened to be harmless (an unknown extra field, or a value of the same meaning)
            imported = _sections(export_profile(store, "alice"))
            assert {key: len(rows) for key, rows in imported.items() if isinstance(rows, list)} == {
                key: len(rows) for key, rows in before.items() if isinstance(rows, list)}
        store.close()


@SETTINGS
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_are_rejected_as_a_format_error_never_a_crash(raw):
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "a.sqlite3")
        store.notes.set("alice", "routing-a", "keep me")
        try:
            import_json(store, "alice", raw)
        except ProgressFormatError as error:
            assert str(error).split(":")[0]  # names a place
        assert store.notes.get("alice", "routing-a") in ("keep me", "")  # "" only if raw was a valid empty export
        store.close()
