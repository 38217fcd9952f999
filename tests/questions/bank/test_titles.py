"""Titles cut for links and tables: at most the limit, on one line, and never ending inside `$...$` math."""
import re

from hypothesis import given, strategies as st

from questions.bank.titles import MATH_DELIMITER_RE, clip, question_title
from questions.languages import LANGUAGES


def open_math(text: str) -> bool:
    return len(MATH_DELIMITER_RE.findall(text)) % 2 == 1


def test_a_cut_inside_a_formula_ends_before_the_formula():
    text = "Mixtral 8x7B 的配置：32 层，$d_{model}=4096$，8 个专家"
    assert clip(text, 24) == "Mixtral 8x7B 的配置：32 层，…"
    assert clip(text, 40) == "Mixtral 8x7B 的配置：32 层，$d_{model}=4096$，…"  # a whole formula stays


def test_short_text_is_kept_on_one_line_and_long_text_cut_to_the_limit():
    assert clip("top-k\n  routing", 50) == "top-k routing"
    assert clip("a" * 30, 10) == "a" * 9 + "…"
    assert clip(r"costs \$5 per GPU hour, with the answer in prose", 12) == r"costs \$5 p…"  # an escaped $ is text


@given(st.text(alphabet="ab $\\{}_x", max_size=120), st.integers(min_value=2, max_value=100))
def test_clip_never_opens_math_it_does_not_close(text, limit):
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    flat = " ".join(text.split())
    if clipped.endswith("…") and not open_math(flat):
        assert not open_math(clipped), clipped
    assert flat.startswith(clipped.removesuffix("…").rstrip()) or clipped == "…"


def test_no_title_of_the_bank_ends_inside_math(bank):
    for question in bank.questions:
        for lang in LANGUAGES:
            title = question_title(question, lang, limit=40)
            first = question.text("prompt", lang).strip().splitlines()[0]
            if not open_math(first):
                assert not open_math(title), (question.id, lang, title)
            assert len(title) <= 40 and not re.search(r"\s…$", title)
