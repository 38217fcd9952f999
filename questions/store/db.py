"""The progress database file: checks before opening, WAL, migrations, one connection per thread, transactions.

Safety decisions (questions/store/README.md says the same to users):
- WAL journal mode: readers never block the writer, so several Streamlit sessions (threads) and processes can work at once.
- `synchronous=FULL`: a commit is fsynced before a write returns, so a saved review survives a power cut as well as a
  killed server. NORMAL would only survive a killed process; a review is a person's work and the app commits about one
  transaction every few seconds, so the fsync costs nothing anyone notices.
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

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .repositories import Attempts, Bookmarks, Experiments, Mocks, Notes, Profiles, Quizzes, StudyPlans
from .reviews import Reviews
from .schema import MIGRATIONS, SCHEMA_VERSION

DB_ENV_VAR = "MOE_LAB_DB"
APP_DIR_NAME = "moe-interview-lab"
DB_FILE_NAME = "progress.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000


class StoreError(Exception):
    """The progress database cannot be used as it is (corrupt, unreadable, newer schema); the message names the file."""


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


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (ours contain no ';' inside literals)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class Store:
    """The progress database, with one repository per kind of record (`store.reviews.record(...)`, ...).

    Repositories take the profile *name*; a write creates the profile on first use.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self._local = threading.local()
        self._inherited: list[sqlite3.Connection] = []
        self._open_checked()
        self.profiles = Profiles(self)
        self.reviews = Reviews(self)
        self.bookmarks = Bookmarks(self)
        self.notes = Notes(self)
        self.quizzes = Quizzes(self)
        self.mocks = Mocks(self)
        self.attempts = Attempts(self)
        self.plans = StudyPlans(self)
        self.experiments = Experiments(self)

    # ---------------------------------------------------------------- opening, checks, migrations
    def _open_checked(self) -> None:
        """Check the file, open this thread's connection, migrate; any failure closes it and raises StoreError."""
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

    def _read_only(self) -> bool:
        """The file or its folder cannot be written (file modes, or a read-only mount): SQLite cannot open it for WAL."""
        return self.path.exists() and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK))

    def _explain(self, error: BaseException) -> str:
        if self._read_only():
            return (f"progress database {self.path} is read-only (the file or its folder cannot be written: {error}); "
                    f"nothing was changed. Make both writable, or set {DB_ENV_VAR} to another file.")
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
            backup_path = self.path.with_name(f"{self.path.name}.v{version}.bak")
            if not backup_path.exists():
                self._copy_to(conn, backup_path)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.write() as tx:
                # Another process may have migrated while we waited for the write lock.
                current = tx.execute("PRAGMA user_version").fetchone()[0]
                if current >= target:
                    continue
                if current != target - 1:
                    raise StoreError(f"progress database {self.path}: expected schema v{target - 1}, found v{current}")
                for statement in _split_sql(MIGRATIONS[target - 1]):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {int(target)}")

    @staticmethod
    def _copy_to(conn: sqlite3.Connection, destination: Path) -> None:
        target = sqlite3.connect(destination)
        try:
            conn.backup(target)
        finally:
            target.close()

    # ---------------------------------------------------------------- connections
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

    def connection(self) -> sqlite3.Connection:
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

    # ---------------------------------------------------------------- transactions and reads (for the repositories)
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front and waits up to busy_timeout."""
        conn = self.connection()
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
                reason = "the file is read-only; make it writable" if self._read_only() else str(error)
                raise StoreError(
                    f"progress database {self.path}: the write failed and was rolled back ({reason})"
                ) from error
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every read inside sees the same state, even while other sessions write."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """The rows of one SELECT on this thread's connection."""
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise StoreError(f"progress database {self.path}: reading failed ({error})") from error

    def backup(self, destination: str | os.PathLike[str]) -> Path:
        """Copy the whole database (every profile) to `destination` with SQLite's online backup API."""
        destination = Path(destination)
        if destination.resolve() == self.path.resolve():
            raise ValueError(f"backup destination {destination} is the database itself")
        self._copy_to(self.connection(), destination)
        return destination
