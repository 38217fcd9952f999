"""Coding exercises graded by tests: the catalog of questions/exercises/<slug>/ folders and the sandboxed runner."""
from .catalog import Exercise, ExerciseError, exercises, get_exercise, load_exercise, related_question_ids
from .isolation import LIMITS_ONLY_WARNING, RunLimits, bwrap_path, default_isolation
from .results import result_summary
from .runner import run_tests


def run(slug: str, code: str, test: str | None = None, **options) -> dict:
    """Run `code` as the solution of exercise `slug` in the sandbox: all its tests, or only `test`; or, with
    `scratch="..."`, a scratch cell instead of the tests. The Exercism v2 result with its verdict.

    options: scratch, limits, isolation, engine ("warm" by default, or "cold"), allow_moe_core (see `run_tests`).
    Raises KeyError for an unknown slug and ValueError for an unknown test.
    """
    return run_tests(code, get_exercise(slug).test_file, test=test, **options)


def warm_up(isolation: str | None = None) -> None:
    """Start the warm worker in the background, so that the first run does not wait for torch to import."""
    import sys

    from .warm import worker_for
    worker_for(isolation or default_isolation(), sys.executable).prestart()


__all__ = ["Exercise", "ExerciseError", "exercises", "get_exercise", "load_exercise", "related_question_ids",
           "RunLimits", "LIMITS_ONLY_WARNING", "bwrap_path", "default_isolation", "result_summary", "run_tests", "run",
           "warm_up"]
