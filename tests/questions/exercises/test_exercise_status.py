"""The profile's standing per exercise from its attempts: solved once any run passed, the best run, the rows shown."""
from questions.exercises import exercises, get_exercise
from questions.exercises.status import exercise_status, status_rows


def _attempt(slug, status, passed, total):
    return {"slug": slug, "status": status, "passed": passed, "total": total}


def test_a_solved_exercise_is_solved_whatever_came_after():
    statuses = exercise_status([_attempt("z-loss", "fail", 2, 6), _attempt("z-loss", "pass", 6, 6),
                                _attempt("z-loss", "fail", 0, 6), _attempt("topk-router", "error", 0, 0),
                                _attempt("topk-router", "fail", 3, 9)])
    assert statuses["z-loss"] == {"state": "solved", "attempts": 3, "best_passed": 6, "best_total": 6,
                                  "best_score": 1.0}
    assert statuses["topk-router"] == {"state": "attempted", "attempts": 2, "best_passed": 3, "best_total": 9,
                                       "best_score": 3 / 9}
    assert "expert-groups" not in statuses


def test_rows_follow_the_catalog_and_skip_unattempted_exercises():
    statuses = exercise_status([_attempt("z-loss", "fail", 2, 6), _attempt("expert-groups", "pass", 8, 8)])
    rows = status_rows(statuses, exercises(), "zh")
    order = [exercise.slug for exercise in exercises()]
    assert [row["slug"] for row in rows] == sorted(["z-loss", "expert-groups"], key=order.index)
    z_loss = next(row for row in rows if row["slug"] == "z-loss")
    assert z_loss == {"slug": "z-loss", "title": get_exercise("z-loss").title["zh"], "state": "attempted",
                      "best": "2/6", "attempts": 1}
