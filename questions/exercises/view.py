"""What the Exercises page shows, as plain values: titles, the exercise a link opens, the verdict of a run, the best
attempt, when the reference is revealed; and saving a run as an attempt."""
from __future__ import annotations

from typing import Optional, Sequence

from questions.bank.titles import question_title
from questions.store import Store

from .catalog import Exercise, related_question_ids
from .results import result_summary
from .status import best_attempt  # noqa: F401 - the page's view of attempts

TEST_ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️"}


def stars(difficulty: int) -> str:
    return "★" * difficulty


def exercise_titles(exercises: Sequence[Exercise], lang: str) -> dict[str, str]:
    """slug -> "Title  ★★" for the picker."""
    return {exercise.slug: f"{exercise.text('title', lang)}  {stars(exercise.difficulty)}" for exercise in exercises}


def related_question_titles(exercise: Exercise, bank_questions: Sequence, lang: str) -> list[tuple[str, str]]:
    """(question id, title in `lang`) of the exercise's related bank questions; the id where the bank lacks it."""
    by_id = {question.id: question for question in bank_questions}
    return [(qid, question_title(by_id[qid], lang) if qid in by_id else qid)
            for qid in related_question_ids(exercise, bank_questions)]


def slug_to_open(from_url: Optional[str], slugs: Sequence[str], last_opened: Optional[str]) -> Optional[str]:
    """The exercise a `?exercise=<slug>` link asks to open, or None: an unknown slug, or the link already followed
    (so picking another exercise is not undone by the URL on the next rerun)."""
    return from_url if from_url in slugs and from_url != last_opened else None


def next_hint_count(shown: int, total: int) -> int:
    """Hints shown after one more is asked for: one more, never more than there are."""
    return min(shown + 1, total)


def verdict(result: dict) -> dict:
    """The headline of a run: kind ("pass", "fail" or "error"), passed, total, the first test that did not pass,
    and for an error its verdict name and message."""
    summary = result_summary(result)
    return {"kind": result["status"], **summary, "verdict": result.get("verdict", "error"),
            "message": result.get("message") or ""}


def record_attempt(store: Store, profile: str, slug: str, result: dict, code: str) -> None:
    """Save one run of the tests as an attempt of `profile` (status, tests passed of total, the code)."""
    summary = result_summary(result)
    store.attempts.record(profile, slug, result["status"], summary["passed"], summary["total"], code)


def merge_single_test(full: Optional[dict], single: dict) -> dict:
    """The result after running one test again: that test's entry replaced in the last full run (status and counts
    follow), or the single run alone when there is no full run or it errored before its tests."""
    if single.get("status") == "error" and not single.get("tests"):
        return single
    if not full or not full.get("tests") or len(single.get("tests") or []) != 1:
        return single
    fresh = single["tests"][0]
    tests = [fresh if test["name"] == fresh["name"] else test for test in full["tests"]]
    status = "pass" if all(test["status"] == "pass" for test in tests) else "fail"
    return {**full, "tests": tests, "status": status, "verdict": status, "message": None,
            "run_id": single.get("run_id"), "rerun": fresh["name"]}


def solution_revealed(result: Optional[dict], gave_up: bool) -> bool:
    """The reference is shown after a passing run or once the user gives up."""
    return gave_up or (result is not None and result["status"] == "pass")
