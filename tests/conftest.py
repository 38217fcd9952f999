"""Shared pytest setup: the repository root on sys.path and a private progress database per test session."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _private_db(tmp_path, monkeypatch):
    """Never touch the user's real progress database or bank cache from a test."""
    monkeypatch.setenv("MOE_LAB_DB", str(tmp_path / "progress.sqlite3"))
    monkeypatch.setenv("MOE_LAB_CACHE", str(tmp_path / "bank-cache"))
