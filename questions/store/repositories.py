"""One repository per kind of record: profiles, bookmarks, notes, quizzes, mock interviews, exercise attempts, study
plans, sandbox experiments (reviews: questions/store/reviews.py).

Each table's INSERT is written once, in its repository's `insert`, which `record` and the import
(questions/store/exchange.py) both call inside their transaction.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .values import check_profile, check_question_id, now_iso, stored_time

if TYPE_CHECKING:
    from .db import Store



def _check_part(name: str, value: int, total: int) -> None:
    if not 0 <= int(value) <= int(total):
        raise ValueError(f"{name} ({value}) must be between 0 and total ({total})")


class _Repository:
    """A view of one kind of record in the store's database."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _insert_for(self, profile: str, *values: Any) -> Any:
        """One write transaction: this repository's `insert` of `values` for the profile (created on first use)."""
        with self._store.write() as conn:
            return self.insert(conn, Profiles.id_in(conn, profile), *values)

    def insert(self, conn: sqlite3.Connection, profile_id: int, *values: Any) -> Any:
        """Save one record of this kind; call inside a write transaction."""
        raise NotImplementedError


class Profiles(_Repository):
    """Profile names; every other record belongs to one profile (deleting it deletes them, ON DELETE CASCADE)."""

    # The tables holding a profile's progress; an import empties them for that profile first.
    PROGRESS_TABLES = (
        "cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions", "exercise_attempts",
        "study_plans", "experiment_progress")

    @staticmethod
    def id_in(conn: sqlite3.Connection, name: str) -> int:
        """The profile's id, creating it; call inside a write transaction."""
        conn.execute("INSERT OR IGNORE INTO profiles(name, created_at) VALUES (?, ?)", (check_profile(name), now_iso()))
        return conn.execute("SELECT id FROM profiles WHERE name = ?", (name,)).fetchone()[0]

    def ensure(self, name: str) -> int:
        """Create the profile if needed; return its id."""
        with self._store.write() as conn:
            return self.id_in(conn, name)

    def names(self) -> list[str]:
        """All profile names, sorted."""
        return [row["name"] for row in self._store.read("SELECT name FROM profiles ORDER BY name")]

    def delete(self, name: str) -> bool:
        """Delete a profile and all its progress. True if it existed."""
        with self._store.write() as conn:
            return conn.execute("DELETE FROM profiles WHERE name = ?", (check_profile(name),)).rowcount > 0

    def clear_progress(self, conn: sqlite3.Connection, profile_id: int) -> None:
        """Delete every record of the profile but the profile itself; call inside a write transaction."""
        for table in self.PROGRESS_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE profile_id = ?", (profile_id,))


class _PerQuestion(_Repository):
    """Records with at most one row per profile and question; `insert` saves one, `entries` lists them."""

    TABLE = ""
    COLUMNS: tuple[str, ...] = ()  # the columns after question_id, as `insert` takes them

    def _put(self, profile: str, question_id: str, values: tuple | None) -> None:
        """Save the question's row with `values`, or delete it when values is None."""
        check_question_id(question_id)
        with self._store.write() as conn:
            profile_id = Profiles.id_in(conn, profile)
            if values is None:
                conn.execute(f"DELETE FROM {self.TABLE} WHERE profile_id = ? AND question_id = ?",
                             (profile_id, question_id))
            else:
                self.insert(conn, profile_id, question_id, *values)

    def entries(self, profile: str) -> list[dict]:
        """The profile's rows by question id: question_id and COLUMNS."""
        columns = ", ".join(f"t.{column}" for column in ("question_id", *self.COLUMNS))
        rows = self._store.read(
            f"SELECT {columns} FROM {self.TABLE} t JOIN profiles p ON p.id = t.profile_id "
            "WHERE p.name = ? ORDER BY t.question_id",
            (check_profile(profile),),
        )
        return [dict(row) for row in rows]


class Bookmarks(_PerQuestion):
    """The questions a profile bookmarked."""

    TABLE, COLUMNS = "bookmarks", ("created_at",)

    def set(self, profile: str, question_id: str, on: bool) -> None:
        """Bookmark the question (on) or remove its bookmark."""
        self._put(profile, question_id, (now_iso(),) if on else None)

    def insert(self, conn: sqlite3.Connection, profile_id: int, question_id: str, created_at: str) -> None:
        """Bookmark the question unless it already is; call inside a write transaction."""
        conn.execute(
            "INSERT OR IGNORE INTO bookmarks(profile_id, question_id, created_at) VALUES (?, ?, ?)",
            (profile_id, question_id, created_at),
        )

    def ids(self, profile: str) -> set[str]:
        """The bookmarked question ids."""
        return {entry["question_id"] for entry in self.entries(profile)}


class Notes(_PerQuestion):
    """A profile's personal note on a question (one per question)."""

    TABLE, COLUMNS = "notes", ("text", "updated_at")

    def set(self, profile: str, question_id: str, text: str) -> None:
        """Save the personal note of a question; empty (or whitespace) text deletes it."""
        text = text or ""
        self._put(profile, question_id, (text, now_iso()) if text.strip() else None)

    def insert(self, conn: sqlite3.Connection, profile_id: int, question_id: str, text: str, updated_at: str) -> None:
        """Save the note, replacing the previous one; call inside a write transaction."""
        conn.execute(
            "INSERT INTO notes(profile_id, question_id, text, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(profile_id, question_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
            (profile_id, question_id, text, updated_at),
        )

    def get(self, profile: str, question_id: str) -> str:
        """The note of a question, "" if none."""
        rows = self._store.read(
            "SELECT n.text FROM notes n JOIN profiles p ON p.id = n.profile_id WHERE p.name = ? AND n.question_id = ?",
            (check_profile(profile), check_question_id(question_id)),
        )
        return rows[0]["text"] if rows else ""

    def all(self, profile: str) -> dict[str, str]:
        """question_id -> note text."""
        return {entry["question_id"]: entry["text"] for entry in self.entries(profile)}


class Quizzes(_Repository):
    """Graded multiple-choice quizzes."""

    def record(self, profile: str, topic: str | None, question_ids: list[str], answers: dict, score: int, total: int,
               taken_at: datetime | None = None) -> int:
        """Save a graded quiz; returns its id. `answers` must be JSON-serialisable (question_id -> chosen options)."""
        _check_part("score", score, total)
        return self._insert_for(profile, topic, question_ids, answers, score, total, stored_time(taken_at))

    @staticmethod
    def insert(conn: sqlite3.Connection, profile_id: int, topic: str | None, question_ids: list[str], answers: dict,
               score: int, total: int, taken_at: str) -> int:
        """Save a quiz; returns its id. Call inside a write transaction."""
        cursor = conn.execute(
            "INSERT INTO quiz_results(profile_id, topic, question_ids_json, answers_json, score, total, taken_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (profile_id, topic, json.dumps(list(question_ids), ensure_ascii=False),
             json.dumps(answers, ensure_ascii=False, sort_keys=True), int(score), int(total), taken_at),
        )
        return int(cursor.lastrowid)

    def results(self, profile: str) -> list[dict]:
        """Quizzes oldest first: id, topic, question_ids, answers, score, total, taken_at."""
        rows = self._store.read(
            "SELECT q.id, q.topic, q.question_ids_json, q.answers_json, q.score, q.total, q.taken_at "
            "FROM quiz_results q JOIN profiles p ON p.id = q.profile_id WHERE p.name = ? ORDER BY q.taken_at, q.id",
            (check_profile(profile),),
        )
        return [
            {"id": row["id"], "topic": row["topic"], "question_ids": json.loads(row["question_ids_json"]),
             "answers": json.loads(row["answers_json"]), "score": row["score"], "total": row["total"],
             "taken_at": row["taken_at"]}
            for row in rows
        ]


class Mocks(_Repository):
    """Mock interviews: a session and its items (question, answer, seconds, rating) in order."""

    def record(self, profile: str, items: list[dict], taken_at: datetime | None = None) -> int:
        """Save a mock interview; returns its id. Each item: question_id, answer_text, seconds, rating (1-4 or None).

        An item may also carry `card` (fsrs.Card) and `log` (fsrs.ReviewLog), the chosen scheduler preview: the review
        is then saved with source "mock" in the same transaction, so the session and its grades land together.
        """
        when = stored_time(taken_at)
        for position, item in enumerate(items):
            check_question_id(item.get("question_id"))
            rating = item.get("rating")
            if rating is not None and int(rating) not in (1, 2, 3, 4):
                raise ValueError(f"items[{position}].rating must be 1-4 or None, got {rating!r}")
            if ("card" in item) != ("log" in item):
                raise ValueError(f"items[{position}] must carry both card and log, or neither")
        with self._store.write() as conn:
            profile_id = Profiles.id_in(conn, profile)
            session_id = self.insert(conn, profile_id, items, when)
            for item in items:
                if "card" in item:
                    self._store.reviews.insert(conn, profile_id, item["question_id"], item["card"], item["log"],
                                               item.get("answer_text"), "mock")
            return session_id

    @staticmethod
    def insert(conn: sqlite3.Connection, profile_id: int, items: list[dict], taken_at: str) -> int:
        """Save a session and its items (their question_id, answer_text, seconds, rating); returns its id."""
        session_id = conn.execute(
            "INSERT INTO mock_sessions(profile_id, taken_at) VALUES (?, ?)", (profile_id, taken_at)
        ).lastrowid
        for position, item in enumerate(items):
            rating, seconds = item.get("rating"), item.get("seconds")
            conn.execute(
                "INSERT INTO mock_items(session_id, position, question_id, answer_text, seconds, rating) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, position, item["question_id"], item.get("answer_text"),
                 float(seconds) if seconds is not None else None, int(rating) if rating is not None else None),
            )
        return int(session_id)

    def sessions(self, profile: str) -> list[dict]:
        """Mock interviews oldest first: id, taken_at, items [{question_id, answer_text, seconds, rating}]."""
        sessions = self._store.read(
            "SELECT m.id, m.taken_at FROM mock_sessions m JOIN profiles p ON p.id = m.profile_id "
            "WHERE p.name = ? ORDER BY m.taken_at, m.id",
            (check_profile(profile),),
        )
        items = self._store.read(
            "SELECT i.session_id, i.question_id, i.answer_text, i.seconds, i.rating FROM mock_items i "
            "JOIN mock_sessions m ON m.id = i.session_id JOIN profiles p ON p.id = m.profile_id "
            "WHERE p.name = ? ORDER BY i.session_id, i.position",
            (profile,),
        )
        by_session: dict[int, list[dict]] = {}
        for row in items:
            item = dict(row)
            by_session.setdefault(item.pop("session_id"), []).append(item)
        return [
            {"id": row["id"], "taken_at": row["taken_at"], "items": by_session.get(row["id"], [])} for row in sessions
        ]


class Attempts(_Repository):
    """Runs of an exercise's tests."""

    def record(self, profile: str, slug: str, status: str, passed: int, total: int, code: str | None,
               attempted_at: datetime | None = None) -> int:
        """Save one run of an exercise's tests (status: pass | fail | error); returns its id."""
        if not slug:
            raise ValueError("slug must be a non-empty string")
        _check_part("passed", passed, total)
        return self._insert_for(profile, slug, status, passed, total, code, stored_time(attempted_at))

    @staticmethod
    def insert(conn: sqlite3.Connection, profile_id: int, slug: str, status: str, passed: int, total: int,
               code: str | None, attempted_at: str) -> int:
        """Save one attempt; returns its id. Call inside a write transaction."""
        cursor = conn.execute(
            "INSERT INTO exercise_attempts(profile_id, slug, status, passed, total, code, attempted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (profile_id, slug, status, int(passed), int(total), code, attempted_at),
        )
        return int(cursor.lastrowid)

    def list(self, profile: str, slug: str | None = None) -> list[dict]:
        """Attempts oldest first (of one exercise if `slug` is given): id, slug, status, passed, total, code,
        attempted_at."""
        sql = (
            "SELECT e.id, e.slug, e.status, e.passed, e.total, e.code, e.attempted_at FROM exercise_attempts e "
            "JOIN profiles p ON p.id = e.profile_id WHERE p.name = ?"
        )
        params: tuple = (check_profile(profile),)
        if slug is not None:
            sql += " AND e.slug = ?"
            params += (slug,)
        return [dict(row) for row in self._store.read(sql + " ORDER BY e.attempted_at, e.id", params)]


class StudyPlans(_Repository):
    """Each profile's study plan settings: the interview date (optional) and the daily limits."""

    def get(self, profile: str) -> dict | None:
        """{interview_date ("YYYY-MM-DD" or None), daily_minutes, new_per_day, review_limit}, or None when unset."""
        rows = self._store.read(
            "SELECT s.interview_date, s.daily_minutes, s.new_per_day, s.review_limit FROM study_plans s "
            "JOIN profiles p ON p.id = s.profile_id WHERE p.name = ?",
            (check_profile(profile),),
        )
        return dict(rows[0]) if rows else None

    def set(self, profile: str, interview_date: str | None, daily_minutes: int, new_per_day: int,
            review_limit: int) -> None:
        """Save the profile's plan settings, replacing the previous ones."""
        self.check(interview_date, daily_minutes, new_per_day, review_limit)
        self._insert_for(profile, interview_date, daily_minutes, new_per_day, review_limit)

    @staticmethod
    def check(interview_date: str | None, daily_minutes: int, new_per_day: int, review_limit: int) -> None:
        """ValueError naming the first bad setting (the app's save and the import both check with this)."""
        if interview_date is not None:
            try:
                date.fromisoformat(interview_date)
            except (TypeError, ValueError) as error:
                raise ValueError(f"interview_date ({interview_date!r}) must be a date as YYYY-MM-DD") from error
        for name, value, low in (("daily_minutes", daily_minutes, 1), ("new_per_day", new_per_day, 0),
                                 ("review_limit", review_limit, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} ({value!r}) must be an integer >= {low}")

    @staticmethod
    def insert(conn: sqlite3.Connection, profile_id: int, interview_date: str | None, daily_minutes: int,
               new_per_day: int, review_limit: int) -> None:
        """Save the plan settings of the profile; call inside a write transaction."""
        conn.execute(
            "INSERT INTO study_plans(profile_id, interview_date, daily_minutes, new_per_day, review_limit, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(profile_id) DO UPDATE SET interview_date = excluded.interview_date, "
            "daily_minutes = excluded.daily_minutes, new_per_day = excluded.new_per_day, "
            "review_limit = excluded.review_limit, updated_at = excluded.updated_at",
            (profile_id, interview_date, daily_minutes, new_per_day, review_limit, now_iso()),
        )
class Experiments(_Repository):
    """The sandbox's guided experiments a profile started and passed (one row each; a pass is kept once reached)."""

    def start(self, profile: str, experiment_id: str, when: datetime | None = None) -> None:
        """Note that the profile opened the experiment (the first time counts)."""
        self._insert_for(profile, _check_experiment_id(experiment_id), stored_time(when), None)

    def mark_passed(self, profile: str, experiment_id: str, when: datetime | None = None) -> None:
        """Note that the profile reached the experiment's goal (the first pass counts)."""
        moment = stored_time(when)
        self._insert_for(profile, _check_experiment_id(experiment_id), moment, moment)

    @staticmethod
    def insert(conn: sqlite3.Connection, profile_id: int, experiment_id: str, started_at: str,
               passed_at: str | None) -> None:
        """Save a start or a pass; earlier times win. Call inside a write transaction."""
        conn.execute(
            "INSERT INTO experiment_progress(profile_id, experiment_id, started_at, passed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(profile_id, experiment_id) DO UPDATE SET "
            "started_at = min(started_at, excluded.started_at), "
            "passed_at = coalesce(min(passed_at, excluded.passed_at), passed_at, excluded.passed_at)",
            (profile_id, experiment_id, started_at, passed_at),
        )

    def progress(self, profile: str) -> dict[str, dict]:
        """experiment_id -> {"started_at", "passed_at" (None until passed)}."""
        rows = self._store.read(
            "SELECT e.experiment_id, e.started_at, e.passed_at FROM experiment_progress e "
            "JOIN profiles p ON p.id = e.profile_id WHERE p.name = ? ORDER BY e.experiment_id",
            (check_profile(profile),),
        )
        return {row["experiment_id"]: {"started_at": row["started_at"], "passed_at": row["passed_at"]} for row in rows}


def _check_experiment_id(experiment_id: str) -> str:
    if not isinstance(experiment_id, str) or not experiment_id:
        raise ValueError(f"experiment_id must be a non-empty string, got {experiment_id!r}")
    return experiment_id
