"""Shared pytest setup: the repository root on sys.path and a private progress database per test session."""
import sys
from pathlib import Path

import pytest

# tests.helpers.paths.ROOT is importable only once the repository root is on sys.path: this puts it there.
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@pytest.fixture(autouse=True)
def _private_db(tmp_path, monkeypatch):
    """Never touch the user's real progress database or bank cache from a test."""
    monkeypatch.setenv("MOE_LAB_DB", str(tmp_path / "progress.sqlite3"))
    monkeypatch.setenv("MOE_LAB_CACHE", str(tmp_path / "bank-cache"))
