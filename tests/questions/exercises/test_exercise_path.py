"""The exercise path: every exercise once, real bank topics, the next exercise to suggest, the README's list."""
import re
from pathlib import Path

import pytest

from questions.bank.schema import TOPICS
from questions.exercises.catalog import EXERCISES_DIR, exercise_slugs
from questions.exercises.path import PATH, PathStep, next_exercise, path_slugs, path_step


def test_path_holds_every_exercise_exactly_once():
    assert len(path_slugs()) == len(set(path_slugs()))
    assert set(path_slugs()) == set(exercise_slugs())


def test_every_step_drills_a_bank_topic():
    for step in PATH:
        assert step.topic in TOPICS, f"{step.slug}: {step.topic!r} is not a bank topic"


def test_next_exercise_is_the_first_unsolved_step():
    assert next_exercise([]) == PATH[0]
    assert next_exercise([PATH[0].slug]) == PATH[1]
    # solving a later exercise first does not skip the earlier ones
    assert next_exercise([PATH[0].slug, PATH[5].slug]) == PATH[1]
    assert next_exercise(path_slugs()[:7]) == PATH[7]


def test_next_exercise_ignores_unknown_slugs_and_ends_with_none():
    assert next_exercise(iter(["no-such-exercise"])) == PATH[0]
    assert next_exercise(path_slugs()) is None
    assert next_exercise(path_slugs() + ["no-such-exercise"]) is None


def test_path_step_by_slug():
    assert path_step("moe-layer-forward") == PathStep("moe-layer-forward", "fundamentals")
    with pytest.raises(ValueError, match="slug"):
        path_step("no-such-exercise")


def test_readme_lists_the_path_in_order():
    readme = (EXERCISES_DIR / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^(\d+)\. `([a-z0-9-]+)`.*\(topic `([a-z-]+)`\)", readme, flags=re.MULTILINE)
    assert [int(number) for number, _, _ in listed] == list(range(1, len(PATH) + 1))
    assert [PathStep(slug, topic) for _, slug, topic in listed] == list(PATH)
