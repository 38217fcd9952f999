"""The real-browser tests' app and browser: `streamlit run app.py` on a free port with its own bank and database,
Debian's Chromium for Playwright, and the wait for a page that finished running."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers.bank import FIXTURE_BANK, write_bank
from tests.helpers.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
STARTUP_SECONDS = 90
STEP_MS = 30_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"streamlit not healthy after {STARTUP_SECONDS} s:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.3)


@contextmanager
def running_app(tmp_path: Path, bank: dict = FIXTURE_BANK) -> Iterator[dict]:
    """A `streamlit run app.py` subprocess on a free port with `bank` and a private database; always terminated.
    Yields {"url", "db"}."""
    bank_dir = write_bank(tmp_path / "bank", bank)
    db_path = tmp_path / "progress.sqlite3"
    port = _free_port()
    env = {**os.environ, "MOE_LAB_DB": str(db_path), "MOE_LAB_BANK": str(bank_dir)}
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(process, port, log_path)
        yield {"url": f"http://127.0.0.1:{port}", "db": db_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
