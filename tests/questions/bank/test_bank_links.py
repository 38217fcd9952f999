"""Links between the bank, the exercises and the sandbox name things that exist: every question's `exercises` an
exercise folder, every `sandbox_presets` entry a sandbox preset, every exercise's `related_questions` a bank question;
a link naming nothing is reported with its file, line and field."""
from questions import BankLoadResult, Question, load_bank
from questions.bank.links import link_problems
from questions.exercises.catalog import exercise_slugs, exercises
from sandbox.presets import PRESETS

from tests.helpers.bank import FIXTURE_BANK, open_question, write_bank


def test_every_bank_link_names_an_exercise_or_a_preset(bank):
    assert link_problems(bank, exercise_slugs(), PRESETS) == []
    assert any(question.exercises for question in bank.questions)
    assert any(question.sandbox_presets for question in bank.questions)


def test_a_link_to_nothing_is_found_at_its_line(tmp_path):
    routing = [*FIXTURE_BANK["routing"], open_question(
        "routing-dangling", "routing", 1, "Links?", "链接？", exercises=["topk-router", "no-such-exercise"],
        sandbox_presets=["gpt-4", "mixtral-8x7b"])]
    directory = write_bank(tmp_path / "bank", {"routing": routing})
    result = load_bank(directory, cache_dir=None)
    assert result.problems == []  # well-formed links: the schema accepts them
    problems = link_problems(result, exercise_slugs(), PRESETS)
    text = (directory / "routing.yaml").read_text(encoding="utf-8").splitlines()
    assert [(problem.field, problem.message) for problem in problems] == [
        ("exercises[1]", "'no-such-exercise' names no exercise (a folder of questions/exercises/)"),
        ("sandbox_presets[0]", "'gpt-4' names no sandbox preset (a key of sandbox/presets.py's PRESETS)")]
    assert {problem.path for problem in problems} == {str(directory / "routing.yaml")}
    assert text[problems[0].line - 1].strip() == "- no-such-exercise"
    assert text[problems[1].line - 1].strip() == "- gpt-4"


def test_a_question_without_a_file_is_reported_under_its_id():
    linked = Question.model_validate({**FIXTURE_BANK["routing"][0], "exercises": ["topk-router", "no-such-exercise"]})
    (problem,) = link_problems(BankLoadResult(questions=[linked]), ["topk-router"], ["mixtral-8x7b"])
    assert str(problem) == ("routing-topk-softmax:0: exercises[1]: 'no-such-exercise' names no exercise "
                            "(a folder of questions/exercises/)")


def test_every_exercise_links_bank_questions_and_presets_that_exist(bank):
    question_ids = {question.id for question in bank.questions}
    for exercise in exercises():
        assert set(exercise.related_questions) <= question_ids, exercise.slug
        assert set(exercise.sandbox_presets) <= set(PRESETS), exercise.slug
