"""Real-browser tests of a study day: set an interview date, start Today, type an answer and find the key points it
covers pre-ticked, grade with the keyboard, undo, miss a quiz item and find it due, browse the bank; and the keyboard
rules of Practice (Esc leaves the answer box, focus on the first key point after Show answer, digits after Space)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from questions.store import Store
from questions.ui.i18n import t
from tests.helpers.bank import choice_question, local_text, open_question
from tests.helpers.browser import READY, STEP_MS, open_app, running_app

ANSWER = "Each expert gets capacity factor times the tokens per expert; overflow tokens are dropped."
KEY_POINTS = [  # the answer above covers the first two
    {**local_text("Capacity = capacity factor x tokens / experts", "容量 = 容量因子 × token 数 / 专家数"),
     "cues": {"en": ["tokens per expert", "capacity factor times"], "zh": ["每个专家的 token 数"]}},
    {**local_text("Tokens over capacity are dropped and skip the layer through the residual",
                  "超出容量的 token 被丢弃，经残差连接跳过该层"),
     "cues": {"en": ["dropped", "residual connection"], "zh": ["丢弃"]}},
    {**local_text("A larger factor wastes memory and compute on padding", "因子越大，填充浪费的显存和计算越多"),
     "cues": {"en": ["padding", "wasted memory"], "zh": ["填充"]}},
]
# The easy capacity question comes first in the plan; the quiz has one choice question.
STUDY_BANK = {
    "capacity": [open_question("capacity-factor", "capacity", 1, "What is the capacity factor?", "什么是容量因子？",
                               key_points=KEY_POINTS)],
    "routing": [
        open_question("routing-topk-softmax", "routing", 2, "Why renormalise top-k weights?", "为什么要重新归一化？"),
        choice_question("routing-switch-k", "routing", "How many experts does Switch use per token?",
                        "Switch 每个 token 使用几个专家？", correct=0, difficulty=3),
    ],
}


@pytest.fixture
def study_app(tmp_path):
    with running_app(tmp_path, STUDY_BANK) as app:
        yield app


def wait_ready(page) -> None:
    page.wait_for_selector(READY, timeout=STEP_MS)


def point_box(page, question_id: str, number: int):
    return page.locator(f".st-key-practice_point_{question_id}_{number} input")


def focused_key(page) -> str:
    """The st-key-... class of the widget holding the keyboard focus ("" when none)."""
    return page.evaluate("""() => {
        const holder = document.activeElement && document.activeElement.closest("[class*='st-key-']");
        return holder ? [...holder.classList].find((name) => name.startsWith("st-key-")) : "";
    }""")


def test_a_study_day(study_app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")
    open_app(page, study_app["url"] + "/?lang=en")
    expect(page.get_by_role("heading", name=t("today.title", "en"))).to_be_visible(timeout=STEP_MS)

    # Set the interview date three days ahead: three questions over three days, one a day.
    interview = date.today() + timedelta(days=3)
    page.locator(".st-key-today_date [data-type='year']").click()  # a date field of year / month / day parts
    page.keyboard.type(interview.strftime("%Y%m%d"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=t("today.title", "en")).click()
    wait_ready(page)
    expect(page.get_by_text(t("today.with_date", "en", cap=1, days=3, done=0))).to_be_visible(timeout=STEP_MS)
    assert Store(study_app["db"]).plans.get("default")["interview_date"] == interview.isoformat()

    # Start: Practice opens on the Today queue with the plan's first card.
    page.get_by_role("button", name=t("today.start", "en", count=1)).click()
    expect(page.get_by_role("heading", name=t("practice.title", "en"))).to_be_visible(timeout=STEP_MS)
    expect(page.get_by_text("What is the capacity factor?")).to_be_visible(timeout=STEP_MS)

    # Type an answer covering two key points, leave the box with Esc, show the answer with Space.
    page.get_by_role("textbox", name=t("practice.your_answer", "en")).click()
    page.keyboard.type(ANSWER)
    page.keyboard.press("Escape")
    wait_ready(page)
    page.keyboard.press("Space")
    expect(point_box(page, "capacity-factor", 0)).to_be_visible(timeout=STEP_MS)
    wait_ready(page)
    assert [point_box(page, "capacity-factor", n).is_checked() for n in range(3)] == [True, True, False]

    # Grade with the keyboard (3 = Good), then undo with Ctrl+Z: the card is back and nothing is saved.
    page.keyboard.press("3")
    expect(page.get_by_role("button", name=re.compile(t("practice.undo", "en")))).to_be_visible(timeout=STEP_MS)
    assert [log["rating"] for log in Store(study_app["db"]).reviews.logs("default")] == [3]
    page.keyboard.press("Control+z")
    expect(page.get_by_text(t("practice.undone", "en"))).to_be_visible(timeout=STEP_MS)
    assert Store(study_app["db"]).reviews.logs("default") == []
    expect(page.get_by_text("What is the capacity factor?")).to_be_visible(timeout=STEP_MS)

    # Miss a quiz item: it is sent back to review and Today shows it first, due again.
    open_app(page, study_app["url"] + "/quiz?lang=en")
    page.get_by_role("button", name=t("quiz.start", "en")).click()
    wait_ready(page)
    page.get_by_text("How many experts does Switch use per token? option 1").click()  # option 0 is right
    page.get_by_role("button", name=t("quiz.submit", "en")).click()
    expect(page.get_by_text(t("quiz.sent_back", "en", count=1))).to_be_visible(timeout=STEP_MS)
    open_app(page, study_app["url"] + "/?lang=en")
    relearning = page.locator("[data-testid='stMetric']").filter(has_text=t("today.relearning", "en"))
    expect(relearning).to_contain_text("1", timeout=STEP_MS)  # due again within a minute: today's plan holds it
    # The quiz was the question's first sight today, so it took today's one new card: the plan holds the miss alone.
    expect(page.get_by_role("button", name=t("today.start", "en", count=1))).to_be_visible(timeout=STEP_MS)
    assert Store(study_app["db"]).reviews.logs("default")[-1]["source"] == "quiz"

    # Browse the bank: search, the hit is marked, every card is listed.
    open_app(page, study_app["url"] + "/browse?lang=en")
    page.get_by_role("textbox", name=t("browse.search", "en")).fill("Switch")
    page.keyboard.press("Enter")
    wait_ready(page)
    expect(page.get_by_text(t("browse.count", "en", shown=1, total=3))).to_be_visible(timeout=STEP_MS)
    expect(page.locator("[data-testid='stMarkdown'] strong").filter(has_text="Switch").first).to_be_visible(
        timeout=STEP_MS)


def test_practice_keyboard_focus_and_digits_after_space(study_app, browser):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")
    open_app(page, study_app["url"] + "/practice?lang=en&q=capacity-factor")
    expect(page.get_by_text(t("practice.keys_help", "en"))).to_be_visible(timeout=STEP_MS)
    # Esc leaves the answer box: the Space after it shows the answer instead of typing a space.
    box = page.get_by_role("textbox", name=t("practice.your_answer", "en"))
    box.click()
    page.keyboard.type("padding")
    page.keyboard.press("Escape")
    wait_ready(page)
    page.keyboard.press("Space")
    expect(point_box(page, "capacity-factor", 0)).to_be_visible(timeout=STEP_MS)
    assert box.input_value() == "padding"
    # The focus is on the first key point; Space ticks it, then 2 still grades (Hard).
    page.wait_for_function("() => document.activeElement && document.activeElement.type === 'checkbox'",
                           timeout=STEP_MS)
    assert focused_key(page) == "st-key-practice_point_capacity-factor_0"
    page.keyboard.press("Space")
    wait_ready(page)
    expect(point_box(page, "capacity-factor", 0)).to_be_checked(timeout=STEP_MS)
    page.keyboard.press("2")
    saved_hard = t("practice.saved", "en", rating="Hard", interval="\0").split("\0")[0]
    expect(page.get_by_text(re.compile("^" + re.escape(saved_hard)))).to_be_visible(timeout=STEP_MS)
    assert [log["rating"] for log in Store(study_app["db"]).reviews.logs("default")] == [2]
    # Every time: the next card's Show answer moves the focus again (its first key point).
    wait_ready(page)
    page.keyboard.press("Space")
    page.wait_for_function("() => document.activeElement && document.activeElement.type === 'checkbox'",
                           timeout=STEP_MS)
    assert focused_key(page).startswith("st-key-practice_point_") and "capacity-factor" not in focused_key(page)
