"""The daily plan with a fixed clock: the order (easy first, topics interleaved), the daily cap, and that a plan over N
days covers the bank, weak topics twice."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

from fsrs import Rating
from hypothesis import given, settings, strategies as st

from questions.study.plan import (
    MAX_RUN, NEW_CARD_SECONDS, TOPIC_ORDER, PlanSettings, calendar_covers, daily_cap, limit_runs, plan_calendar,
    study_order, today_plan)
from questions.study.scheduler import preview
from questions.store.values import utc_iso
from tests.helpers.bank import as_questions, open_question

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday morning, UTC


def bank(spec: dict[str, list[int]]) -> list:
    """Questions from {topic: [difficulty, ...]}, in the order given (bank order)."""
    return as_questions(open_question(f"{topic}-q{n}", topic, difficulty)
                        for topic, levels in spec.items() for n, difficulty in enumerate(levels))


def runs_ok(ids, topic_of, max_run=MAX_RUN) -> bool:
    """No run longer than max_run of one topic while a card of another topic comes later."""
    for end in range(max_run, len(ids)):
        window = {topic_of[qid] for qid in ids[end - max_run:end + 1]}
        if len(window) == 1 and any(topic_of[qid] not in window for qid in ids[end + 1:]):
            return False
    return True


def test_study_order_goes_easy_to_hard_and_fundamentals_first():
    questions = bank({"code-reading": [1, 3], "routing": [3, 1], "fundamentals": [2, 1, 1]})
    order = study_order(questions)
    levels = {question.id: question.difficulty for question in questions}
    assert [levels[qid] for qid in order] == sorted(levels[qid] for qid in order)
    # Within the easy cards: fundamentals before routing before code-reading (TOPIC_ORDER), round robin.
    assert order[:4] == ["fundamentals-q1", "routing-q1", "code-reading-q0", "fundamentals-q2"]
    assert TOPIC_ORDER[0] == "fundamentals" and TOPIC_ORDER.index("routing") < TOPIC_ORDER.index("code-reading")


def test_study_order_never_puts_three_of_a_topic_in_a_row_when_others_are_left():
    # Eight easy routing cards and two hard capacity cards: plain order would give eight routing cards in a row.
    questions = bank({"routing": [1] * 8, "capacity": [3, 3]})
    order = study_order(questions)
    topic_of = {question.id: question.topic for question in questions}
    assert runs_ok(order, topic_of)
    assert [topic_of[qid] for qid in order[:3]] == ["routing", "routing", "capacity"]
    assert sorted(order) == sorted(topic_of)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["routing", "capacity", "training"]), min_size=1, max_size=40))
def test_limit_runs_keeps_every_card_and_breaks_every_avoidable_run(topics):
    ids = [f"{topic}-{n}" for n, topic in enumerate(topics)]
    topic_of = dict(zip(ids, topics))
    out = limit_runs(ids, topic_of)
    assert sorted(out) == sorted(ids) and runs_ok(out, topic_of)


def test_calendar_caps_each_day_and_gives_weak_cards_a_second_look_on_a_later_day():
    first = [f"q{n}" for n in range(10)]
    weak = {"q8", "q9"}
    cap = daily_cap(first, weak, 4)
    calendar = plan_calendar(first, weak, 4, cap)
    assert cap == 4  # 10 first looks + 2 second looks over 4 days; q9, last in order, needs a day after its first
    assert all(len(day) <= cap for day in calendar)
    assert calendar_covers(calendar, first, weak)
    day_of = {(qid, kind): n for n, day in enumerate(calendar) for qid, kind in day}
    assert all(day_of[(qid, "second")] > day_of[(qid, "new")] for qid in weak)
    assert not calendar_covers(plan_calendar(first, weak, 4, cap - 1), first, weak)  # the cap is the smallest


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 20), st.integers(1, 30), st.integers(0, 5))
def test_a_plan_over_n_days_covers_the_bank(new_count, weak_count, days, waiting):
    first = [f"q{n}" for n in range(new_count)]
    weak = set(first[-weak_count:]) if weak_count else set()
    second = [f"old{n}" for n in range(waiting)]
    cap = daily_cap(first, weak, days, second)
    calendar = plan_calendar(first, weak, days, cap, second)
    assert len(calendar) == days and all(len(day) <= cap for day in calendar)
    planned_new = [qid for day in calendar for qid, kind in day if kind == "new"]
    assert sorted(planned_new) == sorted(first)  # every question seen once, none twice as new
    if days > 1:
        assert calendar_covers(calendar, first, weak, second)
        assert cap <= max(math.ceil((len(first) + len(weak) + len(second)) / days), 1) * 2 + 1


def test_without_a_date_today_takes_the_new_card_limit_in_study_order():
    questions = bank({"fundamentals": [1] * 6, "routing": [1] * 6, "training": [2] * 6})
    plan = today_plan(questions, {}, [], PlanSettings(), NOW)
    assert plan.days_left is None and plan.cap == 10 and len(plan.new_ids) == 10
    assert plan.new_ids == study_order(questions)[:10]
    assert plan.minutes == math.ceil(10 * NEW_CARD_SECONDS / 60)
    small = today_plan(questions, {}, [], PlanSettings(new_per_day=4), NOW)
    assert small.new_ids == plan.new_ids[:4]
    tight = today_plan(questions, {}, [], PlanSettings(daily_minutes=5), NOW)  # 5 min hold 3 new cards of 90 s
    assert len(tight.new_ids) == 3 and not tight.over_budget


def _review(cards: dict, logs: list, qid: str, rating: Rating, when: datetime) -> None:
    card, log = preview(cards.get(qid), qid, when)[rating]
    cards[qid] = card
    logs.append({"question_id": qid, "rating": int(rating), "review_datetime": utc_iso(when)})


def test_with_a_date_the_cap_covers_the_bank_and_new_cards_seen_today_count():
    questions = bank({"fundamentals": [1] * 10, "routing": [2] * 10})
    settings = PlanSettings(interview_date=(NOW + timedelta(days=5)).date())
    plan = today_plan(questions, {}, [], settings, NOW)
    assert plan.days_left == 5 and plan.cap == 4 and plan.new_ids == study_order(questions)[:4]
    cards, logs = {}, []
    for qid in plan.new_ids[:3]:
        _review(cards, logs, qid, Rating.Good, NOW)
    later = today_plan(questions, cards, logs, settings, NOW + timedelta(hours=1))
    assert later.new_done == 3 and later.cap == 4 and later.new_ids == [plan.new_ids[3]]
    seen_basics = sum(qid.startswith("fundamentals") for qid in plan.new_ids[:3])
    assert later.coverage[0] == {"topic": "fundamentals", "questions": 10, "seen": seen_basics, "weak": False}


def test_due_reviews_come_first_with_the_review_limit_and_relearning_apart():
    questions = bank({"fundamentals": [1] * 4, "routing": [1] * 4})
    cards, logs = {}, []
    month_ago = NOW - timedelta(days=30)
    for qid in ("fundamentals-q0", "fundamentals-q1", "routing-q0"):
        _review(cards, logs, qid, Rating.Easy, month_ago)  # due long before NOW
    _review(cards, logs, "routing-q1", Rating.Again, NOW - timedelta(minutes=20))  # learning, due again
    _review(cards, logs, "routing-q2", Rating.Again, NOW)  # a miss this minute: due in 1 minute, learned ahead
    _review(cards, logs, "routing-q3", Rating.Good, NOW - timedelta(hours=1))
    _review(cards, logs, "routing-q3", Rating.Good, NOW - timedelta(minutes=50))  # learnt: due in days
    plan = today_plan(questions, cards, logs, PlanSettings(review_limit=2), NOW)
    assert plan.relearning_ids == ["routing-q1"] and plan.ahead_ids == ["routing-q2"] and plan.relearning_count == 2
    assert len(plan.due_ids) == 2 and set(plan.due_ids) < {"fundamentals-q0", "fundamentals-q1", "routing-q0"}
    assert plan.queue[:3] == ["routing-q1", *plan.due_ids]
    assert plan.queue[3:] == [*plan.new_ids, "routing-q2"]  # the step due in a minute waits at the end
    assert not set(plan.new_ids) & set(cards)


def test_weak_topics_get_second_looks_before_the_date():
    questions = bank({"fundamentals": [1] * 4, "routing": [1] * 4})
    cards, logs = {}, []
    yesterday = NOW - timedelta(days=1)
    _review(cards, logs, "routing-q3", Rating.Again, yesterday)  # routing: two lapses in five reviews -> weak
    _review(cards, logs, "routing-q3", Rating.Again, yesterday + timedelta(minutes=5))
    for qid in ("routing-q0", "routing-q1", "routing-q2"):
        _review(cards, logs, qid, Rating.Easy, yesterday)  # seen once, due again only after the date
    assert all(cards[qid].due > NOW + timedelta(days=3) for qid in ("routing-q0", "routing-q1", "routing-q2"))
    settings = PlanSettings(interview_date=(NOW + timedelta(days=3)).date())
    plan = today_plan(questions, cards, logs, settings, NOW)
    assert plan.weak_topics == ["routing"]
    assert [row["weak"] for row in plan.coverage] == [False, True]
    assert set(plan.second_ids) <= {"routing-q0", "routing-q1", "routing-q2"} and plan.second_ids
    assert plan.relearning_ids == ["routing-q3"]  # the lapsed card is due again
    assert plan.days_left == 3 and plan.queue == ["routing-q3", *plan.second_ids, *plan.new_ids]
    assert plan.cap == 3  # 4 first looks + 3 second looks over 3 days


def test_settings_from_the_store_and_a_past_date():
    assert PlanSettings.from_stored(None) == PlanSettings()
    stored = {"interview_date": "2026-03-01", "daily_minutes": 20, "new_per_day": 5, "review_limit": 50}
    settings = PlanSettings.from_stored(stored)
    assert settings == PlanSettings(date(2026, 3, 1), 20, 5, 50)
    plan = today_plan(bank({"routing": [1, 2, 3]}), {}, [], settings, NOW)  # the date has passed: all today
    assert plan.days_left == 0 and len(plan.new_ids) == 3
