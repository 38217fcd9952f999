"""The bank questions the sandbox links to: the preset's own first, then those on the sandbox's topics; titles."""
from __future__ import annotations

from questions.bank.loader import load_bank
from questions.bank.schema import LocalText, Question
from questions.bank.titles import question_title
from sandbox.related import SANDBOX_TAGS, related_questions
from tests.helpers.bank import open_question, write_bank


def question(name, tags=("fixture",), presets=(), prompt="Why?") -> Question:
    """A bank question (the tests' one builder) with id routing-<name>."""
    return Question.model_validate(open_question(f"routing-{name}", "routing", 1, prompt, "为什么？", tags=list(tags),
                                                 sandbox_presets=list(presets)))


def names(questions) -> list[str]:
    return [q.id.removeprefix("routing-") for q in questions]


def test_preset_questions_come_first_then_tagged_ones_in_bank_order():
    bank = [question("a", ["capacity"]), question("b", ["unrelated"]), question("c", ["router"], ["mixtral-8x7b"]),
            question("d", ["all-to-all"]), question("e", ["z-loss"], ["deepseek-v3"])]
    assert names(related_questions(bank, "mixtral-8x7b")) == ["c", "a", "d", "e"]
    assert names(related_questions(bank, None)) == ["a", "c", "d", "e"]
    assert names(related_questions(bank, "deepseek-v3", tags={"capacity"})) == ["e", "a"]
    assert names(related_questions(bank, None, limit=2)) == ["a", "c"]


def test_a_linked_question_counts_even_without_a_sandbox_tag():
    bank = [question("x", ["unrelated"], ["switch-top1"])]
    assert related_questions(bank, "switch-top1") == bank and related_questions(bank, None) == []


def test_sandbox_tags_cover_routing_capacity_balance_and_parallelism():
    assert {"router", "capacity", "aux-loss", "all-to-all"} <= SANDBOX_TAGS


def test_title_is_the_first_prompt_line_without_markdown_and_cut():
    assert question_title(question("a", prompt="## **Why** top-k?\n\nMore text"), "en") == "Why top-k?"
    assert question_title(question("a"), "zh") == "为什么？"
    blank = question("a").model_copy(update={"prompt": LocalText.model_construct(en="  ", zh="  ")})  # not in a bank
    assert question_title(blank, "en") == ""
    long = question_title(question("a", prompt="x" * 120), "en")
    assert long == "x" * 89 + "…" and len(long) == 90


def test_real_bank_questions_work(tmp_path):
    questions = load_bank(write_bank(tmp_path / "bank"), cache_dir=None).questions
    related = related_questions(questions, "mixtral-8x7b", tags={"capacity"})
    assert related[0].id == "routing-topk-softmax"  # the fixture links it to mixtral-8x7b
    assert {q.id for q in related[1:]} == {"capacity-factor", "capacity-formula", "capacity-overflow"}
    assert question_title(related[0], "zh") == "为什么要对 top-k 权重重新归一化？"
