"""Links between the bank, the exercises and the sandbox name things that exist: every question's `exercises` an
exercise folder, every `sandbox_presets` entry a sandbox preset, every exercise's `related_questions` a bank question."""
import pytest

from questions import Question, load_bank
from questions.bank.loader import BANK_DIR
from questions.exercises import exercises
from sandbox.presets import PRESETS

from tests.helpers.bank import FIXTURE_BANK

EXERCISE_SLUGS = {exercise.slug for exercise in exercises()}


def broken_links(questions) -> list[str]:
    """"<question id>: exercises: <slug>" for every link naming no exercise or preset."""
    broken = []
    for question in questions:
        broken += [f"{question.id}: exercises: {slug}" for slug in question.exercises if slug not in EXERCISE_SLUGS]
        broken += [f"{question.id}: sandbox_presets: {preset}" for preset in question.sandbox_presets
                   if preset not in PRESETS]
    return broken


@pytest.fixture(scope="module")
def bank():
    return load_bank(BANK_DIR, cache_dir=None).questions


def test_every_bank_link_names_an_exercise_or_a_preset(bank):
    assert broken_links(bank) == []
    assert any(question.exercises for question in bank) and any(question.sandbox_presets for question in bank)


def test_a_link_to_nothing_is_found():
    linked = Question.model_validate({**FIXTURE_BANK["routing"][0], "exercises": ["topk-router", "no-such-exercise"],
                                      "sandbox_presets": ["gpt-4", "mixtral-8x7b"]})
    assert broken_links([linked]) == ["routing-topk-softmax: exercises: no-such-exercise",
                                      "routing-topk-softmax: sandbox_presets: gpt-4"]


def test_every_exercise_links_bank_questions_and_presets_that_exist(bank):
    question_ids = {question.id for question in bank}
    for exercise in exercises():
        assert set(exercise.related_questions) <= question_ids, exercise.slug
        assert set(exercise.sandbox_presets) <= set(PRESETS), exercise.slug
