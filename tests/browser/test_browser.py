"""Real-browser tests: `streamlit run app.py` driven by Playwright on Debian's Chromium (keyboard practice, language,
Chinese text drawn with real glyphs)."""
from __future__ import annotations

import re

from questions.languages import LANGUAGE_NAMES
from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import PAGES
from sandbox.settings import STEP_BUTTON_STEPS
from tests.helpers.browser import READY, STEP_MS, open_app

CJK_FIRST = 0x2E80  # the CJK blocks (radicals, punctuation, ideographs) start here


def test_practise_one_card_with_the_keyboard_then_reload(server, browser):
    from playwright.sync_api import expect
    from questions.ui.i18n import t
    from questions.store import Store

    page = browser.new_page(locale="en-US")
    open_app(page, server["url"] + "/practice?lang=en")
    stats = page.get_by_text(re.compile(r"^Reviews today: "))
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
    expect(page.get_by_text(re.compile(r"^Reviews today: "))).to_have_text(
        t("practice.stats", "en", reviewed=1, due=0, new=5), timeout=STEP_MS)

    logs = Store(server["db"]).reviews.logs("default")
    assert [(log["rating"], log["source"], log["answer_text"]) for log in logs] == [
        (3, "practice", "softmax over 2 selected logits")]


def test_switch_language_in_the_sidebar(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")
    open_app(page, server["url"] + "/practice")
    expect(page.get_by_role("heading", name="Practice")).to_be_visible(timeout=STEP_MS)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name=LANGUAGE_NAMES["zh"]).click()
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


# Draws each character of `text` alone on a canvas in the element's font (at 32 px) and returns one fingerprint per
# character (its alpha channel), plus the fingerprint of a private-use character that no font draws: the tofu box.
GLYPH_FINGERPRINTS_JS = """async ([element, text]) => {
    await document.fonts.ready;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const context = canvas.getContext("2d");
    context.font = "32px " + getComputedStyle(element).fontFamily;
    const draw = (character) => {
        context.clearRect(0, 0, 48, 48);
        context.fillText(character, 4, 38);
        return Array.from(context.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3)).join(",");
    };
    return {glyphs: Array.from(text).map(draw), tofu: draw("\\uE000"), blank: draw(" ")};
}"""


def test_chinese_labels_are_drawn_with_real_glyphs(server, browser):
    """Without a CJK font Chromium draws every Chinese character as the same empty box (tofu): then the characters'
    fingerprints coincide with each other and with the box of a character no font has. .ci/run installs
    fonts-noto-cjk."""
    page = browser.new_page(locale="zh-CN")
    open_app(page, server["url"] + "/?lang=zh")
    labels = [t(route.title_key, "zh") for route in PAGES]
    link = page.locator("[data-testid='stSidebarNav']").get_by_text(labels[0], exact=True)
    link.wait_for(timeout=STEP_MS)
    text = "".join(dict.fromkeys(character for label in labels for character in label if ord(character) >= CJK_FIRST))
    assert len(text) >= 8, text  # enough distinct Chinese characters for the comparison to mean something
    drawn = page.evaluate(GLYPH_FINGERPRINTS_JS, [link.element_handle(), text])
    glyphs = dict(zip(text, drawn["glyphs"]))
    empty_or_tofu = "".join(character for character, glyph in glyphs.items()
                            if glyph in (drawn["blank"], drawn["tofu"]))
    assert not empty_or_tofu, f"drawn as nothing or as tofu boxes: {empty_or_tofu}; install a CJK font (fonts-noto-cjk)"
    assert len(set(glyphs.values())) == len(text), "distinct Chinese characters were drawn alike (tofu boxes)"


def test_sandbox_live_training_plays_pauses_and_resets(server, browser):
    """The Train tab in Chinese: Play streams the curves, Pause holds the step, Play goes on to the end, Reset."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

    def status(step: int):
        return page.get_by_text(t("sandbox.live.status", "zh", step=step, total=500, methods=3), exact=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1200})
    open_app(page, server["url"] + "/sandbox?lang=zh&sb.steps=500")  # 3 methods x 500 steps: time to pause
    page.get_by_role("tab", name=t("sandbox.section.train", "zh")).click()
    expect(status(0)).to_be_visible(timeout=STEP_MS)
    page.get_by_role("button", name=t("sandbox.live.step", "zh", n=STEP_BUTTON_STEPS)).click()
    expect(status(STEP_BUTTON_STEPS)).to_be_visible(timeout=STEP_MS)
    page.wait_for_timeout(1500)
    expect(status(STEP_BUTTON_STEPS)).to_be_visible()  # nothing trains unless playing
    page.get_by_role("button", name=t("sandbox.live.play", "zh")).click()
    page.get_by_text(re.compile(r"^第 (\d+) / 500 步")).first.wait_for(timeout=STEP_MS)  # the curves grow
    play = page.get_by_role("button", name=t("sandbox.live.play", "zh"))
    pause = page.get_by_role("button", name=t("sandbox.live.pause", "zh"))
    expect(pause).to_be_visible(timeout=STEP_MS)  # Play turned into Pause: it plays
    for _attempt in range(3):  # Playwright waits for a steady button while the charts redraw: a click can come late
        if play.is_visible():
            break
        try:
            pause.click(force=True, timeout=5_000)
            play.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:  # the click missed (click again, as a user would), or Pause is already gone
            continue
    expect(play).to_be_visible(timeout=STEP_MS)
    page.wait_for_selector(READY, timeout=STEP_MS)
    held = page.get_by_text(re.compile(r"^第 \d+ / 500 步")).inner_text()
    page.wait_for_timeout(1500)
    assert page.get_by_text(re.compile(r"^第 \d+ / 500 步")).inner_text() == held, "nothing trains while paused"
    if held != t("sandbox.live.status", "zh", step=500, total=500, methods=3):  # a fast machine may finish first
        page.get_by_role("button", name=t("sandbox.live.play", "zh")).click()
    expect(status(500)).to_be_visible(timeout=300_000)
    expect(page.get_by_role("button", name=t("sandbox.live.play", "zh"))).to_be_disabled(timeout=STEP_MS)
    page.get_by_role("button", name=t("sandbox.live.reset", "zh")).click()
    expect(status(0)).to_be_visible(timeout=STEP_MS)
