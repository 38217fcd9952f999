"""The answer matcher's tricky cases: synonyms and abbreviations, typos, Chinese segmentation, negation, word order
and clauses, the "counts give a gradient" trap, empty answers, highlight spans, and jieba loading lazily and quietly."""
from __future__ import annotations

import subprocess
import sys

import pytest

from questions.study.answer_text import normal_number, normal_word, tokenize
from questions.study.matching import compile_cue, highlight_segments, match_answer
from tests.helpers.paths import ROOT

GRADIENT_POINT = "Explains $f$ is counts (not differentiable); gradient $\\partial L/\\partial P_i = \\alpha E f_i$"
GRADIENT_CUES = {"en": ["f has no gradient", "counts are not differentiable", "piecewise constant",
                        "gradient through P"],
                 "zh": ["f 不可微", "计数没有梯度", "分段常数", "梯度经由 P"]}


def covered(answer: str, cues: list[str], lang: str = "en", point: str = "a key point") -> bool:
    return match_answer(answer, [point], [cues], lang)[0].covered


@pytest.mark.parametrize("answer", [
    "The gradient flows through P, not through the counts.",
    "f is piecewise constant, so only P carries a gradient.",
    "grad via P; f is a count and isn't differentiable",          # abbreviation, synonym, "isn't"
    "the gradiant goes trough P",                                 # two typos
    "f has no gradient",
])
def test_the_gradient_point_is_ticked_by_what_makes_it(answer):
    assert covered(answer, GRADIENT_CUES["en"], point=GRADIENT_POINT)


@pytest.mark.parametrize("answer", [
    "The aux loss is computed from counts, so it gives the router a gradient",  # words reused in a wrong claim
    "The counts are differentiable, so the router learns from them.",
    "No gradient flows through P.",                                             # negated
    "P has no gradient while f does.",                                          # f and "no gradient" in two clauses
    "The loss is a product of f and P.",
])
def test_the_gradient_point_is_not_ticked_by_wrong_claims_that_reuse_its_words(answer):
    assert not covered(answer, GRADIENT_CUES["en"], point=GRADIENT_POINT)


def test_the_gradient_point_in_chinese_needs_the_negation_and_the_path():
    cues = GRADIENT_CUES["zh"]
    assert covered("f 是计数，分段常数，所以不可微；梯度只能经由 P 回传。", cues, "zh")
    assert covered("计数没梯度", cues, "zh")  # 没 for 没有: the negation, not the word, is what must match
    assert not covered("辅助损失是用计数算的，所以计数直接给路由器提供梯度。", cues, "zh")
    assert not covered("f 可微，梯度不经由 P。", cues, "zh")


def test_without_cues_the_key_points_own_content_words_are_matched():
    point = "The combine step is a second all-to-all, not an all-gather"
    assert match_answer("combine with a second all-to-all", [point], [[]], "en")[0].covered
    assert not match_answer("use an all-gather", [point], [[]], "en")[0].covered
    assert match_answer("合并用第二次 all-to-all", ["合并是第二次 all-to-all"], [[]], "zh")[0].covered


@pytest.mark.parametrize("answer,cue", [
    ("an a2a dispatch", "all-to-all dispatch"),                  # abbreviation
    ("all to all dispatch", "all-to-all dispatch"),
    ("the load-balancing loss", "load balancing loss"),
    ("we renormalise the weights", "renormalize the weights"),  # British spelling
    ("no renorm after the drop", "no renormalization"),         # abbreviation of a longer word
    ("keeps the top k", "top-k"),
    ("alpha = 1e-2", "alpha 0.01"),                              # one spelling per number
    ("α = 10^{-2}", "alpha 0.01"),
    ("a miss costs 10ms", "10 ms"),
    ("the experts' weighted outputs", "weighted output"),
])
def test_synonyms_spellings_and_abbreviations(answer, cue):
    assert covered(answer, [cue], point=cue), (answer, cue)


def test_a_word_is_not_an_abbreviation_of_a_different_longer_one():
    assert not covered("Mixtral drops tokens at inference", ["Mixtral dropless"])  # "drop" is not "dropless"
    assert not covered("keep routing balanced", ["KeepTopK"])


def test_cue_words_must_come_in_order_and_close_together():
    cues = ["expert picks top-C tokens"]
    assert covered("each expert picks its top-C tokens from the batch", cues)
    assert not covered("each token picks its top-C experts", cues)  # the same words, the roles swapped
    assert not covered("the expert is chosen; much later in a long answer about other things we pick the top-C "
                       "of all the tokens", cues)


def test_chinese_is_segmented_and_matched_across_word_boundaries():
    cues = ["负载均衡损失"]
    assert covered("加一个负载均衡的损失", cues, "zh")     # a particle between the words
    assert covered("负载均衡损失要加在每一层", cues, "zh")
    assert not covered("负载太高", cues, "zh")
    assert compile_cue("负载均衡损失").parts[0].kind == "cjk"
    assert [part.text for part in compile_cue("不是反向传播").parts] == ["反向", "传播"]
    assert compile_cue("不是反向传播").negated and not compile_cue("反向传播").negated


def test_chinese_negation_inside_a_word_counts():
    assert covered("偏置不是靠反向传播学的", ["不是反向传播"], "zh")
    assert not covered("偏置通过反向传播和主损失一起训练", ["不是反向传播"], "zh")
    assert covered("推理时不加噪声", ["推理时不加噪声"], "zh")       # jieba reads "时不加" as one word
    assert not covered("推理时加噪声", ["推理时不加噪声"], "zh")
    assert covered("非常重要的是梯度经由 P", ["梯度经由 P"], "zh")  # 非常 (very) negates nothing


def test_a_chinese_answer_may_use_english_terms():
    assert covered("dispatch 用 all_to_all_single，split 不等长", ["all_to_all_single"], "zh")
    assert covered("先做一次 count all-to-all", ["计数 all-to-all", "count all-to-all"], "zh")


def test_empty_and_blank_answers_cover_nothing():
    for answer in ("", "   \n\t"):
        matches = match_answer(answer, ["a", "b"], [["gradient through P"], []], "en")
        assert [(m.covered, m.spans) for m in matches] == [(False, ()), (False, ())]


def test_highlight_spans_lie_inside_the_typed_text_and_cover_the_matched_words():
    answer = "Straße first: the GRADIENT flows through P. Also the counts are not differentiable."
    matches = match_answer(answer, ["gradient point", "counts point"],
                           [["gradient through P"], ["counts not differentiable"]], "en")
    assert [m.covered for m in matches] == [True, True]
    words = [[answer[start:end] for start, end in m.spans] for m in matches]
    assert words == [["GRADIENT flows through P"], ["counts are not differentiable"]]  # "ß" casefolds to "ss"
    for match in matches:
        assert all(0 <= start < end <= len(answer) for start, end in match.spans)


def test_highlight_segments_cut_the_answer_by_key_point():
    answer = "gradient through P and soft balance"
    matches = match_answer(answer, ["p1", "p2"], [["gradient through P"], ["soft balance"]], "en")
    segments = highlight_segments(answer, matches)
    assert "".join(text for text, _ in segments) == answer
    # the spaces between a point's words join them; the unmatched " and " stays apart
    assert segments == [("gradient through P", (0,)), (" and ", ()), ("soft balance", (1,))]
    overlapping = highlight_segments(answer, matches + matches[:1])
    assert ("gradient through P", (0, 2)) in overlapping


def test_a_point_whose_cue_matched_exactly_scores_1_and_typos_score_less():
    exact, typo = match_answer("gradient through P. gradiant trough P", ["a", "b"],
                               [["gradient through P"], ["gradient through P"]], "en")
    assert exact.score == 1.0 and exact.cue == "gradient through P"
    fuzzy = match_answer("gradiant trough P", ["a"], [["gradient through P"]], "en")[0]
    assert fuzzy.covered and 0.85 <= fuzzy.score < 1.0


def test_words_and_numbers_have_one_normal_form():
    assert normal_word("Balancing") == normal_word("balanced") == normal_word("balance")
    assert normal_word("specialisation") == normal_word("specialization")
    assert normal_word("grads") == "gradient" and normal_word("a2a") == "alltoall"
    assert normal_word("biases") == normal_word("bias")
    assert normal_number("1e-2") == normal_number("0.01") == "0.01"
    assert [token.norm for token in tokenize("10^{-3} and 1e-3").tokens if token.kind == "num"] == ["0.001"] * 2


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="cues"):
        match_answer("x", ["a", "b"], [[]], "en")
    with pytest.raises(ValueError, match="lang"):
        match_answer("x", ["a"], [[]], "fr")


def test_jieba_loads_only_for_chinese_and_prints_nothing():
    script = ("import sys\n"
              "from questions.study.matching import match_answer\n"
              "match_answer('gradient through P', ['a'], [['gradient through P']], 'en')\n"
              "assert 'jieba' not in sys.modules, 'jieba loaded for English'\n"
              "from questions.study.answer_text import segmenter_load_seconds\n"
              "assert segmenter_load_seconds() is None\n"
              "assert match_answer('梯度经由 P', ['a'], [['梯度经由 P']], 'zh')[0].covered\n"
              "assert segmenter_load_seconds() > 0\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
