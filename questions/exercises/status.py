"""Where a profile stands on each exercise, from its saved attempts: solved or attempted, and the best score."""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

SOLVED, ATTEMPTED = "solved", "attempted"


def best_attempt(attempts: Sequence[dict]) -> Optional[dict]:
    """The attempt with the most tests passed (of those, the one with the fewest tests); None without attempts."""
    return max(attempts, key=lambda attempt: (attempt["passed"], -attempt["total"]), default=None)


def exercise_status(attempts: Iterable[dict]) -> dict[str, dict]:
    """Per attempted slug: state ("solved" once any run passed all its tests, else "attempted"), attempts,
    best_passed and best_total (of `best_attempt`), best_score (best_passed / best_total).

    attempts: rows of `store.attempts.list(profile)` (slug, status, passed, total).
    """
    by_slug: dict[str, list[dict]] = {}
    for attempt in attempts:
        by_slug.setdefault(attempt["slug"], []).append(attempt)
    statuses = {}
    for slug, runs in by_slug.items():
        best = best_attempt(runs)
        statuses[slug] = {"state": SOLVED if any(run["status"] == "pass" for run in runs) else ATTEMPTED,
                          "attempts": len(runs), "best_passed": best["passed"], "best_total": best["total"],
                          "best_score": best["passed"] / best["total"] if best["total"] else 0.0}
    return statuses


def status_rows(statuses: dict[str, dict], exercises: Sequence, lang: str) -> list[dict]:
    """One row per attempted exercise in catalog order: slug, title in `lang`, state, best ("7/10"), attempts."""
    return [{"slug": exercise.slug, "title": exercise.text("title", lang), "state": statuses[exercise.slug]["state"],
             "best": f"{statuses[exercise.slug]['best_passed']}/{statuses[exercise.slug]['best_total']}",
             "attempts": statuses[exercise.slug]["attempts"]}
            for exercise in exercises if exercise.slug in statuses]
