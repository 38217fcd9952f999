"""FSRS scheduling for practice: preview all four ratings, then commit exactly the preview the user chose.

py-fsrs (package `fsrs` 6.x) has no preview API and fuzzes intervals of Review-state cards at random, so calling
`review_card` again after the user picks a button could save a different interval from the one shown. `preview` runs
`review_card` once per rating on the current card and the page keeps the returned (Card, ReviewLog) pairs; committing
`previews[rating]` with `store.reviews.record` saves the interval that was on the button.

fsrs 6 has no "New" state: a never-seen question has no stored card; `preview(None, ...)` starts it from
`new_card(question_id, now)` whose `card_id` is derived from the question id (stable across sessions and machines).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Mapping

from fsrs import Card, Rating, ReviewLog, Scheduler

DESIRED_RETENTION = 0.9
RATINGS: tuple[Rating, ...] = (Rating.Again, Rating.Hard, Rating.Good, Rating.Easy)

# suggest_rating thresholds on the share of key points ticked (documented in suggest_rating).
HARD_BELOW = 0.6

# The units an interval on a grade button is shown in; their suffixes are UI text (questions.ui.labels.interval_units).
INTERVAL_UNITS: tuple[str, ...] = ("minute", "hour", "day", "month", "year")


def build_scheduler(enable_fuzzing: bool = True) -> Scheduler:
    """A fresh FSRS scheduler with the default parameters and desired retention 0.9 (Anki's default)."""
    return Scheduler(desired_retention=DESIRED_RETENTION, enable_fuzzing=enable_fuzzing)


def as_utc(moment: datetime, name: str = "now") -> datetime:
    """`moment` in `timezone.utc` (fsrs rejects any other tzinfo object, even ZoneInfo("UTC")); naive is an error."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        raise ValueError(f"{name} ({moment.isoformat()}) must be timezone-aware; use datetime.now(timezone.utc)")
    return moment.astimezone(timezone.utc)


def card_id_for(question_id: str) -> int:
    """A stable positive 63-bit card id from the question id (blake2b), the same on every run and machine."""
    if not isinstance(question_id, str) or not question_id:
        raise ValueError(f"question_id must be a non-empty string, got {question_id!r}")
    digest = hashlib.blake2b(question_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def new_card(question_id: str, now: datetime) -> Card:
    """The card of a never-seen question: Learning step 0, due now, card_id from the question id."""
    return Card(card_id=card_id_for(question_id), due=as_utc(now))


def preview(
    card: Card | None,
    question_id: str,
    now: datetime,
    scheduler: Scheduler | None = None,
) -> dict[Rating, tuple[Card, ReviewLog]]:
    """For each rating, the (Card, ReviewLog) of one `review_card` call at `now`; commit the chosen pair unchanged.

    `card` None means never seen. `review_card` copies the card, so the stored card is not modified. A stored card keeps
    its own card_id (the log's card_id must match it).
    """
    scheduler = scheduler if scheduler is not None else build_scheduler()
    now = as_utc(now)
    current = card if card is not None else new_card(question_id, now)
    return {rating: scheduler.review_card(current, rating, review_datetime=now) for rating in RATINGS}


def interval(now: datetime, due: datetime) -> timedelta:
    """due - now, never negative."""
    return max(as_utc(due, "due") - as_utc(now), timedelta(0))


def format_interval(now: datetime, due: datetime, units: Mapping[str, str]) -> str:
    """The time until `due` as Anki shows it on a button: "10m", "5h", "3d", "2mo", "1.2y" (zh: "10分钟", "3天", ...).

    Under an hour in minutes (at least 1), under a day in hours, under 30 days in days, under a year in months,
    then years with one decimal. Whole units are rounded to the nearest. `units` maps each of INTERVAL_UNITS to its
    suffix in the UI language (the caller's words: questions.ui.labels.interval_units).
    """
    missing = [unit for unit in INTERVAL_UNITS if unit not in units]
    if missing:
        raise ValueError(f"units must give a suffix for each of {list(INTERVAL_UNITS)}; missing {missing}")
    seconds = interval(now, due).total_seconds()
    if seconds < 3600:
        unit, value = "minute", max(1, round(seconds / 60))
    elif seconds < 86400:
        unit, value = "hour", round(seconds / 3600)
    elif seconds < 30 * 86400:
        unit, value = "day", round(seconds / 86400)
    elif seconds < 365 * 86400:
        unit, value = "month", round(seconds / (30 * 86400))
    else:
        years = seconds / (365 * 86400)
        text = f"{years:.1f}".removesuffix(".0")
        return text + units["year"]
    # Rounding can reach the next unit ("60m", "24h", "30d", "12mo"): show it in the next unit instead.
    carry = {"minute": (60, "hour", 1), "hour": (24, "day", 1), "day": (30, "month", 1), "month": (12, "year", 1)}
    limit, next_unit, next_value = carry[unit]
    if value >= limit:
        unit, value = next_unit, next_value
    return f"{value}{units[unit]}"


def preview_labels(
    previews: dict[Rating, tuple[Card, ReviewLog]], now: datetime, units: Mapping[str, str]
) -> dict[Rating, str]:
    """The interval text for each previewed rating (what the Again/Hard/Good/Easy buttons show), in `units`."""
    return {rating: format_interval(now, card.due, units) for rating, (card, _log) in previews.items()}


def suggest_rating(points_ticked: int, points_total: int) -> Rating:
    """The rating suggested by the key points the user ticked.

    0 ticked: Again; under 60%: Hard; 60% up to (not incl.) 100%: Good; all: Easy. With no key points (choice
    questions), Good: there is nothing to grade against, the user picks.
    """
    if points_total < 0 or not 0 <= points_ticked <= max(points_total, 0):
        raise ValueError(f"points_ticked ({points_ticked}) must be between 0 and points_total ({points_total})")
    if points_total == 0:
        return Rating.Good
    share = points_ticked / points_total
    if points_ticked == 0:
        return Rating.Again
    if share < HARD_BELOW:
        return Rating.Hard
    if points_ticked < points_total:
        return Rating.Good
    return Rating.Easy
