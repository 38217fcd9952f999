"""Coding exercises graded by tests: the catalog of questions/exercises/<slug>/ folders and the sandboxed runner."""
from .catalog import Exercise, ExerciseError, exercises, get_exercise, load_exercise, related_question_ids
from .isolation import LIMITS_ONLY_WARNING, RunLimits, bwrap_path, default_isolation
from .results import result_summary
from .runner import run_tests


def check_solution(exercise: Exercise, solution_code: str, **kwargs) -> dict:
    """Run `solution_code` against the exercise's tests in the sandbox; the Exercism v2 result."""
    return run_tests(solution_code, exercise.test_file, **kwargs)


__all__ = ["Exercise", "ExerciseError", "exercises", "get_exercise", "load_exercise", "related_question_ids",
           "RunLimits", "LIMITS_ONLY_WARNING", "bwrap_path", "default_isolation", "result_summary", "run_tests",
           "check_solution"]
