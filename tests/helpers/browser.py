"""The real-browser tests' app and browser: `streamlit run app.py` on a free port with its own bank and database,
Debian's Chromium for Playwright, and the wait for a page that finished running."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.helpers.bank import FIXTURE_BANK, write_bank
from tests.helpers.server import streamlit_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
STEP_MS = 30_000


@contextmanager
def running_app(tmp_path: Path, bank: dict = FIXTURE_BANK) -> Iterator[dict]:
    """The app (tests.helpers.server) on `bank` with a private database; always stopped. Yields {"url", "db", "pid"}."""
    with streamlit_app(tmp_path, bank=write_bank(tmp_path / "bank", bank)) as app:
        yield {"url": app.url, "db": app.db, "pid": app.process.pid}


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium under Playwright (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, timeout=STEP_MS)
