"""Quizzes: sampling a set from a topic, grading exactly-the-correct-options, option verdicts, the history rows."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from questions.bank.loader import load_bank
from questions.study.quiz import (choice_is_correct, choice_questions, display_order, grade_quiz, option_verdicts,
                                  quiz_history, quiz_percent, quiz_pool, sample_quiz)
from tests.helpers.bank import as_questions, choice_question, write_bank


@pytest.fixture
def choices(tmp_path):
    return choice_questions(load_bank(write_bank(tmp_path / "bank")).questions)


def test_choice_grading_needs_exactly_the_correct_set():
    assert choice_is_correct([1], [1])
    assert not choice_is_correct([0, 2], [0])
    assert not choice_is_correct([0], [0, 1])


def test_the_pool_is_the_topic_or_everything(choices):
    assert {question.type for question in choices} == {"choice"}
    assert quiz_pool(choices, "capacity") == ["capacity-formula", "capacity-overflow"]
    assert sorted(quiz_pool(choices, "")) == sorted(quiz_pool(choices, None)) == sorted(q.id for q in choices)


def test_a_quiz_samples_distinct_questions_and_no_more_than_the_pool(choices):
    quiz = sample_quiz(choices, "capacity", 10, random.Random(3))
    assert sorted(quiz["ids"]) == ["capacity-formula", "capacity-overflow"]
    assert quiz["topic"] == "capacity" and quiz["result"] is None
    assert sample_quiz(choices, "", 1, random.Random(3))["topic"] is None  # "" is the all-topics entry
    assert len(sample_quiz(choices, None, 1)["ids"]) == 1


def test_grading_counts_exactly_right_questions_and_unanswered_as_wrong(choices):
    formula, overflow = (question for question in choices if question.topic == "capacity")
    result = grade_quiz([formula, overflow], {formula.id: [1]})  # formula's correct option is 1
    assert result == {"answers": {formula.id: [1]}, "score": 1, "total": 2}


def test_option_verdicts_mark_correct_wrongly_chosen_and_other_options(choices):
    overflow = next(question for question in choices if question.id == "capacity-overflow")  # option 2 is correct
    verdicts = option_verdicts(overflow, [0])
    assert [(v.index, v.correct, v.chosen, v.mark) for v in verdicts] == [
        (0, False, True, "❌"), (1, False, False, "▫️"), (2, True, False, "✅")]


def test_the_percentage_of_a_quiz():
    assert quiz_percent(3, 4) == 75.0 and quiz_percent(4, 4) == 100.0 and quiz_percent(1, 3) == 100 / 3
    assert quiz_percent(0, 0) == 0.0  # an empty quiz


def test_history_is_newest_first_with_a_percentage():
    results = [{"taken_at": f"2026-03-0{n}T10:00:00+00:00", "topic": None, "score": n, "total": 4} for n in range(1, 5)]
    results.append({"taken_at": "2026-03-05T10:00:00+00:00", "topic": "routing", "score": 0, "total": 0})
    rows = quiz_history(results, limit=3)
    assert [row["taken_at"][:10] for row in rows] == ["2026-03-05", "2026-03-04", "2026-03-03"]
    assert [row["percent"] for row in rows] == [0, 100, 75]
    assert rows[0]["topic"] == "routing" and rows[1]["score"] == 4 and rows[1]["total"] == 4


def test_display_order_is_a_fixed_permutation_per_question():
    questions = as_questions([choice_question(f"routing-q{n}") for n in range(20)])
    orders = [display_order(question) for question in questions]
    assert all(sorted(order) == list(range(len(q.options))) for order, q in zip(orders, questions))
    assert orders == [display_order(question) for question in questions]  # the same on every rerun
    assert len({tuple(order) for order in orders}) > 1  # not one order for all


def test_in_the_real_bank_the_correct_option_shows_at_no_position_more_than_40_percent():
    single = [q for q in load_bank(cache_dir=None).questions if q.type == "choice" and q.single_answer]
    positions = Counter(display_order(q).index(q.correct_option_indices()[0]) for q in single)
    assert max(positions.values()) <= 0.4 * len(single), positions
