"""Faults around the progress file: the disk filling up during a grade, a read-only file. Each gives a clear
StoreError and loses nothing already saved (run in a child process: it changes its own limits or user)."""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from questions.store import Store

REVIEWS_BEFORE = 5
_GRADE = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    from fsrs import Rating
    from questions.store import Store
    from questions.study.scheduler import preview
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    def grade(store, number):
        question_id = f"routing-q{number}"
        card, log = preview(store.reviews.card("alice", question_id), question_id, now + timedelta(minutes=number))[Rating.Good]
        store.reviews.record("alice", question_id, card, log, answer_text="x" * int(sys.argv[3]))
""")

_FILL = _GRADE + textwrap.dedent("""
    store = Store(sys.argv[1])
    for number in range(int(sys.argv[2])):
        grade(store, number)
    store.close()
""")

_DISK_FULL = _GRADE + textwrap.dedent("""
    import resource, signal, os
    from questions.store import StoreError
    store = Store(sys.argv[1])
    store.reviews.cards("alice")
    # from here on no file of this process may grow past its current size (plus a page): the disk is full
    largest = max(os.path.getsize(sys.argv[1] + suffix) for suffix in ("", "-wal") if os.path.exists(sys.argv[1] + suffix))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest + 4096, largest + 4096))
    try:
        grade(store, int(sys.argv[2]))
    except StoreError as error:
        print("STORE_ERROR", error)
    else:
        print("NO_ERROR")
""")


def _python(script: str, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
    return subprocess.run([*prefix, sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=environment)


def _saved_reviews(path: Path) -> int:
    store = Store(path)
    try:
        assert store.read("PRAGMA integrity_check")[0][0] == "ok"
        return len(store.reviews.logs("alice"))
    finally:
        store.close()


def test_a_full_disk_during_a_grade_is_a_clear_error_and_loses_nothing_saved(tmp_path):
    path = tmp_path / "progress.sqlite3"
    assert _python(_FILL, path, REVIEWS_BEFORE, 10).returncode == 0
    done = _python(_DISK_FULL, path, REVIEWS_BEFORE, 2_000_000)  # a 2 MB answer text cannot fit any more
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("STORE_ERROR"), done.stdout + done.stderr
    assert "the write failed and was rolled back" in done.stdout and str(path) in done.stdout
    assert _saved_reviews(path) == REVIEWS_BEFORE


# root writes through file modes: for root, the folder is mounted read-only in the child (bubblewrap)
READ_ONLY_PREFIX = ()
if os.getuid() == 0:
    READ_ONLY_PREFIX = ("bwrap", "--dev-bind", "/", "/", "--ro-bind", "{folder}", "{folder}")


@pytest.mark.skipif(os.getuid() == 0 and shutil.which("bwrap") is None,
                    reason="as root a read-only file needs a read-only mount: bubblewrap (bwrap) is not installed")
def test_a_read_only_progress_file_is_a_clear_error_and_stays_intact():
    folder = Path(tempfile.mkdtemp(prefix="readonly-progress-"))
    try:
        path = folder / "progress.sqlite3"
        assert _python(_FILL, path, REVIEWS_BEFORE, 10).returncode == 0
        os.chmod(path, 0o444)
        folder.chmod(0o555)  # nor may SQLite create its -wal / -shm files beside it
        prefix = tuple(part.replace("{folder}", str(folder)) for part in READ_ONLY_PREFIX)
        done = _python(_GRADE + textwrap.dedent("""
            from questions.store import StoreError
            try:
                store = Store(sys.argv[1])
                grade(store, 99)
            except StoreError as error:
                print("STORE_ERROR", error)
            else:
                print("NO_ERROR")
        """), path, 0, 10, prefix=prefix)
        assert done.stdout.startswith("STORE_ERROR"), done.stdout + done.stderr
        message = done.stdout.lower()
        assert str(path).lower() in message and "read-only" in message and "corrupt" not in message, message
        folder.chmod(0o755)
        os.chmod(path, 0o644)
        assert _saved_reviews(path) == REVIEWS_BEFORE
    finally:
        folder.chmod(0o755)
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
