"""What the Exercises page shows, without a browser: titles, the exercise a link opens, verdicts, attempts, the
moment the reference is revealed."""
from questions.exercises import exercises, get_exercise
from questions.exercises.view import (best_attempt, exercise_titles, merge_single_test, next_hint_count,
                                      record_attempt, related_question_titles, slug_to_open, solution_revealed,
                                      verdict)
from questions.store import Store
from tests.helpers.bank import as_questions, open_question


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


def test_one_test_run_again_replaces_its_entry_in_the_last_full_run():
    single = {"status": "pass", "verdict": "pass", "message": None, "run_id": "r2", "tests": [_test("test_b", "pass")]}
    merged = merge_single_test(FAILED, single)
    assert [(test["name"], test["status"]) for test in merged["tests"]] == [
        ("test_a", "pass"), ("test_b", "pass"), ("test_c", "error")]
    assert (merged["status"], merged["rerun"], merged["run_id"]) == ("fail", "test_b", "r2")
    now_passing = merge_single_test(merged, {**single, "tests": [_test("test_c", "pass")]})
    assert now_passing["status"] == "pass" and verdict(now_passing)["passed"] == 3
    assert merge_single_test(None, single) is single  # nothing to merge into
    assert merge_single_test(FAILED, SYNTAX) is SYNTAX  # an error before the tests replaces the result


def test_related_questions_show_their_titles():
    exercise = get_exercise("topk-router")
    bank = as_questions([open_question("routing-topk-softmax", en="**Why** renormalise top-k?\n\nMore.",
                                       zh="为什么要重新归一化？", exercises=["topk-router"])])
    titles = dict(related_question_titles(exercise, bank, "en"))
    assert titles["routing-topk-softmax"] == "Why renormalise top-k?"
    missing = [qid for qid in exercise.related_questions if qid != "routing-topk-softmax"]
    assert all(titles[qid] == qid for qid in missing), "a question the bank lacks shows its id"
    assert dict(related_question_titles(exercise, bank, "zh"))["routing-topk-softmax"] == "为什么要重新归一化？"
