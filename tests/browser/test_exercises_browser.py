"""The Exercises page in a real browser: paste a wrong and a correct solution into the code editor, run all tests and
one test, run a scratch cell of our own, and check that a traceback's line number points at the line the editor shows
with that number."""
from __future__ import annotations

import re

from questions.ui.i18n import t
from questions.ui.labels import verdict_label
from tests.helpers.browser import READY, STEP_MS, open_app

RUN_MS = 120_000  # the first run waits for the worker to import torch on a busy machine
SLUG = "topk-router"
RAISING_LINE = 7
WRONG = '''"""Top-k router, wrong: it divides the top-k logits by their sum."""
import torch


def topk_softmax(logits, k):
    if not 1 <= k <= logits.shape[-1]:
        raise ValueError(f"k={k} out of range")  # line 7 raises for a bad k
    values, indices = torch.topk(logits, k, dim=-1)
    weights = values / values.sum(dim=-1, keepdim=True)
    return weights, indices
'''
RIGHT = '''import torch


def topk_softmax(logits, k):
    if not 1 <= k <= logits.shape[-1]:
        raise ValueError(f"k={k} out of range")
    values, indices = torch.topk(torch.softmax(logits, dim=-1), k, dim=-1)
    return values / values.sum(dim=-1, keepdim=True), indices
'''


def paste(page, editor, code: str) -> None:
    """Replace the editor's text as a user would: select all, paste from the clipboard."""
    editor.locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.evaluate("text => navigator.clipboard.writeText(text)", code)
    page.keyboard.press("Control+V")


def editor_line(editor, number: int) -> str:
    """The text the editor shows beside the line number `number` in its gutter (matched by screen position)."""
    cell = editor.locator(".ace_gutter-cell", has_text=re.compile(rf"^{number}$")).bounding_box()
    lines = editor.locator(".ace_text-layer .ace_line")
    for index in range(lines.count()):
        box = lines.nth(index).bounding_box()
        if box and abs(box["y"] - cell["y"]) < box["height"] / 2:
            return lines.nth(index).inner_text()
    raise AssertionError(f"no text line beside gutter number {number}")


def test_paste_run_all_one_and_my_input_in_the_real_editor(server, browser):  # noqa: F811 - fixtures
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1600})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    open_app(page, server["url"] + f"/exercises?exercise={SLUG}&lang=en")
    editor = page.frame_locator("iframe").first  # the code editor is the page's only component
    expect(editor.locator(".ace_content")).to_be_visible(timeout=STEP_MS)

    paste(page, editor, WRONG)
    assert editor_line(editor, RAISING_LINE).strip().startswith('raise ValueError(f"k={k} out of range")')
    page.keyboard.press("Control+Enter")  # runs every test
    summary = page.get_by_text(re.compile(r"^\d+ of \d+ tests passed\.$"))
    expect(summary).to_be_visible(timeout=RUN_MS)
    passed, total = (int(number) for number in re.findall(r"\d+", summary.inner_text()))
    assert 0 < passed < total, summary.inner_text()
    bad_k = page.get_by_text(re.compile(r"test_bad_k_raises_value_error\[0\]"))
    expect(bad_k).to_be_visible()

    # one test: open a failing one and run it again on its own
    failing = page.locator("[data-testid='stExpander']", has_text="test_matches_softmax_over_selected_logits")
    failing.locator("summary").click()  # the editor loses focus and sends its text: wait for that rerun
    page.wait_for_timeout(500)
    page.wait_for_selector(READY, timeout=STEP_MS)
    failing.get_by_role("button", name=t("exercises.run_one", "en")).click()
    reran = page.get_by_text(t("exercises.reran", "en", name="test_matches_softmax_over_selected_logits"))
    expect(reran).to_be_visible(timeout=RUN_MS)
    page.wait_for_selector(READY, timeout=STEP_MS)
    message = failing.locator("[data-testid='stCode']").first.text_content()
    assert "expected: a tensor of shape" in message and "entries differ" in message, message

    # my input: the value of an expression, and a traceback whose line number is the editor's
    scratch = page.locator("[data-testid='stExpander']", has_text=t("exercises.scratch", "en"))
    scratch.locator("summary").click()
    scratch.locator("textarea").fill("import torch\nlogits = torch.tensor([[1.0, 3.0, 2.0]])\n"
                                     "topk_softmax(logits, 2)[1]\ntopk_softmax(logits, 5)\n")
    scratch.get_by_text(t("exercises.scratch_help", "en")).click()  # a text area sends its text when it blurs
    page.wait_for_selector(READY, timeout=STEP_MS)
    scratch.get_by_role("button", name=t("exercises.scratch_run", "en")).click()
    expect(scratch.get_by_text(t("exercises.scratch_value_line", "en", line=3))).to_be_visible(timeout=RUN_MS)
    expect(scratch.get_by_text("tensor([[1, 2]])")).to_be_visible()
    alert = scratch.locator("[data-testid='stAlert']")
    traceback_line = re.compile(r'File "solution\.py", line (\d+), in topk_softmax')
    expect(alert).to_contain_text(t("exercises.scratch_error", "en", verdict=verdict_label("exception", "en")))
    expect(alert).to_contain_text(traceback_line)  # the alert's code block renders after the alert itself
    found = traceback_line.search(alert.inner_text())
    reported = int(found.group(1))
    assert reported == RAISING_LINE
    assert editor_line(editor, reported).strip().startswith("raise ValueError"), "the editor shows that line there"

    # the correct solution passes every test
    paste(page, editor, RIGHT)
    page.get_by_role("button", name=t("exercises.run", "en")).click()  # the editor sends its text as it loses focus
    expect(page.get_by_text(t("exercises.passed_all", "en", total=total))).to_be_visible(timeout=RUN_MS)
    page.screenshot(path=str(server["db"].parent / "exercises.png"), full_page=True)
