"""AppTest of the answer checklist in both languages: the Practice card and the mock interview's review pre-tick the
key points the typed answer covers, mark the matched words, suggest a rating, and let the user correct the ticks."""
from __future__ import annotations

import re

import pytest

from questions.store import Store
from questions.ui.i18n import t
from questions.ui.labels import rating_label
from questions.ui.routes import MOCK, PRACTICE
from tests.helpers.apptest import app_test, run_ok, texts
from tests.helpers.bank import open_question, write_bank

QID = "load-balancing-aux-loss-gradient"
KEY_POINTS = [
    {"en": "f is counts, not differentiable; the gradient flows through P", "zh": "f 是计数、不可微，梯度经由 P",
     "cues": {"en": ["f has no gradient", "gradient through P", "counts are not differentiable"],
              "zh": ["f 不可微", "梯度经由 P", "计数没有梯度"]}},
    {"en": "Uniform routing gives 1, whatever E", "zh": "均匀时为 1，与 E 无关",
     "cues": {"en": ["uniform routing gives 1", "loss equals 1"], "zh": ["均匀时为 1", "等于 1"]}},
    {"en": "P alone gives soft balance with hard imbalance", "zh": "只用 P 会软均衡、硬失衡",
     "cues": {"en": ["soft balance", "hard imbalance"], "zh": ["软均衡", "硬不均衡"]}},
]
# Each answer covers key points 1 and 3 (indices 0 and 2) and says nothing of the uniform value.
ANSWERS = {
    "en": "f is a count, so it has no gradient; the router gets its gradient through P.\n"
          "With P alone you can get soft balance but hard imbalance.",
    "zh": "f 是计数，不可微，所以梯度经由 P 回到路由器。只用 P 的话会软均衡、硬不均衡。",
}
MARKED = {"en": ("gradient", "soft"), "zh": ("梯度经由", "软均衡")}  # words of point 1 and of point 3


@pytest.fixture
def cue_bank(tmp_path, monkeypatch):
    question = open_question(QID, "load-balancing", 2, "Why does f have no gradient?", "为什么 f 没有梯度？",
                             key_points=KEY_POINTS)
    monkeypatch.setenv("MOE_LAB_BANK", str(write_bank(tmp_path / "bank", {"load-balancing": [question]})))


def ticks(at, prefix: str) -> list[bool]:
    return [at.checkbox(key=f"{prefix}_{number}").value for number in range(len(KEY_POINTS))]


def marked_answer(at) -> str:
    bodies = [element.proto.body for element in at.get("html") if "marked-answer" in element.proto.body]
    assert len(bodies) == 1, bodies
    return bodies[0]


def assert_marked(body: str, lang: str) -> None:
    """Point 1's words and point 3's words are marked and numbered with their point; nothing is marked for point 2."""
    marks = re.findall(r"<mark [^>]*>([^<]*)<sup[^>]*>([\d,]+)</sup></mark>", body)
    first, third = MARKED[lang]
    assert any(first in text and number == "1" for text, number in marks), marks
    assert any(third in text and number == "3" for text, number in marks), marks
    assert {number for _, number in marks} == {"1", "3"}, marks


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_practice_pre_ticks_the_covered_points_marks_their_words_and_suggests_good(cue_bank, db_path, lang):
    at = run_ok(app_test(lang=lang, page=PRACTICE.path))
    at.text_area(key=f"practice_answer_{QID}").input(ANSWERS[lang])
    run_ok(at.button(key="practice_show").click())
    assert ticks(at, f"practice_point_{QID}") == [True, False, True]
    assert t("checklist.matched", lang, matched=2, total=3) in texts(at)
    assert_marked(marked_answer(at), lang)
    assert at.button(key="practice_rate_3").proto.type == "primary"  # 2 of 3 ticked: Good
    at.checkbox(key=f"practice_point_{QID}_0").uncheck()  # the user overrides the matcher
    run_ok(at)
    assert ticks(at, f"practice_point_{QID}") == [False, False, True]
    assert at.button(key="practice_rate_2").proto.type == "primary"  # 1 of 3: Hard
    run_ok(at.button(key="practice_rate_2").click())
    assert [log["rating"] for log in Store(db_path).reviews.logs("default")] == [2]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_practice_without_a_typed_answer_ticks_nothing_and_marks_nothing(cue_bank, lang):
    at = run_ok(app_test(lang=lang, page=PRACTICE.path))
    run_ok(at.button(key="practice_show").click())
    assert ticks(at, f"practice_point_{QID}") == [False, False, False]
    assert t("checklist.title_no_answer", lang) in texts(at)
    assert not [element for element in at.get("html") if "marked-answer" in element.proto.body]
    assert at.button(key="practice_rate_1").proto.type == "primary"  # nothing ticked: Again


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mock_review_pre_ticks_marks_and_suggests_per_question(cue_bank, db_path, lang):
    at = run_ok(app_test(lang=lang, page=MOCK.path))
    at.number_input(key="mock_count").set_value(1)
    run_ok(at.button(key="mock_start").click())
    at.text_area(key=f"mock_answer_{QID}").input(ANSWERS[lang])
    run_ok(at.button(key="mock_next").click())
    assert at.session_state["mock"]["phase"] == "review"
    assert ticks(at, f"mock_point_{QID}") == [True, False, True]
    assert_marked(marked_answer(at), lang)
    assert t("checklist.suggested", lang, rating=rating_label(3, lang)) in texts(at)
    at.checkbox(key=f"mock_point_{QID}_1").check()  # all three ticked: Easy is suggested
    run_ok(at)
    assert t("checklist.suggested", lang, rating=rating_label(4, lang)) in texts(at)
    at.segmented_control(key=f"mock_grade_{QID}").set_value(4)
    run_ok(at.button(key="mock_save").click())
    assert [(item["question_id"], item["rating"]) for item in Store(db_path).mocks.sessions("default")[0]["items"]] \
        == [(QID, 4)]
    assert all(at.checkbox(key=f"mock_point_{QID}_{number}").disabled for number in range(3))  # saved: read-only
