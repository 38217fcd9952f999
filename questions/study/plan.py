"""The daily study plan: due reviews first, then today's share of new cards, so the bank is covered before the interview.

With an interview date the plan spreads what is left over the days before it: every question is seen at least once
and every question of a weak topic twice (a "second look" on a later day), at most `cap` cards a day, the smallest cap
for which a day-by-day schedule (`plan_calendar`) fits. Without a date it follows Anki's habits: at most
`new_per_day` new cards (default 10) and `review_limit` reviews a day. Either way the daily time budget bounds the new
cards of a day without a date, and says when a dated plan needs more time than the budget.

New cards go from fundamentals to advanced (difficulty, then the topic order of `TOPIC_ORDER`) and are interleaved
across topics: never three of one topic in a row while another topic is left.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterable, Mapping, Optional, Sequence

from fsrs import Card, State

from questions.bank.schema import TOPICS, Question
from questions.store import Store
from questions.store.values import read_time
from questions.study.clock import start_of_day
from questions.study.progress import weakest_topics

TOPIC_ORDER: tuple[str, ...] = TOPICS  # the bank's topic list runs from fundamentals to the advanced topics
NEW_CARD_SECONDS = 90   # estimate of one new card (read, answer, compare, grade)
REVIEW_SECONDS = 45     # estimate of one review
WEAK_TOPICS = 3         # the weakest topics (lowest retention) get a second look
WEAK_MIN_REVIEWS = 3    # ... once a topic has this many reviews
MAX_RUN = 2             # never more than two cards of one topic in a row while another topic is left
LEARN_AHEAD = timedelta(minutes=20)  # Anki's learn-ahead limit


@dataclass(frozen=True)
class PlanSettings:
    """One profile's plan settings (store.plans); interview_date None means no date: Anki's daily limits."""
    interview_date: Optional[date] = None
    daily_minutes: int = 30
    new_per_day: int = 10
    review_limit: int = 200

    @classmethod
    def from_stored(cls, stored: Optional[Mapping]) -> "PlanSettings":
        """The settings of `store.plans.get(profile)`; the defaults when the profile has none."""
        if not stored:
            return cls()
        day = stored.get("interview_date")
        return cls(date.fromisoformat(day) if day else None, int(stored["daily_minutes"]),
                   int(stored["new_per_day"]), int(stored["review_limit"]))


# ---- order ---------------------------------------------------------------------------------------------------------
def _topic_rank(topic: str) -> int:
    return TOPIC_ORDER.index(topic) if topic in TOPIC_ORDER else len(TOPIC_ORDER)


def limit_runs(ids: Sequence[str], topic_of: Mapping[str, str], max_run: int = MAX_RUN) -> list[str]:
    """`ids` in their order, except that a card which would make a run of more than `max_run` of one topic is
    swapped for the next card of another topic (when there is one left)."""
    left = list(ids)
    out: list[str] = []
    while left:
        pick = 0
        run_topic = topic_of[out[-1]] if len(out) >= max_run else None
        if run_topic is not None and all(topic_of[qid] == run_topic for qid in out[-max_run:]):
            pick = next((n for n, qid in enumerate(left) if topic_of[qid] != run_topic), 0)
        out.append(left.pop(pick))
    return out


def study_order(questions: Iterable[Question]) -> list[str]:
    """The ids in the order new cards are introduced: easy before hard; within a difficulty one card per topic in
    turn (topics in TOPIC_ORDER, each topic's cards in bank order); no long runs of one topic."""
    by_level: dict[int, dict[str, list[str]]] = {}
    topic_of: dict[str, str] = {}
    for question in questions:
        by_level.setdefault(question.difficulty, {}).setdefault(question.topic, []).append(question.id)
        topic_of[question.id] = question.topic
    ordered: list[str] = []
    for level in sorted(by_level):
        pools = [by_level[level][topic] for topic in sorted(by_level[level], key=_topic_rank)]
        for turn in range(max(map(len, pools))):
            ordered.extend(pool[turn] for pool in pools if turn < len(pool))
    return limit_runs(ordered, topic_of)


# ---- the calendar up to the interview ------------------------------------------------------------------------------
def plan_calendar(first_looks: Sequence[str], weak: Iterable[str], days: int, cap: int,
                  second_looks: Sequence[str] = ()) -> list[list[tuple[str, str]]]:
    """Day by day, at most `cap` (id, "second" | "new") entries: first the second looks that are waiting (cards of
    `weak` seen on an earlier day, and `second_looks` already waiting today), then new cards in `first_looks` order."""
    if days < 1 or cap < 0:
        raise ValueError(f"days ({days}) must be >= 1 and cap ({cap}) >= 0")
    weak_ids = set(weak)
    waiting = list(second_looks)
    new_left = list(first_looks)
    calendar: list[list[tuple[str, str]]] = []
    for _day in range(days):
        seconds, waiting = waiting[:cap], waiting[cap:]
        today = [(qid, "second") for qid in seconds]
        fresh, new_left = new_left[:cap - len(today)], new_left[cap - len(today):]
        today += [(qid, "new") for qid in fresh]
        waiting += [qid for qid in fresh if qid in weak_ids]
        calendar.append(today)
    return calendar


def calendar_covers(calendar: Sequence[Sequence[tuple[str, str]]], first_looks: Sequence[str], weak: Iterable[str],
                    second_looks: Sequence[str] = ()) -> bool:
    """True when every first look is planned, and every weak first look and waiting second look gets a second look."""
    planned = [entry for day in calendar for entry in day]
    new = {qid for qid, kind in planned if kind == "new"}
    second = {qid for qid, kind in planned if kind == "second"}
    weak_ids = set(weak)
    return new >= set(first_looks) and second >= (weak_ids & set(first_looks)) | set(second_looks)


def daily_cap(first_looks: Sequence[str], weak: Iterable[str], days: int, second_looks: Sequence[str] = ()) -> int:
    """The fewest cards a day for which `plan_calendar` covers everything in `days` days (binary search; with one
    day left no first look can get a second look, so the cap only covers the first looks and the waiting ones)."""
    weak_new = set(weak) & set(first_looks)
    if days <= 1:
        return len(first_looks) + len(second_looks)
    low = math.ceil((len(first_looks) + len(weak_new) + len(second_looks)) / days)
    high = max(low, len(first_looks) + len(second_looks))
    while low < high:
        middle = (low + high) // 2
        if calendar_covers(plan_calendar(first_looks, weak_new, days, middle, second_looks), first_looks,
                           weak_new, second_looks):
            high = middle
        else:
            low = middle + 1
    return low


# ---- today ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TodayPlan:
    """What today holds for one profile; `queue` is the order Practice's "Today" queue shows the cards in."""
    relearning_ids: list[str]   # learning / relearning cards due now (a miss, or a fresh card's next step)
    due_ids: list[str]          # review cards due now, most overdue first, at most the review limit
    second_ids: list[str]       # second looks at weak-topic cards the schedule would bring back after the date
    new_ids: list[str]          # new cards left for today, in study order
    new_done: int               # new cards already seen today
    cap: int                    # with a date: cards a day (new and second looks); without: new cards a day
    days_left: Optional[int]    # days before the interview (today counts), None without a date
    minutes: int                # estimated minutes for what is left today
    over_budget: bool           # today needs more than the daily budget
    weak_topics: list[str]
    coverage: list[dict]        # per topic in TOPIC_ORDER: topic, questions, seen, weak
    ahead_ids: list[str] = field(default_factory=list)  # (re)learning cards due within LEARN_AHEAD: shown last

    @property
    def queue(self) -> list[str]:
        """Due cards first, then second looks and new cards; a learning step due within minutes waits at the end
        (Anki's learn-ahead: shown when nothing else is left)."""
        return list(dict.fromkeys(self.relearning_ids + self.due_ids + self.second_ids + self.new_ids
                                  + self.ahead_ids))

    @property
    def relearning_count(self) -> int:
        """(Re)learning cards due now or within LEARN_AHEAD: what today still holds of them."""
        return len(self.relearning_ids) + len(self.ahead_ids)


def _review_days(logs: Iterable[Mapping], zone: tzinfo) -> tuple[dict[str, datetime], dict[str, set[date]]]:
    """Per question: its first review time, and the local days it was reviewed on."""
    first: dict[str, datetime] = {}
    days: dict[str, set[date]] = {}
    for log in logs:
        moment = read_time(log["review_datetime"])
        qid = log["question_id"]
        if qid not in first or moment < first[qid]:
            first[qid] = moment
        days.setdefault(qid, set()).add(moment.astimezone(zone).date())
    return first, days


def _coverage(questions: Sequence[Question], seen: set[str], weak: Sequence[str]) -> list[dict]:
    rows: dict[str, dict] = {}
    for question in questions:
        row = rows.setdefault(question.topic, {"topic": question.topic, "questions": 0, "seen": 0,
                                               "weak": question.topic in weak})
        row["questions"] += 1
        row["seen"] += question.id in seen
    return [rows[topic] for topic in sorted(rows, key=_topic_rank)]


def today_plan(questions: Sequence[Question], cards: Mapping[str, Card], logs: Sequence[Mapping],
               settings: PlanSettings, now: datetime, zone: tzinfo = timezone.utc,
               order: Optional[Sequence[str]] = None) -> TodayPlan:
    """Today's plan at `now` ("today" is the local day in `zone`) from the profile's cards, review log and settings;
    `order` is `study_order(questions)` when the caller has it already."""
    bank_ids = {question.id for question in questions}
    day_start, today = start_of_day(now, zone), now.astimezone(zone).date()
    first_review, review_days = _review_days(logs, zone)
    seen = {qid for qid in cards if qid in bank_ids}
    new_today = {qid for qid in seen if qid in first_review and first_review[qid] >= day_start}
    # Learning steps are minutes long: as Anki does, a (re)learning card due within LEARN_AHEAD counts for today.
    due = sorted((card.due, qid) for qid, card in cards.items() if qid in bank_ids and card.due <= now + LEARN_AHEAD)
    learning = [(due_at, qid) for due_at, qid in due if cards[qid].state in (State.Learning, State.Relearning)]
    relearning = [qid for due_at, qid in learning if due_at <= now]
    ahead = [qid for due_at, qid in learning if due_at > now]
    reviews = [qid for due_at, qid in due if cards[qid].state == State.Review and due_at <= now]
    reviews = reviews[:settings.review_limit]
    weak = [row["topic"] for row in weakest_topics(logs, questions, WEAK_TOPICS, WEAK_MIN_REVIEWS)
            if row["retention"] < 0.9]
    order = study_order(questions) if order is None else order
    first_looks = [qid for qid in order if qid not in seen or qid in new_today]
    second_ids: list[str] = []
    days_left: Optional[int] = None
    if settings.interview_date is not None:
        days_left = max(0, (settings.interview_date - today).days)
        weak_ids = {question.id for question in questions if question.topic in weak}
        # Weak-topic cards seen on one earlier day, which the schedule brings back only after the date (or which
        # had their second look today): the calendar gives them a second look.
        waiting = [qid for qid in order if qid in weak_ids and qid in seen and qid in review_days and qid not in new_today
                   and len(review_days[qid] - {today}) < 2
                   and (today in review_days[qid] or cards[qid].due.astimezone(zone).date() >= settings.interview_date)]
        cap = daily_cap(first_looks, weak_ids, max(days_left, 1), waiting)
        day = plan_calendar(first_looks, weak_ids, 1, cap, waiting)[0]
        second_ids = [qid for qid, kind in day if kind == "second" and today not in review_days.get(qid, ())
                      and qid not in relearning and qid not in reviews]
        new_count = sum(kind == "new" for _qid, kind in day)
    else:
        cap = min(settings.new_per_day, settings.daily_minutes * 60 // NEW_CARD_SECONDS)
        new_count = cap
    new_ids = [qid for qid in first_looks if qid not in seen][:max(0, new_count - len(new_today))]
    seconds = (len(learning) + len(reviews) + len(second_ids)) * REVIEW_SECONDS + len(new_ids) * NEW_CARD_SECONDS
    minutes = math.ceil(seconds / 60)
    return TodayPlan(relearning, reviews, second_ids, new_ids, len(new_today), cap, days_left, minutes,
                     minutes > settings.daily_minutes, weak, _coverage(questions, seen, weak), ahead)


def plan_for(store: Store, profile: str, questions: Sequence[Question], now: datetime,
             zone: tzinfo = timezone.utc) -> TodayPlan:
    """`today_plan` of `profile` from the store (cards, review log and plan settings), in one read snapshot."""
    with store.snapshot():
        cards, logs = store.reviews.cards(profile), store.reviews.logs(profile)
        settings = PlanSettings.from_stored(store.plans.get(profile))
    return today_plan(questions, cards, logs, settings, now, zone)
