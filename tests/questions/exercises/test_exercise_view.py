"""What the Exercises page shows, without a browser: titles, the exercise a link opens, verdicts, attempts, the
moment the reference is revealed."""
from questions.exercises import exercises, get_exercise
from questions.exercises.view import (best_attempt, exercise_titles, next_hint_count, record_attempt, slug_to_open,
                                      solution_revealed, verdict)
from questions.store import Store


def _test(name, status):
    return {"name": name, "status": status, "message": None, "output": None, "test_code": ""}


FAILED = {"status": "fail", "verdict": "fail", "message": None,
          "tests": [_test("test_a", "pass"), _test("test_b", "fail"), _test("test_c", "error")]}
PASSED = {"status": "pass", "verdict": "pass", "message": None, "tests": [_test("test_a", "pass")]}
SYNTAX = {"status": "error", "verdict": "syntax-error", "message": "SyntaxError in solution.py, line 1", "tests": []}


def test_titles_carry_the_difficulty_in_stars():
    titles = exercise_titles(exercises(), "zh")
    assert set(titles) == {exercise.slug for exercise in exercises()}
    z_loss = get_exercise("z-loss")
    assert titles["z-loss"] == f"{z_loss.title['zh']}  {'★' * z_loss.difficulty}"


def test_a_link_opens_a_known_exercise_once():
    slugs = ["topk-router", "z-loss"]
    assert slug_to_open("z-loss", slugs, last_opened=None) == "z-loss"
    assert slug_to_open("z-loss", slugs, last_opened="z-loss") is None  # followed already: the picker wins
    assert slug_to_open("no-such-exercise", slugs, last_opened=None) is None
    assert slug_to_open(None, slugs, last_opened="z-loss") is None


def test_hints_come_one_at_a_time_up_to_the_last():
    assert next_hint_count(0, 3) == 1 and next_hint_count(2, 3) == 3 and next_hint_count(3, 3) == 3


def test_verdict_counts_the_tests_and_opens_the_first_failure():
    assert verdict(FAILED) == {"kind": "fail", "passed": 1, "total": 3, "first_failure": 1, "verdict": "fail",
                               "message": ""}
    assert verdict(PASSED)["kind"] == "pass" and verdict(PASSED)["first_failure"] is None
    error = verdict(SYNTAX)
    assert (error["kind"], error["verdict"], error["total"]) == ("error", "syntax-error", 0)
    assert error["message"].startswith("SyntaxError")


def test_runs_are_saved_and_the_best_one_is_found(tmp_path):
    store = Store(tmp_path / "progress.sqlite3")
    record_attempt(store, "alice", "z-loss", FAILED, "def z_loss(x): ...")
    record_attempt(store, "alice", "z-loss", PASSED, "def z_loss(x): return x")
    attempts = store.attempts.list("alice", "z-loss")
    assert [(a["status"], a["passed"], a["total"], a["code"]) for a in attempts] == [
        ("fail", 1, 3, "def z_loss(x): ..."), ("pass", 1, 1, "def z_loss(x): return x")]
    assert best_attempt(attempts)["total"] == 1  # as many passed, fewer tests: the cleaner run
    assert best_attempt([]) is None
    assert store.attempts.list("bob", "z-loss") == []


def test_the_reference_is_revealed_after_a_pass_or_giving_up():
    assert solution_revealed(PASSED, gave_up=False)
    assert not solution_revealed(FAILED, gave_up=False) and not solution_revealed(None, gave_up=False)
    assert solution_revealed(None, gave_up=True)
