"""Real-browser tests: `streamlit run app.py` driven by Playwright on Debian's Chromium (keyboard practice, language)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.bank import write_bank

from tests.helpers.paths import ROOT  # noqa: E402
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
STARTUP_SECONDS = 90
STEP_MS = 30_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed; .ci/run installs it")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A `streamlit run app.py` subprocess on a free port, with its own bank and database; always terminated."""
    bank = write_bank(tmp_path / "bank")
    db_path = tmp_path / "progress.sqlite3"
    port = _free_port()
    env = {**os.environ, "MOE_LAB_DB": str(db_path), "MOE_LAB_BANK": str(bank)}
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_SECONDS} s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.3)
        yield {"url": f"http://127.0.0.1:{port}", "db": db_path}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, timeout=STEP_MS)


def test_practise_one_card_with_the_keyboard_then_reload(server, browser):
    from playwright.sync_api import expect
    from questions.ui.i18n import t
    from questions.store.db import Store

    page = browser.new_page(locale="en-US")
    open_app(page, server["url"] + "/?lang=en")
    stats = page.get_by_text(re.compile(r"^Reviewed today: "))
    expect(stats).to_have_text(t("practice.stats", "en", reviewed=0, due=0, new=6), timeout=STEP_MS)
    expect(page.get_by_role("button", name=re.compile("Show answer"))).to_be_visible(timeout=STEP_MS)

    # Typing an answer (spaces and digits included) must not trigger the shortcuts.
    page.get_by_role("textbox", name="Your answer (optional)").click()
    page.keyboard.type("softmax over 2 selected logits")
    page.get_by_role("heading", name="Practice").click()  # leave the text box; the answer is committed on blur
    page.wait_for_selector(READY, timeout=STEP_MS)
    expect(page.get_by_role("button", name=re.compile(r"^Good · "))).to_have_count(0)

    page.keyboard.press("Space")  # Show answer
    good = page.get_by_role("button", name=re.compile(r"^Good · "))
    expect(good).to_be_visible(timeout=STEP_MS)
    interval = re.search(r"Good · (\S+)", good.inner_text()).group(1)

    page.keyboard.press("3")  # Good
    expect(page.get_by_text(t("practice.saved", "en", rating="Good", interval=interval))).to_be_visible(
        timeout=STEP_MS)

    page.reload()
    page.wait_for_selector(READY, timeout=STEP_MS)
    expect(page.get_by_text(re.compile(r"^Reviewed today: "))).to_have_text(
        t("practice.stats", "en", reviewed=1, due=0, new=5), timeout=STEP_MS)

    logs = Store(server["db"]).review_logs("default")
    assert [(log["rating"], log["source"], log["answer_text"]) for log in logs] == [
        (3, "practice", "softmax over 2 selected logits")]


def test_switch_language_in_the_sidebar(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")
    open_app(page, server["url"] + "/")
    expect(page.get_by_role("heading", name="Practice")).to_be_visible(timeout=STEP_MS)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="中文").click()
    expect(page.get_by_role("heading", name="练习")).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_role("button", name=re.compile("显示答案"))).to_be_visible(timeout=STEP_MS)
    expect(page).to_have_url(re.compile(r"[?&]lang=zh"), timeout=STEP_MS)
    page.reload()  # the choice is kept in the URL
    page.wait_for_selector(READY, timeout=STEP_MS)
    expect(page.get_by_role("heading", name="练习")).to_be_visible(timeout=STEP_MS)


def test_browser_locale_sets_the_default_language(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    open_app(page, server["url"] + "/quiz")
    expect(page.get_by_role("heading", name="测验")).to_be_visible(timeout=STEP_MS)
    context.close()
