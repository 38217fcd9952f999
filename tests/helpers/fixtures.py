"""Pytest fixtures of the app tests (a conftest imports them): the fixture bank via MOE_LAB_BANK, the database path,
and the AppTest factory on that bank."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.apptest import app_test
from tests.helpers.bank import write_bank


@pytest.fixture
def bank_dir(tmp_path, monkeypatch) -> Path:
    """The fixture bank written to tmp_path/bank, which the app reads through MOE_LAB_BANK."""
    directory = write_bank(tmp_path / "bank")
    monkeypatch.setenv("MOE_LAB_BANK", str(directory))
    return directory


@pytest.fixture
def db_path(tmp_path) -> Path:
    """The progress database of the test (tests/conftest.py points MOE_LAB_DB here)."""
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def make_app(bank_dir):
    """The AppTest factory (tests.helpers.apptest.app_test) with the fixture bank in place."""
    return app_test
