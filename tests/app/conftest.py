"""AppTest fixtures: the fixture bank in tmp_path (via MOE_LAB_BANK) and the AppTest factory for app.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.apptest import app_test
from tests.helpers.bank import write_bank


@pytest.fixture
def bank_dir(tmp_path, monkeypatch) -> Path:
    directory = write_bank(tmp_path / "bank")
    monkeypatch.setenv("MOE_LAB_BANK", str(directory))
    return directory


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "progress.sqlite3"  # tests/conftest.py points MOE_LAB_DB here


@pytest.fixture
def make_app(bank_dir):
    """AppTest of app.py on the fixture bank."""
    return app_test
