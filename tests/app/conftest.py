"""AppTest fixtures: the fixture bank in tmp_path (via MOE_LAB_BANK) and an AppTest factory for app.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fixture_bank import write_bank

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
TIMEOUT = 60  # the first run imports plotly / pandas (and torch on the sandbox page): far more than AppTest's 3 s


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
    """AppTest of app.py on the fixture bank; lang/locale/profile preset through the URL, context and session."""
    def factory(lang: str | None = None, locale: str = "en-US") -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.context = {"locale": locale, "timezone": "UTC"}
        if lang:
            at.query_params["lang"] = lang
        return at
    return factory


def texts(at: AppTest) -> str:
    """Every visible text of a run, joined: markdown, captions, titles, alerts, widget labels, button labels."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    for kind in ("button", "checkbox", "toggle", "text_area", "text_input", "selectbox", "multiselect"):
        parts.extend(str(widget.label) for widget in getattr(at, kind))
    return "\n".join(parts)
