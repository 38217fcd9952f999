"""The progress database file: WAL and durability settings, where it lives, concurrency, crash safety, migrations,
files it refuses, backups."""
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fsrs import Card, Rating

from questions.store import SCHEMA_VERSION, Store, StoreError, default_db_path
from questions.study.scheduler import build_scheduler, preview

from tests.helpers.paths import ROOT

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _review(question_id, rating=Rating.Good, now=NOW):
    return preview(None, question_id, now)[rating]


def _review_count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM review_log").fetchone()[0]
    finally:
        conn.close()


# ------------------------------------------------------------------ basics
def test_new_database_is_wal_with_current_schema(tmp_path):
    path = tmp_path / "new.sqlite3"
    store = Store(path)
    conn = store.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"profiles", "cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions", "mock_items",
            "exercise_attempts"} <= tables
    store.close()


def test_default_db_path_env_and_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("MOE_LAB_DB", str(tmp_path / "custom" / "db.sqlite3"))
    assert default_db_path() == tmp_path / "custom" / "db.sqlite3"
    assert (tmp_path / "custom").is_dir()
    monkeypatch.delenv("MOE_LAB_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "moe-interview-lab" / "progress.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "moe-interview-lab" / "progress.sqlite3"


def test_store_without_path_uses_moe_lab_db(tmp_path):
    store = Store()  # conftest points MOE_LAB_DB at tmp_path
    assert store.path == tmp_path / "progress.sqlite3"
    assert store.path.exists()


# ------------------------------------------------------------------ concurrency and crashes
def test_concurrent_writer_threads_share_one_store(tmp_path):
    store = Store(tmp_path / "db")
    errors = []
    card, log = _review("q")

    def write(worker):
        try:
            for index in range(15):
                store.reviews.record(f"p{worker % 2}", f"q{worker}-{index}", card, log)
                store.bookmarks.set(f"p{worker % 2}", f"q{worker}-{index}", True)
        except Exception as error:  # collected so the main thread can fail the test with it
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.reviews.logs("p0")) + len(store.reviews.logs("p1")) == 90
    assert len(store.bookmarks.ids("p0")) == 45


def _process_writer(path, worker, count, barrier):
    """Child process: its own Store on the shared file, writing as soon as every writer is ready."""
    store = Store(path)
    card, log = _review("q")
    barrier.wait()
    for index in range(count):
        store.reviews.record("shared", f"w{worker}-{index}", card, log, answer_text=f"{worker}/{index}")
    store.close()


def test_concurrent_writer_processes(tmp_path):
    path = tmp_path / "db"
    Store(path).close()
    context = multiprocessing.get_context("fork")
    workers, count = 4, 20
    barrier = context.Barrier(workers)
    processes = [context.Process(target=_process_writer, args=(path, worker, count, barrier))
                 for worker in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * workers  # a "database is locked" would exit 1
    store = Store(path)
    logs = store.reviews.logs("shared")
    assert len(logs) == workers * count
    assert {log["answer_text"] for log in logs} == {f"{w}/{i}" for w in range(workers) for i in range(count)}
    assert len(store.reviews.cards("shared")) == workers * count


_KILLED_WRITER = """
import sys, time
from questions.study.scheduler import preview
from questions.store import Store
from datetime import datetime, timezone
store = Store(sys.argv[1])
card, log = preview(None, "uncommitted", datetime(2026, 3, 1, tzinfo=timezone.utc))[3]
with store.write() as conn:
    store.reviews.insert(conn, store.profiles.id_in(conn, "p"), "uncommitted", card, log, "lost", "practice")
    print("inside transaction", flush=True)
    time.sleep(60)
"""


def test_writer_killed_mid_transaction_loses_only_that_write(tmp_path):
    path = tmp_path / "db"
    store = Store(path)
    for index in range(3):
        store.reviews.record("p", f"kept-{index}", *_review(f"kept-{index}"))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "inside transaction"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    store.close()
    reopened = Store(path)
    assert reopened.connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(reopened.reviews.cards("p")) == ["kept-0", "kept-1", "kept-2"]
    assert "lost" not in {log["answer_text"] for log in reopened.reviews.logs("p")}
    reopened.reviews.record("p", "after", *_review("after"))  # the dead writer's lock is gone
    assert len(reopened.reviews.logs("p")) == 4


# ------------------------------------------------------------------ migrations
# Schema v1 written out by hand (the first release): no bookmarks, no notes, review_log without `source`.
V1_SCHEMA = """
CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE cards (profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE, question_id TEXT NOT NULL,
    card_json TEXT NOT NULL, due TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (profile_id, question_id));
CREATE INDEX cards_by_due ON cards(profile_id, due);
CREATE TABLE review_log (id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4), review_datetime TEXT NOT NULL,
    answer_text TEXT, log_json TEXT NOT NULL);
CREATE INDEX review_log_by_time ON review_log(profile_id, review_datetime);
CREATE TABLE quiz_results (id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    topic TEXT, question_ids_json TEXT NOT NULL, answers_json TEXT NOT NULL, score INTEGER NOT NULL,
    total INTEGER NOT NULL, taken_at TEXT NOT NULL);
CREATE TABLE mock_sessions (id INTEGER PRIMARY KEY, profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    taken_at TEXT NOT NULL);
CREATE TABLE mock_items (session_id INTEGER NOT NULL REFERENCES mock_sessions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, question_id TEXT NOT NULL, answer_text TEXT, seconds REAL,
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 4), PRIMARY KEY (session_id, position));
CREATE TABLE exercise_attempts (id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE, slug TEXT NOT NULL, status TEXT NOT NULL,
    passed INTEGER NOT NULL, total INTEGER NOT NULL, code TEXT, attempted_at TEXT NOT NULL);
PRAGMA user_version = 1;
"""


def test_migrates_hand_built_v1_database(tmp_path):
    path = tmp_path / "v1.sqlite3"
    card, log = _review("routing-a")
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO profiles(id, name, created_at) VALUES (1, 'old', '2025-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO cards VALUES (1, 'routing-a', ?, ?, '2025-01-01T00:00:00+00:00')",
                 (card.to_json(), card.due.isoformat(timespec="microseconds")))
    conn.execute("INSERT INTO review_log(profile_id, question_id, rating, review_datetime, answer_text, log_json) "
                 "VALUES (1, 'routing-a', 3, '2026-03-01T12:00:00.000000+00:00', 'old answer', ?)", (log.to_json(),))
    conn.execute("INSERT INTO quiz_results(profile_id, topic, question_ids_json, answers_json, score, total, taken_at) "
                 "VALUES (1, 'routing', '[\"q\"]', '{}', 1, 1, '2025-01-02T00:00:00+00:00')")
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.reviews.card("old", "routing-a").to_dict() == card.to_dict()
    assert store.reviews.logs("old") == [{
        "question_id": "routing-a", "rating": 3, "review_datetime": "2026-03-01T12:00:00.000000+00:00",
        "source": "practice", "answer_text": "old answer",
    }]
    assert [quiz["score"] for quiz in store.quizzes.results("old")] == [1]
    store.bookmarks.set("old", "routing-a", True)
    store.notes.set("old", "routing-a", "added after the migration")
    store.reviews.record("old", "routing-b", *_review("routing-b"), source="mock")
    assert store.bookmarks.ids("old") == {"routing-a"}
    assert [log["source"] for log in store.reviews.logs("old")] == ["practice", "mock"]
    # The pre-migration copy is kept beside the file, still at v1.
    backup = sqlite3.connect(path.with_name("v1.sqlite3.v1.bak"))
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    assert backup.execute("SELECT count(*) FROM review_log").fetchone()[0] == 1
    backup.close()
    store.close()
    assert Store(path).notes.get("old", "routing-a") == "added after the migration"  # reopening does not migrate again


# ------------------------------------------------------------------ files the store must refuse (and leave alone)
def _assert_refused(path, match):
    before = path.read_bytes()
    siblings = sorted(p.name for p in path.parent.iterdir())
    with pytest.raises(StoreError, match=match) as raised:
        Store(path)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings  # no -wal / -shm created either
    return str(raised.value)


def test_random_bytes_file_is_refused_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(os.urandom(8192))
    message = _assert_refused(path, "not a SQLite database")
    assert "MOE_LAB_DB" in message


def _filled_database(path, reviews=150):
    store = Store(path)
    for index in range(reviews):
        store.reviews.record("p", f"q{index}", *_review(f"q{index}"), answer_text="x" * 1000)
    store.close()  # the last connection checkpoints the WAL into the main file
    assert not Path(f"{path}-wal").exists()


def test_truncated_database_is_refused_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    _filled_database(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _assert_refused(path, "corrupt")


def test_database_with_garbage_pages_is_refused_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    _filled_database(path)
    data = bytearray(path.read_bytes())
    data[8192:-8192] = bytes(len(data) - 16384)  # zero every page but the first two and the last two
    path.write_bytes(bytes(data))
    _assert_refused(path, "corrupt")


def test_newer_schema_version_is_refused_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    _filled_database(path, reviews=2)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    message = _assert_refused(path, "newer")
    assert f"schema version {SCHEMA_VERSION + 1}" in message


def test_foreign_sqlite_database_and_directory_are_refused(tmp_path):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    _assert_refused(path, "another program")
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(StoreError, match="not a regular file"):
        Store(folder)


def test_empty_file_is_a_new_database(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.write_bytes(b"")
    store = Store(path)
    store.profiles.ensure("p")
    assert store.profiles.names() == ["p"]


def test_database_damaged_while_open_raises_store_error(tmp_path):
    store = Store(tmp_path / "db")
    store.bookmarks.set("p", "q", True)
    raw = sqlite3.connect(tmp_path / "db")
    raw.execute("DROP TABLE bookmarks")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="no such table: bookmarks"):
        store.bookmarks.ids("p")
    with pytest.raises(StoreError, match="rolled back"):
        store.bookmarks.set("p", "q2", True)
    assert store.profiles.names() == ["p"]  # the failed write left no transaction open


def test_connection_per_thread(tmp_path):
    store = Store(tmp_path / "db")
    main_connection = store.connection()
    seen = []
    thread = threading.Thread(target=lambda: seen.append((store.connection(), store.profiles.names())))
    thread.start()
    thread.join()
    assert seen and seen[0][0] is not main_connection and seen[0][1] == []


def test_scheduler_commit_survives_reopen(tmp_path):
    scheduler = build_scheduler()
    store = Store(tmp_path / "db")
    card, log = scheduler.review_card(Card(card_id=7), Rating.Easy, NOW)
    store.reviews.record("p", "q", card, log)
    store.close()
    assert Store(tmp_path / "db").reviews.card("p", "q").due == card.due


def test_backup_copies_every_profile_while_open(tmp_path):
    store = Store(tmp_path / "db")
    store.reviews.record("alice", "q", *_review("q"))
    store.notes.set("bob", "q", "kept in the copy")
    assert store.backup(tmp_path / "copy.sqlite3") == tmp_path / "copy.sqlite3"
    copy = Store(tmp_path / "copy.sqlite3")
    assert copy.profiles.names() == ["alice", "bob"]
    assert list(copy.reviews.cards("alice")) == ["q"] and copy.notes.get("bob", "q") == "kept in the copy"
    with pytest.raises(ValueError, match="is the database itself"):
        store.backup(tmp_path / "db")
