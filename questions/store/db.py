"""SQLite progress store: profiles, FSRS cards, review log, bookmarks, notes, quizzes, mock interviews, exercise attempts.

Safety decisions (the README's "Where progress lives" section says the same to users):
- WAL journal mode: readers never block the writer, so several Streamlit sessions (threads) and processes can work at once.
- `synchronous=FULL`: a commit is fsynced before `record_review` returns, so a saved review survives a power cut as
  well as a killed server. NORMAL would only survive a killed process; a review is a person's work and the app commits
  about one transaction every few seconds, so the fsync costs nothing anyone notices (README has the measured latency).
- Every write is one `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two writers queue on
  `busy_timeout` instead of failing with "database is locked" when a read transaction tries to upgrade.
- A file that is not a SQLite database, fails `PRAGMA quick_check`, cannot be read, or has a newer schema version
  raises StoreError naming the path; the file is never written, overwritten or deleted in that case.
- Schema version in `PRAGMA user_version`; MIGRATIONS run in order, each in its own transaction, and an existing file is
  copied to `<name>.v<old>.bak` (SQLite backup API) before it is migrated.
- One connection per thread (Streamlit runs each session's script in its own thread); a connection is never shared
  between threads or carried across `fork()`.
- Profiles isolate data: every table carries `profile_id` and every query filters on it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from fsrs import Card, Rating, ReviewLog

DB_ENV_VAR = "MOE_LAB_DB"
APP_DIR_NAME = "moe-interview-lab"
DB_FILE_NAME = "progress.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000
REVIEW_SOURCES = ("practice", "mock")
EXPORT_FORMAT = "moe-interview-lab-progress"
EXPORT_VERSION = 1
MAX_PROFILE_NAME = 200

# Ordered migrations: MIGRATIONS[i] takes the schema from version i to version i + 1.
# v1 (first release): profiles, cards, review_log without `source`, quizzes, mock interviews, exercise attempts.
# v2: review_log.source (practice | mock; old rows are practice), bookmarks and notes tables.
_MIGRATION_V1 = """
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE cards (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    card_json TEXT NOT NULL,
    due TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
CREATE INDEX cards_by_due ON cards(profile_id, due);
CREATE TABLE review_log (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    review_datetime TEXT NOT NULL,
    answer_text TEXT,
    log_json TEXT NOT NULL
);
CREATE INDEX review_log_by_time ON review_log(profile_id, review_datetime);
CREATE TABLE quiz_results (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    topic TEXT,
    question_ids_json TEXT NOT NULL,
    answers_json TEXT NOT NULL,
    score INTEGER NOT NULL,
    total INTEGER NOT NULL,
    taken_at TEXT NOT NULL
);
CREATE INDEX quiz_results_by_profile ON quiz_results(profile_id, taken_at);
CREATE TABLE mock_sessions (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    taken_at TEXT NOT NULL
);
CREATE INDEX mock_sessions_by_profile ON mock_sessions(profile_id, taken_at);
CREATE TABLE mock_items (
    session_id INTEGER NOT NULL REFERENCES mock_sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    answer_text TEXT,
    seconds REAL,
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 4),
    PRIMARY KEY (session_id, position)
);
CREATE TABLE exercise_attempts (
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    passed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    code TEXT,
    attempted_at TEXT NOT NULL
);
CREATE INDEX exercise_attempts_by_profile ON exercise_attempts(profile_id, slug, attempted_at);
"""

_MIGRATION_V2 = """
ALTER TABLE review_log ADD COLUMN source TEXT NOT NULL DEFAULT 'practice' CHECK (source IN ('practice', 'mock'));
CREATE TABLE bookmarks (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
CREATE TABLE notes (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (profile_id, question_id)
);
"""

MIGRATIONS: tuple[str, ...] = (_MIGRATION_V1, _MIGRATION_V2)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The progress database cannot be used as it is (corrupt, unreadable, newer schema); the message names the file."""


class ProgressFormatError(ValueError):
    """An imported progress document is invalid; the message names the offending field (e.g. `review_log[3].rating`)."""


def default_db_path() -> Path:
    """$MOE_LAB_DB, else $XDG_DATA_HOME (or ~/.local/share)/moe-interview-lab/progress.sqlite3; creates the folder."""
    override = os.environ.get(DB_ENV_VAR, "").strip()
    if override:
        path = Path(override).expanduser()
    else:
        data_home = os.environ.get("XDG_DATA_HOME", "").strip()
        base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
        path = base / APP_DIR_NAME / DB_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def utc_iso(moment: datetime) -> str:
    """One fixed ISO format for stored times, so string order is time order: 2026-01-02T03:04:05.000006+00:00."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment.isoformat()} must be timezone-aware (UTC)")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _now_iso() -> str:
    return utc_iso(datetime.now(timezone.utc))


def _check_profile(profile: str) -> str:
    if not isinstance(profile, str) or not profile.strip():
        raise ValueError(f"profile must be a non-empty string, got {profile!r}")
    if len(profile) > MAX_PROFILE_NAME:
        raise ValueError(f"profile name is {len(profile)} characters long; the limit is {MAX_PROFILE_NAME}")
    return profile


def _check_question_id(question_id: str) -> str:
    if not isinstance(question_id, str) or not question_id:
        raise ValueError(f"question_id must be a non-empty string, got {question_id!r}")
    return question_id


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class Store:
    """The progress database. Methods take the profile *name*; a write creates the profile on first use."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self._local = threading.local()
        self._inherited: list[sqlite3.Connection] = []
        self._check_file_before_open()
        try:
            # Check the file before anything may write to it (switching to WAL rewrites the header).
            conn = self._open()
            try:
                self._check_integrity(conn)
                self._check_version(conn)
                self._configure(conn)
            except BaseException:
                conn.close()
                raise
            self._local.conn, self._local.pid = conn, os.getpid()
            self._migrate(conn)
        except StoreError:
            self.close()
            raise
        except sqlite3.Error as error:
            self.close()
            raise StoreError(self._explain(error)) from error

    # ---------------------------------------------------------------- opening, checks, migrations
    def _explain(self, error: BaseException) -> str:
        return (
            f"progress database {self.path} is corrupt or unreadable ({error}); it was left untouched. "
            f"Move it aside (or restore a backup) to start fresh, or set {DB_ENV_VAR} to another file."
        )

    def _check_file_before_open(self) -> None:
        """Reject non-files and non-SQLite files without letting SQLite touch them (it could write a WAL header)."""
        if not self.path.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder for progress database {self.path}: {error}") from error
            return
        if not self.path.is_file():
            raise StoreError(
                f"progress database path {self.path} exists but is not a regular file; "
                f"point {DB_ENV_VAR} at a file path"
            )
        try:
            with open(self.path, "rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
        except OSError as error:
            raise StoreError(
                f"progress database {self.path} cannot be read ({error.strerror or error}); "
                f"fix its permissions or set {DB_ENV_VAR} to another file"
            ) from error
        # A zero-byte file is what SQLite itself creates before the first write: treat it as a new database.
        if header and header != SQLITE_HEADER:
            raise StoreError(
                f"progress database {self.path} is not a SQLite database (unexpected file header); it was left "
                f"untouched. Move it aside to start fresh, or set {DB_ENV_VAR} to another file."
            )

    def _check_integrity(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        problems = [line for row in rows if row[0] != "ok" for line in str(row[0]).splitlines() if line.strip()]
        if problems:
            shown = "; ".join(problems[:3]) + (f"; ... {len(problems) - 3} more" if len(problems) > 3 else "")
            raise StoreError(
                f"progress database {self.path} is corrupt (quick_check: {shown}); it was left untouched. "
                f"Restore a backup or move it aside to start fresh, or set {DB_ENV_VAR} to another file."
            )

    def _check_version(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"progress database {self.path} has schema version {version}, newer than this app understands "
                f"({SCHEMA_VERSION}); it was written by a newer MoE Interview Lab. Upgrade the app, or set "
                f"{DB_ENV_VAR} to another file. The file was left untouched."
            )
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise StoreError(
                    f"{self.path} is a SQLite database of another program (it has tables but no MoE Interview Lab "
                    f"schema version); it was left untouched. Set {DB_ENV_VAR} to another file."
                )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            self._backup_before_migration(conn, version)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._write() as tx:
                # Another process may have migrated while we waited for the write lock.
                current = tx.execute("PRAGMA user_version").fetchone()[0]
                if current >= target:
                    continue
                if current != target - 1:
                    raise StoreError(f"progress database {self.path}: expected schema v{target - 1}, found v{current}")
                for statement in _split_sql(MIGRATIONS[target - 1]):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {int(target)}")

    def _backup_before_migration(self, conn: sqlite3.Connection, version: int) -> None:
        backup_path = self.path.with_name(f"{self.path.name}.v{version}.bak")
        if backup_path.exists():
            return
        target = sqlite3.connect(backup_path)
        try:
            conn.backup(target)
        finally:
            target.close()

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; we issue BEGIN IMMEDIATE / COMMIT ourselves.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"progress database {self.path}: could not switch to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; a fresh one after fork, never one inherited from a parent)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid():
                return conn
            self._keep_inherited(conn)
        try:
            conn = self._open()
            try:
                self._configure(conn)
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as error:
            raise StoreError(self._explain(error)) from error
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid():
                conn.close()
            else:
                self._keep_inherited(conn)
        self._local.conn = None

    def _keep_inherited(self, conn: sqlite3.Connection) -> None:
        # A connection inherited through fork() belongs to the parent: closing it here could checkpoint or unlink the
        # parent's WAL, so it is kept referenced and never used or closed in this process.
        self._inherited.append(conn)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front and waits up to busy_timeout."""
        conn = self._connection()
        for attempt in range(3):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or attempt == 2:
                    raise StoreError(
                        f"progress database {self.path} stayed locked by another writer for "
                        f"{BUSY_TIMEOUT_MS // 1000} s: {error}"
                    ) from error
                time.sleep(0.05 * (attempt + 1))
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as error:
            # SQLite may already have rolled back (e.g. disk full); a second ROLLBACK would hide the real error.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                # Pages catch StoreError: a file damaged or removed while the app runs gets the same clear message.
                raise StoreError(
                    f"progress database {self.path}: the write failed and was rolled back ({error})"
                ) from error
            raise

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise StoreError(f"progress database {self.path}: reading failed ({error})") from error

    # ---------------------------------------------------------------- profiles
    @staticmethod
    def _profile_id(conn: sqlite3.Connection, profile: str) -> int:
        """The profile's id, creating it; call inside a write transaction."""
        conn.execute(
            "INSERT OR IGNORE INTO profiles(name, created_at) VALUES (?, ?)", (_check_profile(profile), _now_iso())
        )
        return conn.execute("SELECT id FROM profiles WHERE name = ?", (profile,)).fetchone()[0]

    def ensure_profile(self, name: str) -> int:
        """Create the profile if needed; return its id."""
        with self._write() as conn:
            return self._profile_id(conn, name)

    def profiles(self) -> list[str]:
        """All profile names, sorted."""
        return [row["name"] for row in self._read("SELECT name FROM profiles ORDER BY name")]

    def delete_profile(self, name: str) -> bool:
        """Delete a profile and all its progress. True if it existed."""
        with self._write() as conn:
            return conn.execute("DELETE FROM profiles WHERE name = ?", (_check_profile(name),)).rowcount > 0

    # ---------------------------------------------------------------- cards and reviews
    def get_card(self, profile: str, question_id: str) -> Card | None:
        """The FSRS card of a question, or None if it was never reviewed by this profile."""
        rows = self._read(
            "SELECT c.card_json FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? AND c.question_id = ?",
            (_check_profile(profile), _check_question_id(question_id)),
        )
        return Card.from_json(rows[0]["card_json"]) if rows else None

    def cards(self, profile: str) -> dict[str, Card]:
        """question_id -> Card for every question this profile has reviewed."""
        rows = self._read(
            "SELECT c.question_id, c.card_json FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? ORDER BY c.question_id",
            (_check_profile(profile),),
        )
        return {row["question_id"]: Card.from_json(row["card_json"]) for row in rows}

    @staticmethod
    def _insert_review(
        conn: sqlite3.Connection,
        profile_id: int,
        question_id: str,
        card: Card,
        log: ReviewLog,
        answer_text: str | None,
        source: str,
    ) -> None:
        if source not in REVIEW_SOURCES:
            raise ValueError(f"source must be one of {REVIEW_SOURCES}, got {source!r}")
        if not isinstance(card, Card) or not isinstance(log, ReviewLog):
            raise TypeError("card must be an fsrs.Card and log an fsrs.ReviewLog")
        if log.card_id != card.card_id:
            raise ValueError(f"log.card_id ({log.card_id}) must equal card.card_id ({card.card_id})")
        conn.execute(
            "INSERT INTO cards(profile_id, question_id, card_json, due, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(profile_id, question_id) DO UPDATE SET "
            "card_json = excluded.card_json, due = excluded.due, updated_at = excluded.updated_at",
            (profile_id, question_id, card.to_json(), utc_iso(card.due), _now_iso()),
        )
        conn.execute(
            "INSERT INTO review_log(profile_id, question_id, rating, review_datetime, source, answer_text, log_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                profile_id,
                question_id,
                int(log.rating),
                utc_iso(log.review_datetime),
                source,
                answer_text,
                log.to_json(),
            ),
        )

    def record_review(
        self,
        profile: str,
        question_id: str,
        card: Card,
        log: ReviewLog,
        answer_text: str | None = None,
        source: str = "practice",
    ) -> None:
        """Save the reviewed card and its log in one transaction (both or neither)."""
        _check_question_id(question_id)
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            self._insert_review(conn, profile_id, question_id, card, log, answer_text, source)

    def review_logs(self, profile: str) -> list[dict]:
        """Every review of the profile, oldest first: question_id, rating (1-4), review_datetime (UTC ISO), source,
        answer_text."""
        rows = self._read(
            "SELECT r.question_id, r.rating, r.review_datetime, r.source, r.answer_text FROM review_log r "
            "JOIN profiles p ON p.id = r.profile_id WHERE p.name = ? ORDER BY r.review_datetime, r.id",
            (_check_profile(profile),),
        )
        return [dict(row) for row in rows]

    def due_question_ids(self, profile: str, now: datetime) -> list[str]:
        """Questions whose card is due at or before `now`, most overdue first (never-seen questions are not here)."""
        rows = self._read(
            "SELECT c.question_id FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? AND c.due <= ? ORDER BY c.due, c.question_id",
            (_check_profile(profile), utc_iso(now)),
        )
        return [row["question_id"] for row in rows]

    # ---------------------------------------------------------------- bookmarks and notes
    def set_bookmark(self, profile: str, question_id: str, on: bool) -> None:
        _check_question_id(question_id)
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            if on:
                conn.execute(
                    "INSERT OR IGNORE INTO bookmarks(profile_id, question_id, created_at) VALUES (?, ?, ?)",
                    (profile_id, question_id, _now_iso()),
                )
            else:
                conn.execute(
                    "DELETE FROM bookmarks WHERE profile_id = ? AND question_id = ?", (profile_id, question_id)
                )

    def bookmarks(self, profile: str) -> set[str]:
        rows = self._read(
            "SELECT b.question_id FROM bookmarks b JOIN profiles p ON p.id = b.profile_id WHERE p.name = ?",
            (_check_profile(profile),),
        )
        return {row["question_id"] for row in rows}

    def set_note(self, profile: str, question_id: str, text: str) -> None:
        """Save the personal note of a question; empty (or whitespace) text deletes it."""
        _check_question_id(question_id)
        text = text or ""
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            if text.strip():
                conn.execute(
                    "INSERT INTO notes(profile_id, question_id, text, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(profile_id, question_id) DO UPDATE SET text = excluded.text, "
                    "updated_at = excluded.updated_at",
                    (profile_id, question_id, text, _now_iso()),
                )
            else:
                conn.execute("DELETE FROM notes WHERE profile_id = ? AND question_id = ?", (profile_id, question_id))

    def note(self, profile: str, question_id: str) -> str:
        """The note of a question, "" if none."""
        rows = self._read(
            "SELECT n.text FROM notes n JOIN profiles p ON p.id = n.profile_id WHERE p.name = ? AND n.question_id = ?",
            (_check_profile(profile), _check_question_id(question_id)),
        )
        return rows[0]["text"] if rows else ""

    def notes(self, profile: str) -> dict[str, str]:
        """question_id -> note text."""
        rows = self._read(
            "SELECT n.question_id, n.text FROM notes n JOIN profiles p ON p.id = n.profile_id WHERE p.name = ?",
            (_check_profile(profile),),
        )
        return {row["question_id"]: row["text"] for row in rows}

    # ---------------------------------------------------------------- quizzes
    def record_quiz(
        self,
        profile: str,
        topic: str | None,
        question_ids: list[str],
        answers: dict,
        score: int,
        total: int,
        taken_at: datetime | None = None,
    ) -> int:
        """Save a graded quiz; returns its id. `answers` must be JSON-serialisable (question_id -> chosen options)."""
        if not 0 <= int(score) <= int(total):
            raise ValueError(f"score ({score}) must be between 0 and total ({total})")
        when = utc_iso(taken_at) if taken_at is not None else _now_iso()
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            cursor = conn.execute(
                "INSERT INTO quiz_results(profile_id, topic, question_ids_json, answers_json, score, total, taken_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    profile_id,
                    topic,
                    json.dumps(list(question_ids), ensure_ascii=False),
                    json.dumps(answers, ensure_ascii=False, sort_keys=True),
                    int(score),
                    int(total),
                    when,
                ),
            )
            return int(cursor.lastrowid)

    def quiz_results(self, profile: str) -> list[dict]:
        """Quizzes oldest first: id, topic, question_ids, answers, score, total, taken_at."""
        rows = self._read(
            "SELECT q.id, q.topic, q.question_ids_json, q.answers_json, q.score, q.total, q.taken_at "
            "FROM quiz_results q JOIN profiles p ON p.id = q.profile_id WHERE p.name = ? ORDER BY q.taken_at, q.id",
            (_check_profile(profile),),
        )
        return [
            {
                "id": row["id"],
                "topic": row["topic"],
                "question_ids": json.loads(row["question_ids_json"]),
                "answers": json.loads(row["answers_json"]),
                "score": row["score"],
                "total": row["total"],
                "taken_at": row["taken_at"],
            }
            for row in rows
        ]

    # ---------------------------------------------------------------- mock interviews
    def record_mock(self, profile: str, items: list[dict], taken_at: datetime | None = None) -> int:
        """Save a mock interview; returns its id. Each item: question_id, answer_text, seconds, rating (1-4 or None).

        An item may also carry `card` (fsrs.Card) and `log` (fsrs.ReviewLog), the chosen scheduler preview: the review is
        then saved with source "mock" in the same transaction, so the session and its grades land together.
        """
        when = utc_iso(taken_at) if taken_at is not None else _now_iso()
        for position, item in enumerate(items):
            _check_question_id(item.get("question_id"))
            rating = item.get("rating")
            if rating is not None and int(rating) not in (1, 2, 3, 4):
                raise ValueError(f"items[{position}].rating must be 1-4 or None, got {rating!r}")
            if ("card" in item) != ("log" in item):
                raise ValueError(f"items[{position}] must carry both card and log, or neither")
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            session_id = conn.execute(
                "INSERT INTO mock_sessions(profile_id, taken_at) VALUES (?, ?)", (profile_id, when)
            ).lastrowid
            for position, item in enumerate(items):
                rating = item.get("rating")
                seconds = item.get("seconds")
                conn.execute(
                    "INSERT INTO mock_items(session_id, position, question_id, answer_text, seconds, rating) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        position,
                        item["question_id"],
                        item.get("answer_text"),
                        float(seconds) if seconds is not None else None,
                        int(rating) if rating is not None else None,
                    ),
                )
                if "card" in item:
                    self._insert_review(
                        conn, profile_id, item["question_id"], item["card"], item["log"], item.get("answer_text"),
                        "mock",
                    )
            return int(session_id)

    def mock_sessions(self, profile: str) -> list[dict]:
        """Mock interviews oldest first: id, taken_at, items [{question_id, answer_text, seconds, rating}]."""
        sessions = self._read(
            "SELECT m.id, m.taken_at FROM mock_sessions m JOIN profiles p ON p.id = m.profile_id "
            "WHERE p.name = ? ORDER BY m.taken_at, m.id",
            (_check_profile(profile),),
        )
        items = self._read(
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

    # ---------------------------------------------------------------- exercise attempts
    def record_exercise_attempt(
        self,
        profile: str,
        slug: str,
        status: str,
        passed: int,
        total: int,
        code: str | None,
        attempted_at: datetime | None = None,
    ) -> int:
        """Save one run of an exercise's tests (status: pass | fail | error); returns its id."""
        if not slug:
            raise ValueError("slug must be a non-empty string")
        if not 0 <= int(passed) <= int(total):
            raise ValueError(f"passed ({passed}) must be between 0 and total ({total})")
        when = utc_iso(attempted_at) if attempted_at is not None else _now_iso()
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            cursor = conn.execute(
                "INSERT INTO exercise_attempts(profile_id, slug, status, passed, total, code, attempted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (profile_id, slug, status, int(passed), int(total), code, when),
            )
            return int(cursor.lastrowid)

    def exercise_attempts(self, profile: str, slug: str | None = None) -> list[dict]:
        """Attempts oldest first: id, slug, status, passed, total, code, attempted_at."""
        sql = (
            "SELECT e.id, e.slug, e.status, e.passed, e.total, e.code, e.attempted_at FROM exercise_attempts e "
            "JOIN profiles p ON p.id = e.profile_id WHERE p.name = ?"
        )
        params: tuple = (_check_profile(profile),)
        if slug is not None:
            sql += " AND e.slug = ?"
            params += (slug,)
        return [dict(row) for row in self._read(sql + " ORDER BY e.attempted_at, e.id", params)]

    # ---------------------------------------------------------------- backup, export, import
    def backup(self, destination: str | os.PathLike[str]) -> Path:
        """Copy the whole database (every profile) to `destination` with SQLite's online backup API."""
        destination = Path(destination)
        if destination.resolve() == self.path.resolve():
            raise ValueError(f"backup destination {destination} is the database itself")
        target = sqlite3.connect(destination)
        try:
            self._connection().backup(target)
        finally:
            target.close()
        return destination

    def export_profile(self, profile: str) -> dict:
        """All progress of one profile as a JSON-serialisable dict (format EXPORT_FORMAT, version EXPORT_VERSION)."""
        _check_profile(profile)
        conn = self._connection()
        # One read transaction, so the export is a consistent snapshot even while other sessions write.
        conn.execute("BEGIN")
        try:
            cards = self._read(
                "SELECT c.question_id, c.card_json FROM cards c JOIN profiles p ON p.id = c.profile_id "
                "WHERE p.name = ? ORDER BY c.question_id",
                (profile,),
            )
            logs = self._read(
                "SELECT r.question_id, r.rating, r.review_datetime, r.source, r.answer_text, r.log_json "
                "FROM review_log r JOIN profiles p ON p.id = r.profile_id WHERE p.name = ? "
                "ORDER BY r.review_datetime, r.id",
                (profile,),
            )
            bookmarks = self._read(
                "SELECT b.question_id, b.created_at FROM bookmarks b JOIN profiles p ON p.id = b.profile_id "
                "WHERE p.name = ? ORDER BY b.question_id",
                (profile,),
            )
            notes = self._read(
                "SELECT n.question_id, n.text, n.updated_at FROM notes n JOIN profiles p ON p.id = n.profile_id "
                "WHERE p.name = ? ORDER BY n.question_id",
                (profile,),
            )
            quizzes = self.quiz_results(profile)
            mocks = self.mock_sessions(profile)
            attempts = self.exercise_attempts(profile)
        finally:
            conn.execute("COMMIT")
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "schema_version": SCHEMA_VERSION,
            "exported_at": _now_iso(),
            "profile": profile,
            "cards": [{"question_id": row["question_id"], "card": json.loads(row["card_json"])} for row in cards],
            "review_log": [
                {
                    "question_id": row["question_id"],
                    "rating": row["rating"],
                    "review_datetime": row["review_datetime"],
                    "source": row["source"],
                    "answer_text": row["answer_text"],
                    "log": json.loads(row["log_json"]),
                }
                for row in logs
            ],
            "bookmarks": [dict(row) for row in bookmarks],
            "notes": [dict(row) for row in notes],
            "quiz_results": [{key: value for key, value in quiz.items() if key != "id"} for quiz in quizzes],
            "mock_sessions": [{key: value for key, value in mock.items() if key != "id"} for mock in mocks],
            "exercise_attempts": [
                {key: value for key, value in attempt.items() if key != "id"} for attempt in attempts
            ],
        }

    def import_profile(self, profile: str, data: dict) -> None:
        """Replace all progress of `profile` with an export (validated first; one transaction; nothing changes on error).

        The export may come from another profile name: it is imported under `profile`.
        """
        _check_profile(profile)
        parsed = validate_export(data)
        with self._write() as conn:
            profile_id = self._profile_id(conn, profile)
            for table in ("cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions",
                          "exercise_attempts"):
                conn.execute(f"DELETE FROM {table} WHERE profile_id = ?", (profile_id,))
            for question_id, card in parsed["cards"]:
                conn.execute(
                    "INSERT INTO cards(profile_id, question_id, card_json, due, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (profile_id, question_id, card.to_json(), utc_iso(card.due), _now_iso()),
                )
            for entry in parsed["review_log"]:
                conn.execute(
                    "INSERT INTO review_log(profile_id, question_id, rating, review_datetime, source, answer_text, "
                    "log_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (profile_id, entry["question_id"], int(entry["log"].rating), utc_iso(entry["log"].review_datetime),
                     entry["source"], entry["answer_text"], entry["log"].to_json()),
                )
            for entry in parsed["bookmarks"]:
                conn.execute(
                    "INSERT INTO bookmarks(profile_id, question_id, created_at) VALUES (?, ?, ?)",
                    (profile_id, entry["question_id"], entry["created_at"]),
                )
            for entry in parsed["notes"]:
                conn.execute(
                    "INSERT INTO notes(profile_id, question_id, text, updated_at) VALUES (?, ?, ?, ?)",
                    (profile_id, entry["question_id"], entry["text"], entry["updated_at"]),
                )
            for entry in parsed["quiz_results"]:
                conn.execute(
                    "INSERT INTO quiz_results(profile_id, topic, question_ids_json, answers_json, score, total, "
                    "taken_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (profile_id, entry["topic"], json.dumps(entry["question_ids"], ensure_ascii=False),
                     json.dumps(entry["answers"], ensure_ascii=False, sort_keys=True), entry["score"],
                     entry["total"], entry["taken_at"]),
                )
            for entry in parsed["mock_sessions"]:
                session_id = conn.execute(
                    "INSERT INTO mock_sessions(profile_id, taken_at) VALUES (?, ?)", (profile_id, entry["taken_at"])
                ).lastrowid
                for position, item in enumerate(entry["items"]):
                    conn.execute(
                        "INSERT INTO mock_items(session_id, position, question_id, answer_text, seconds, rating) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (session_id, position, item["question_id"], item["answer_text"], item["seconds"],
                         item["rating"]),
                    )
            for entry in parsed["exercise_attempts"]:
                conn.execute(
                    "INSERT INTO exercise_attempts(profile_id, slug, status, passed, total, code, attempted_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (profile_id, entry["slug"], entry["status"], entry["passed"], entry["total"], entry["code"],
                     entry["attempted_at"]),
                )


# -------------------------------------------------------------------- export validation
def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (ours contain no ';' inside literals)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


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


def _check_time(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"must be an ISO datetime string, got {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"is not an ISO datetime: {value!r}") from None
    if moment.tzinfo is None:
        raise _fail(where, f"must carry a UTC offset: {value!r}")
    return utc_iso(moment)


def _list_section(data: dict, name: str) -> list:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise _fail(name, f"must be a list, got {type(value).__name__}")
    return value


def validate_export(data: Any) -> dict:
    """Check an export document completely and return it parsed (Cards and ReviewLogs built); raise ProgressFormatError."""
    if not isinstance(data, dict):
        raise _fail("document", f"must be a JSON object, got {type(data).__name__}")
    if data.get("format") != EXPORT_FORMAT:
        raise _fail("format", f"must be {EXPORT_FORMAT!r}, got {data.get('format')!r}; is this a progress export?")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail("version", f"must be a positive integer, got {version!r}")
    if version > EXPORT_VERSION:
        raise _fail("version", f"{version} is newer than this app reads ({EXPORT_VERSION}); upgrade the app")
    text, number, optional_text = (str,), (int,), (str, type(None))
    parsed: dict[str, list] = {}

    cards = []
    seen_cards: set[str] = set()
    for index, entry in enumerate(_list_section(data, "cards")):
        where = f"cards[{index}]"
        _require(entry, where, {"question_id": text, "card": (dict,)})
        if not entry["question_id"] or entry["question_id"] in seen_cards:
            raise _fail(f"{where}.question_id", f"must be non-empty and unique, got {entry['question_id']!r}")
        seen_cards.add(entry["question_id"])
        try:
            card = Card.from_dict(entry["card"])
            card_ok = card.due.tzinfo is not None
        except (KeyError, TypeError, ValueError) as error:
            raise _fail(f"{where}.card", f"is not an fsrs card: {error!r}") from None
        if not card_ok:
            raise _fail(f"{where}.card.due", "must carry a UTC offset")
        cards.append((entry["question_id"], card))
    parsed["cards"] = cards

    logs = []
    for index, entry in enumerate(_list_section(data, "review_log")):
        where = f"review_log[{index}]"
        _require(entry, where, {"question_id": text, "source": text, "answer_text": optional_text, "log": (dict,)})
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
        logs.append({"question_id": entry["question_id"], "source": entry["source"],
                     "answer_text": entry["answer_text"], "log": log})
    parsed["review_log"] = logs

    bookmarks = []
    for index, entry in enumerate(_list_section(data, "bookmarks")):
        where = f"bookmarks[{index}]"
        _require(entry, where, {"question_id": text, "created_at": text})
        bookmarks.append({"question_id": entry["question_id"],
                          "created_at": _check_time(entry["created_at"], f"{where}.created_at")})
    if len({entry["question_id"] for entry in bookmarks}) != len(bookmarks):
        raise _fail("bookmarks", "lists a question_id twice")
    parsed["bookmarks"] = bookmarks

    notes = []
    for index, entry in enumerate(_list_section(data, "notes")):
        where = f"notes[{index}]"
        _require(entry, where, {"question_id": text, "text": text, "updated_at": text})
        notes.append({"question_id": entry["question_id"], "text": entry["text"],
                      "updated_at": _check_time(entry["updated_at"], f"{where}.updated_at")})
    if len({entry["question_id"] for entry in notes}) != len(notes):
        raise _fail("notes", "lists a question_id twice")
    parsed["notes"] = notes

    quizzes = []
    for index, entry in enumerate(_list_section(data, "quiz_results")):
        where = f"quiz_results[{index}]"
        _require(entry, where, {"topic": optional_text, "question_ids": (list,), "answers": (dict,),
                                "score": number, "total": number, "taken_at": text})
        if not 0 <= entry["score"] <= entry["total"]:
            raise _fail(f"{where}.score", f"({entry['score']}) must be between 0 and total ({entry['total']})")
        if not all(isinstance(question_id, str) for question_id in entry["question_ids"]):
            raise _fail(f"{where}.question_ids", "must be a list of strings")
        quizzes.append({**entry, "taken_at": _check_time(entry["taken_at"], f"{where}.taken_at")})
    parsed["quiz_results"] = quizzes

    mocks = []
    for index, entry in enumerate(_list_section(data, "mock_sessions")):
        where = f"mock_sessions[{index}]"
        _require(entry, where, {"taken_at": text, "items": (list,)})
        items = []
        for position, item in enumerate(entry["items"]):
            item_where = f"{where}.items[{position}]"
            _require(item, item_where, {"question_id": text, "answer_text": optional_text,
                                        "seconds": (int, float, type(None)), "rating": (int, type(None))})
            if item["rating"] is not None and item["rating"] not in (1, 2, 3, 4):
                raise _fail(f"{item_where}.rating", f"must be 1-4 or null, got {item['rating']!r}")
            items.append({key: item[key] for key in ("question_id", "answer_text", "seconds", "rating")})
        mocks.append({"taken_at": _check_time(entry["taken_at"], f"{where}.taken_at"), "items": items})
    parsed["mock_sessions"] = mocks

    attempts = []
    for index, entry in enumerate(_list_section(data, "exercise_attempts")):
        where = f"exercise_attempts[{index}]"
        _require(entry, where, {"slug": text, "status": text, "passed": number, "total": number,
                                "code": optional_text, "attempted_at": text})
        if not 0 <= entry["passed"] <= entry["total"]:
            raise _fail(f"{where}.passed", f"({entry['passed']}) must be between 0 and total ({entry['total']})")
        attempts.append({**entry, "attempted_at": _check_time(entry["attempted_at"], f"{where}.attempted_at")})
    parsed["exercise_attempts"] = attempts
    return parsed
