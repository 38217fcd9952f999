"""Progress statistics: calendar, due forecast, buttons, retention, weakest topics, quiz and exercise history, the
summary of one profile, and the chart data the Progress page draws (no browser)."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from questions.store import Store
from questions.study.progress import (
    answer_button_counts,
    calendar_grid,
    due_forecast,
    progress_summary,
    quiz_score_history,
    retention_by_topic,
    review_calendar,
    topic_by_id,
    weakest_topics,
)
from questions.study.scheduler import preview

from tests.helpers.bank import FIXTURE_BANK, as_questions

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
# Two routing questions, then one capacity question: the fixture bank's order of topics.
QUESTIONS = as_questions(FIXTURE_BANK["routing"][:2] + FIXTURE_BANK["capacity"][:1])
ROUTING_A, ROUTING_B, CAPACITY_A = (question.id for question in QUESTIONS)


def _log(question_id, rating, when):
    return {"question_id": question_id, "rating": rating, "review_datetime": when.isoformat(), "source": "practice"}


LOGS = [
    _log(ROUTING_A, 1, NOW - timedelta(days=2)),
    _log(ROUTING_A, 3, NOW - timedelta(days=2, hours=-1)),
    _log(ROUTING_B, 4, NOW - timedelta(days=1)),
    _log(CAPACITY_A, 1, NOW - timedelta(hours=13)),
    _log(CAPACITY_A, 2, NOW),
    _log("deleted-question", 1, NOW),
]


def test_review_calendar_counts_per_local_day():
    assert review_calendar(LOGS) == {"2026-02-27": 2, "2026-02-28": 2, "2026-03-01": 2}
    # 23:00 UTC on the 28th is already March 1st in Beijing.
    assert review_calendar(LOGS, ZoneInfo("Asia/Shanghai")) == {"2026-02-27": 2, "2026-02-28": 1, "2026-03-01": 3}
    assert review_calendar([]) == {}


def test_answer_button_counts_has_every_button():
    assert answer_button_counts(LOGS) == {1: 3, 2: 1, 3: 1, 4: 1}
    assert answer_button_counts([]) == {1: 0, 2: 0, 3: 0, 4: 0}


def test_topic_by_id_maps_each_question_to_its_topic():
    assert topic_by_id(QUESTIONS) == {ROUTING_A: "routing", ROUTING_B: "routing", CAPACITY_A: "capacity"}


def test_retention_and_weakest_topics():
    retention = retention_by_topic(LOGS, QUESTIONS)
    assert list(retention) == ["routing", "capacity"]  # bank order; the deleted question is left out
    assert retention["routing"] == {"reviews": 3, "retained": 2, "lapses": 1, "retention": 2 / 3}
    assert retention["capacity"] == {"reviews": 2, "retained": 1, "lapses": 1, "retention": 0.5}
    assert [row["topic"] for row in weakest_topics(LOGS, QUESTIONS)] == ["capacity", "routing"]
    assert weakest_topics(LOGS, QUESTIONS, limit=1, min_reviews=3)[0]["topic"] == "routing"


def test_due_forecast_buckets_next_30_days():
    cards = {
        "overdue": preview(None, "overdue", NOW - timedelta(days=10))[Rating.Good][0],  # due 10 days ago
        "today": preview(None, "today", NOW)[Rating.Again][0],
        "in-3-days": preview(None, "a", NOW + timedelta(days=3))[Rating.Good][0],
        "in-29-days": preview(None, "b", NOW + timedelta(days=29))[Rating.Good][0],
        "in-30-days": preview(None, "c", NOW + timedelta(days=30))[Rating.Good][0],
    }
    forecast = due_forecast(cards, NOW)
    assert len(forecast) == 30
    assert forecast[0] == ("2026-03-01", 2)
    assert forecast[3] == ("2026-03-04", 1)
    assert forecast[29] == ("2026-03-30", 1)
    assert sum(count for _, count in forecast) == 4
    with pytest.raises(ValueError, match="days"):
        due_forecast(cards, NOW, days=0)


def test_quiz_history_is_oldest_first_in_percent():
    quizzes = [{"taken_at": "2026-03-02T00:00:00+00:00", "topic": None, "score": 0, "total": 0},
               {"taken_at": "2026-03-01T00:00:00+00:00", "topic": "routing", "score": 3, "total": 4}]
    assert [(row["topic"], row["percent"]) for row in quiz_score_history(quizzes)] == [("routing", 75.0), (None, 0.0)]


def test_progress_summary_reads_one_profile(tmp_path):
    store = Store(tmp_path / "db")
    for index, question in enumerate(QUESTIONS):  # ratings Again, Hard, Good on three days
        card, log = preview(None, question.id, NOW - timedelta(days=index))[Rating(index + 1)]
        store.reviews.record("alice", question.id, card, log)
    card, log = preview(store.reviews.card("alice", ROUTING_A), ROUTING_A, NOW)[Rating.Hard]
    store.reviews.record("alice", ROUTING_A, card, log, source="mock")
    store.quizzes.record("alice", "routing", [ROUTING_B], {ROUTING_B: [0]}, 1, 1, taken_at=NOW)
    store.attempts.record("alice", "z-loss", "pass", 3, 3, "def z_loss(x): ...", attempted_at=NOW)
    store.reviews.record("bob", ROUTING_B, *preview(None, ROUTING_B, NOW)[Rating.Again])
    summary = progress_summary(store, "alice", QUESTIONS, NOW + timedelta(days=1))
    assert summary["total_reviews"] == 4
    assert summary["reviews_today"] == 0  # the day after: nothing yet
    assert progress_summary(store, "alice", QUESTIONS, NOW)["reviews_today"] == 2  # routing-a twice, not bob's
    assert summary["cards_seen"] == 3 and summary["never_seen"] == 0
    assert summary["answer_buttons"] == {1: 1, 2: 2, 3: 1, 4: 0}
    assert len(summary["forecast"]) == 30
    assert summary["quiz_history"][0]["percent"] == 100.0


def test_calendar_grid_is_weeks_by_weekdays_ending_today():
    today = date(2026, 3, 4)  # a Wednesday
    grid = calendar_grid({"2026-03-02": 2, "2026-03-04": 5, "2025-01-01": 9}, today, weeks=3)
    assert grid["week_starts"] == ["02-16", "02-23", "03-02"]  # Mondays, oldest first
    assert len(grid["counts"]) == 7 and all(len(row) == 3 for row in grid["counts"])  # [weekday, week]
    assert grid["counts"][0] == [0, 0, 2] and grid["counts"][2] == [0, 0, 5]
    assert grid["counts"][3][2] is None and grid["dates"][3][2] == ""  # Thursday is still to come
    assert grid["dates"][0][0] == "2026-02-16" and grid["dates"][2][2] == "2026-03-04"
    assert grid["max_count"] == 9  # the colour scale covers every count, so a busy day stays darkest
    assert calendar_grid({}, today, weeks=1)["max_count"] == 1
    with pytest.raises(ValueError, match="weeks"):
        calendar_grid({}, today, weeks=0)
