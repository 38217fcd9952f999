"""The progress export document (format "moe-interview-lab-progress", version 1): export, validation, import, JSON.

A document holds one profile's records in sections named after their tables. `validate_export` checks a whole document
before anything is written and names the offending field (`review_log[3].rating: ...`); each section's entries are
parsed into exactly the arguments of its repository's `insert`, so the import writes through the same INSERTs as the
app.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable

from fsrs import Card, Rating, ReviewLog

from .db import Store
from .repositories import StudyPlans
from .reviews import REVIEW_SOURCES
from .schema import SCHEMA_VERSION
from .values import check_profile, now_iso, utc_iso

EXPORT_FORMAT = "moe-interview-lab-progress"
EXPORT_VERSION = 2  # 2 added study_plans, experiment_progress and review_log[].card_before; version 1 still reads
_TEXT, _NUMBER, _OPTIONAL_TEXT = (str,), (int,), (str, type(None))


class ProgressFormatError(ValueError):
    """An imported progress document is invalid; the message names the offending field (e.g. `review_log[3].rating`)."""


# -------------------------------------------------------------------- export
def export_profile(store: Store, profile: str) -> dict:
    """All progress of one profile as a JSON-serialisable dict (format EXPORT_FORMAT, version EXPORT_VERSION)."""
    check_profile(profile)
    # One read transaction, so the export is a consistent snapshot even while other sessions write.
    with store.snapshot():
        cards = store.reviews.cards(profile)
        sections = {
            "cards": [{"question_id": question_id, "card": card.to_dict()} for question_id, card in cards.items()],
            "review_log": store.reviews.logs(profile, with_log=True),
            "bookmarks": store.bookmarks.entries(profile),
            "notes": store.notes.entries(profile),
            "quiz_results": _without_ids(store.quizzes.results(profile)),
            "mock_sessions": _without_ids(store.mocks.sessions(profile)),
            "exercise_attempts": _without_ids(store.attempts.list(profile)),
            "study_plans": [plan] if (plan := store.plans.get(profile)) is not None else [],
            "experiment_progress": [{"experiment_id": experiment_id, **times}
                                    for experiment_id, times in store.experiments.progress(profile).items()],
        }
    header = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "schema_version": SCHEMA_VERSION,
              "exported_at": now_iso(), "profile": profile}
    return header | sections


def _without_ids(records: list[dict]) -> list[dict]:
    # Row ids are local to one database; an import numbers its rows afresh.
    return [{key: value for key, value in record.items() if key != "id"} for record in records]


def export_json(store: Store, profile: str) -> str:
    """All progress of `profile` as a JSON document (format "moe-interview-lab-progress", version 1), UTF-8 text."""
    return json.dumps(export_profile(store, profile), ensure_ascii=False, indent=2)


def export_file_name(profile: str, now: datetime) -> str:
    """A download name such as moe-lab-progress-alice-2026-01-02.json (unsafe characters replaced)."""
    utc_iso(now)  # the same check as stored times: a timezone-aware datetime
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", profile).strip("_") or "profile"
    return f"moe-lab-progress-{safe}-{now.date().isoformat()}.json"


# -------------------------------------------------------------------- import
def import_profile(store: Store, profile: str, data: dict) -> None:
    """Replace all progress of `profile` with an export (validated first; one transaction; nothing changes on error).

    The export may come from another profile name: it is imported under `profile`.
    """
    check_profile(profile)
    parsed = validate_export(data)
    inserts: dict[str, Callable[..., Any]] = {
        "cards": store.reviews.insert_card, "review_log": store.reviews.insert_log,
        "bookmarks": store.bookmarks.insert, "notes": store.notes.insert, "quiz_results": store.quizzes.insert,
        "mock_sessions": store.mocks.insert, "exercise_attempts": store.attempts.insert,
        "study_plans": store.plans.insert, "experiment_progress": store.experiments.insert,
    }
    with store.write() as conn:
        profile_id = store.profiles.id_in(conn, profile)
        store.profiles.clear_progress(conn, profile_id)
        for section, insert in inserts.items():
            for entry in parsed[section]:
                insert(conn, profile_id, **entry)


def import_json(store: Store, profile: str, text: str | bytes) -> dict[str, int]:
    """Replace `profile`'s progress with an exported document; returns counts per section.

    A file that is not JSON, not an export, or invalid anywhere raises ProgressFormatError naming the place
    (e.g. "review_log[3].rating: ...") and changes nothing; the import itself is one transaction.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ProgressFormatError(f"document: not UTF-8 text ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgressFormatError(
            f"document: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    import_profile(store, profile, data)
    return {section: len(data.get(section, [])) for section in _SECTIONS}


# -------------------------------------------------------------------- validation
def _fail(where: str, message: str) -> ProgressFormatError:
    return ProgressFormatError(f"{where}: {message}")


def _require(entry: Any, where: str, fields: dict[str, tuple[type, ...]]) -> dict:
    """Check a dict has `fields` with the given types (NoneType allowed where listed)."""
    if not isinstance(entry, dict):
        raise _fail(where, f"must be an object, got {type(entry).__name__}")
    for name, types in fields.items():
        if name not in entry:
            raise _fail(f"{where}.{name}", "is missing")
        value = entry[name]
        # bool is an int subclass: reject it where a number is wanted.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise _fail(f"{where}.{name}", f"must be {wanted}, got {type(value).__name__}")
    return entry


def _time(value: Any, where: str) -> str:
    """An ISO datetime with a UTC offset, in the stored format."""
    if not isinstance(value, str):
        raise _fail(where, f"must be an ISO datetime string, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"is not an ISO datetime: {value!r}") from None
    if moment.tzinfo is None:
        raise _fail(where, f"must carry a UTC offset: {value!r}")
    return utc_iso(moment)


def _card(entry: Any, where: str) -> dict:
    _require(entry, where, {"question_id": _TEXT, "card": (dict,)})
    if not entry["question_id"]:
        raise _fail(f"{where}.question_id", f"must be non-empty and unique, got {entry['question_id']!r}")
    try:
        card = Card.from_dict(entry["card"])
        card_ok = card.due.tzinfo is not None
    except (KeyError, TypeError, ValueError) as error:
        raise _fail(f"{where}.card", f"is not an fsrs card: {error!r}") from None
    if not card_ok:
        raise _fail(f"{where}.card.due", "must carry a UTC offset")
    return {"question_id": entry["question_id"], "card": card}


def _review(entry: Any, where: str) -> dict:
    _require(entry, where, {"question_id": _TEXT, "source": _TEXT, "answer_text": _OPTIONAL_TEXT, "log": (dict,)})
    if not entry["question_id"]:
        raise _fail(f"{where}.question_id", "must be non-empty")
    if entry["source"] not in REVIEW_SOURCES:
        raise _fail(f"{where}.source", f"must be one of {REVIEW_SOURCES}, got {entry['source']!r}")
    try:
        log = ReviewLog.from_dict(entry["log"])
        rating = Rating(int(log.rating))
    except (KeyError, TypeError, ValueError) as error:
        raise _fail(f"{where}.log", f"is not an fsrs review log: {error!r}") from None
    if log.review_datetime.tzinfo is None:
        raise _fail(f"{where}.log.review_datetime", "must carry a UTC offset")
    if "rating" in entry and entry["rating"] != int(rating):
        raise _fail(f"{where}.rating", f"({entry['rating']!r}) disagrees with log.rating ({int(rating)})")
    card_before = entry.get("card_before")  # absent in older exports: unknown, so that review cannot be undone
    if card_before is not None and not isinstance(card_before, str):
        raise _fail(f"{where}.card_before", f"must be the stored card text or null, got {type(card_before).__name__}")
    return {"question_id": entry["question_id"], "log": log, "answer_text": entry["answer_text"],
            "source": entry["source"], "card_before_json": card_before}


def _bookmark(entry: Any, where: str) -> dict:
    _require(entry, where, {"question_id": _TEXT, "created_at": _TEXT})
    return {"question_id": entry["question_id"], "created_at": _time(entry["created_at"], f"{where}.created_at")}


def _note(entry: Any, where: str) -> dict:
    _require(entry, where, {"question_id": _TEXT, "text": _TEXT, "updated_at": _TEXT})
    return {"question_id": entry["question_id"], "text": entry["text"],
            "updated_at": _time(entry["updated_at"], f"{where}.updated_at")}


def _quiz(entry: Any, where: str) -> dict:
    fields = {"topic": _OPTIONAL_TEXT, "question_ids": (list,), "answers": (dict,), "score": _NUMBER,
              "total": _NUMBER, "taken_at": _TEXT}
    _require(entry, where, fields)
    if not 0 <= entry["score"] <= entry["total"]:
        raise _fail(f"{where}.score", f"({entry['score']}) must be between 0 and total ({entry['total']})")
    if not all(isinstance(question_id, str) for question_id in entry["question_ids"]):
        raise _fail(f"{where}.question_ids", "must be a list of strings")
    return {name: entry[name] for name in fields} | {"taken_at": _time(entry["taken_at"], f"{where}.taken_at")}


def _mock(entry: Any, where: str) -> dict:
    _require(entry, where, {"taken_at": _TEXT, "items": (list,)})
    items = []
    item_fields = {"question_id": _TEXT, "answer_text": _OPTIONAL_TEXT, "seconds": (int, float, type(None)),
                   "rating": (int, type(None))}
    for position, item in enumerate(entry["items"]):
        item_where = f"{where}.items[{position}]"
        _require(item, item_where, item_fields)
        if item["rating"] is not None and item["rating"] not in (1, 2, 3, 4):
            raise _fail(f"{item_where}.rating", f"must be 1-4 or null, got {item['rating']!r}")
        items.append({name: item[name] for name in item_fields})
    return {"items": items, "taken_at": _time(entry["taken_at"], f"{where}.taken_at")}


def _attempt(entry: Any, where: str) -> dict:
    fields = {"slug": _TEXT, "status": _TEXT, "passed": _NUMBER, "total": _NUMBER, "code": _OPTIONAL_TEXT,
              "attempted_at": _TEXT}
    _require(entry, where, fields)
    if not 0 <= entry["passed"] <= entry["total"]:
        raise _fail(f"{where}.passed", f"({entry['passed']}) must be between 0 and total ({entry['total']})")
    return {name: entry[name] for name in fields} | {
        "attempted_at": _time(entry["attempted_at"], f"{where}.attempted_at")}


def _plan(entry: Any, where: str) -> dict:
    fields = {"interview_date": _OPTIONAL_TEXT, "daily_minutes": _NUMBER, "new_per_day": _NUMBER,
              "review_limit": _NUMBER}
    _require(entry, where, fields)
    settings = {name: entry[name] for name in fields}
    try:
        StudyPlans.check(**settings)
    except ValueError as error:  # its message starts with the setting's name
        raise _fail(where, str(error)) from None
    return settings


def _experiment(entry: Any, where: str) -> dict:
    _require(entry, where, {"experiment_id": _TEXT, "started_at": _TEXT, "passed_at": _OPTIONAL_TEXT})
    if not entry["experiment_id"]:
        raise _fail(f"{where}.experiment_id", "must be non-empty")
    passed = entry["passed_at"]
    return {"experiment_id": entry["experiment_id"], "started_at": _time(entry["started_at"], f"{where}.started_at"),
            "passed_at": None if passed is None else _time(passed, f"{where}.passed_at")}


# Each section of the document and the parser of one of its entries, in document order.
_SECTIONS: dict[str, Callable[[Any, str], dict]] = {
    "cards": _card, "review_log": _review, "bookmarks": _bookmark, "notes": _note, "quiz_results": _quiz,
    "mock_sessions": _mock, "exercise_attempts": _attempt, "study_plans": _plan, "experiment_progress": _experiment,
}
_ONE_PER_QUESTION = ("cards", "bookmarks", "notes")


def _check_header(data: Any) -> None:
    if not isinstance(data, dict):
        raise _fail("document", f"must be a JSON object, got {type(data).__name__}")
    if data.get("format") != EXPORT_FORMAT:
        raise _fail("format", f"must be {EXPORT_FORMAT!r}, got {data.get('format')!r}; is this a progress export?")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail("version", f"must be a positive integer, got {version!r}")
    if version > EXPORT_VERSION:
        raise _fail("version", f"{version} is newer than this app reads ({EXPORT_VERSION}); upgrade the app")


def _parse_section(data: dict, section: str) -> list[dict]:
    entries = data.get(section, [])
    if not isinstance(entries, list):
        raise _fail(section, f"must be a list, got {type(entries).__name__}")
    parsed = [_SECTIONS[section](entry, f"{section}[{index}]") for index, entry in enumerate(entries)]
    if section == "study_plans" and len(parsed) > 1:
        raise _fail(f"{section}[1]", "a profile has one study plan")
    if section in _ONE_PER_QUESTION:
        seen: set[str] = set()
        for index, entry in enumerate(parsed):
            if entry["question_id"] in seen:
                raise _fail(f"{section}[{index}].question_id",
                            f"must be non-empty and unique, got {entry['question_id']!r}")
            seen.add(entry["question_id"])
    return parsed


def validate_export(data: Any) -> dict[str, list[dict]]:
    """Check an export document completely; return each section's entries as the arguments of its repository's
    `insert` (Cards and ReviewLogs built, times in the stored format). Raise ProgressFormatError naming the field."""
    _check_header(data)
    return {section: _parse_section(data, section) for section in _SECTIONS}
