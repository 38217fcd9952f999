"""Progress statistics (pure functions over Store data and the bank).

The Progress page draws these with Plotly. Statistics take plain Store results (`reviews.logs`, `reviews.cards`,
`quizzes.results`) so tests and benchmarks call them without a database; `progress_summary` gathers
them all.
Questions are the bank's `Question`s.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable

from fsrs import Card

from questions.bank.schema import Question
from questions.store import Store
from questions.store.values import read_time
from questions.study.quiz import quiz_percent
from questions.study.scheduler import RATINGS

FORECAST_DAYS = 30
CALENDAR_WEEKS = 26


def topic_by_id(questions: Iterable[Question]) -> dict[str, str]:
    """question_id -> topic, in bank order."""
    return {question.id: question.topic for question in questions}


def _parse_time(value: str | datetime) -> datetime:
    """A stored time string, or a datetime, as an aware datetime."""
    if isinstance(value, str):
        return read_time(value)
    if value.tzinfo is None:
        raise ValueError(f"datetime {value!r} must carry a UTC offset")
    return value


# -------------------------------------------------------------------- statistics
def review_calendar(logs: Iterable[dict], tz: tzinfo = timezone.utc) -> dict[str, int]:
    """Reviews per local day ("YYYY-MM-DD" -> count, oldest first) for the calendar heatmap; `tz` is the user's zone."""
    counts = Counter(_parse_time(log["review_datetime"]).astimezone(tz).date().isoformat() for log in logs)
    return dict(sorted(counts.items()))


def reviews_today(logs: Iterable[dict], now: datetime, tz: tzinfo = timezone.utc) -> int:
    """Reviews since the start of the user's local day (every source: grades and misses sent back), the count the
    calendar shows for today and Practice shows as "Reviews today"."""
    return review_calendar(logs, tz).get(_parse_time(now).astimezone(tz).date().isoformat(), 0)


def due_forecast(
    cards: dict[str, Card] | Iterable[Card],
    now: datetime,
    days: int = FORECAST_DAYS,
    tz: tzinfo = timezone.utc,
) -> list[tuple[str, int]]:
    """Cards due on each of the next `days` local days, today first; overdue cards count as due today."""
    if days < 1:
        raise ValueError(f"days ({days}) must be >= 1")
    today = _parse_time(now).astimezone(tz).date()
    counts = [0] * days
    for card in cards.values() if isinstance(cards, dict) else cards:
        offset = (card.due.astimezone(tz).date() - today).days
        if offset < days:
            counts[max(offset, 0)] += 1
    return [((today + timedelta(days=offset)).isoformat(), count) for offset, count in enumerate(counts)]


def answer_button_counts(logs: Iterable[dict]) -> dict[int, int]:
    """Presses of each button: {1: Again, 2: Hard, 3: Good, 4: Easy}, every key present."""
    counts = Counter(int(log["rating"]) for log in logs)
    return {rating: counts.get(rating, 0) for rating in map(int, RATINGS)}


def retention_by_topic(logs: Iterable[dict], questions: Iterable[Question]) -> dict[str, dict]:
    """Per topic: reviews, retained (not rated Again), lapses (rated Again) and retention = retained / reviews.

    Counts every review, learning steps included (Anki's "true retention" counts only Review-state cards; our log rows
    do not carry the state). Reviews of questions no longer in the bank are left out. Topics in bank order.
    """
    topics = topic_by_id(questions)
    ordered = list(dict.fromkeys(topics.values()))
    stats: dict[str, dict] = {}
    for log in logs:
        topic = topics.get(log["question_id"])
        if topic is None:
            continue
        entry = stats.setdefault(topic, {"reviews": 0, "retained": 0, "lapses": 0})
        entry["reviews"] += 1
        if int(log["rating"]) == 1:
            entry["lapses"] += 1
        else:
            entry["retained"] += 1
    return {
        topic: {**stats[topic], "retention": stats[topic]["retained"] / stats[topic]["reviews"]}
        for topic in ordered
        if topic in stats
    }


def weakest_topics(
    logs: Iterable[dict], questions: Iterable[Question], limit: int = 3, min_reviews: int = 1
) -> list[dict]:
    """Topics with the lowest retention (ties: most lapses first), each {topic, reviews, retained, lapses, retention}."""
    return _weakest(retention_by_topic(logs, questions), limit, min_reviews)


def _weakest(by_topic: dict[str, dict], limit: int = 3, min_reviews: int = 1) -> list[dict]:
    rows = [{"topic": topic, **entry} for topic, entry in by_topic.items() if entry["reviews"] >= min_reviews]
    rows.sort(key=lambda row: (row["retention"], -row["lapses"], row["topic"]))
    return rows[:limit]


def quiz_score_history(quiz_results: Iterable[dict]) -> list[dict]:
    """Quizzes oldest first: taken_at, topic, score, total, percent (0-100; 0 for an empty quiz)."""
    history = [
        {
            "taken_at": quiz["taken_at"],
            "topic": quiz["topic"],
            "score": quiz["score"],
            "total": quiz["total"],
            "percent": quiz_percent(quiz["score"], quiz["total"]),
        }
        for quiz in quiz_results
    ]
    return sorted(history, key=lambda row: row["taken_at"])


def progress_summary(
    store: Store, profile: str, questions: list[Question], now: datetime, tz: tzinfo = timezone.utc
) -> dict:
    """Everything the Progress page draws, from one profile's data and the bank."""
    logs = store.reviews.logs(profile)
    cards = store.reviews.cards(profile)
    bank_ids = {question.id for question in questions}
    now_utc = _parse_time(now)
    in_bank = {question_id: card for question_id, card in cards.items() if question_id in bank_ids}
    retention = retention_by_topic(logs, questions)
    return {
        "total_reviews": len(logs),
        "reviews_today": reviews_today(logs, now_utc, tz),
        "cards_seen": len(in_bank),
        "never_seen": len(bank_ids) - len(in_bank),
        "due_now": sum(1 for card in in_bank.values() if card.due <= now_utc),
        "calendar": review_calendar(logs, tz),
        "forecast": due_forecast(in_bank, now, tz=tz),
        "retention_by_topic": retention,
        "answer_buttons": answer_button_counts(logs),
        "weakest_topics": _weakest(retention),
        "quiz_history": quiz_score_history(store.quizzes.results(profile)),
    }


def calendar_grid(calendar: dict[str, int], today: date, weeks: int = CALENDAR_WEEKS) -> dict:
    """The review calendar as a GitHub-style grid: one column per week (Monday first, the last `weeks` weeks up to
    today's), one row per weekday.

    counts and dates are [7 weekdays][weeks]: reviews of that day (None after today) and its "YYYY-MM-DD" ("" after
    today); week_starts labels each column with its Monday ("MM-DD"); max_count (at least 1) tops the colour scale.
    """
    if weeks < 1:
        raise ValueError(f"weeks ({weeks}) must be >= 1")
    first_monday = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    counts: list[list[int | None]] = [[None] * weeks for _ in range(7)]  # [weekday, week]
    dates = [[""] * weeks for _ in range(7)]  # [weekday, week]
    for offset in range((today - first_monday).days + 1):
        day = first_monday + timedelta(days=offset)
        week, weekday = divmod(offset, 7)
        counts[weekday][week] = calendar.get(day.isoformat(), 0)
        dates[weekday][week] = day.isoformat()
    return {"counts": counts, "dates": dates, "max_count": max([1, *calendar.values()]),
            "week_starts": [(first_monday + timedelta(weeks=week)).strftime("%m-%d") for week in range(weeks)]}


__all__ = [
    "answer_button_counts",
    "calendar_grid",
    "due_forecast",
    "progress_summary",
    "quiz_score_history",
    "retention_by_topic",
    "review_calendar",
    "topic_by_id",
    "weakest_topics",
]
