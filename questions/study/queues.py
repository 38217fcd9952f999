"""Practice queues: one profile's filtered questions sorted into today / due / new / bookmarked / all, and the next
card."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Iterable, Optional, Sequence

from fsrs import Card

from questions.bank.loader import filter_questions
from questions.bank.schema import Question
from questions.store import Store
from questions.study.plan import PlanSettings, study_order, today_plan
from questions.study.progress import reviews_today

QUEUES = ("today", "due", "new", "bookmarked", "all")
REVISIT_QUEUES = ("bookmarked", "all")  # queues a graded card stays in (due and new lose it by themselves)


@dataclass(frozen=True)
class PracticeFilters:
    """What the filter row selects; empty means no constraint. `search` is literal and matches both languages."""
    topics: Sequence[str] = ()
    tags: Sequence[str] = ()
    difficulties: Sequence[int] = ()
    search: str = ""


def topics_of(questions: Iterable[Question]) -> list[str]:
    """The topics of `questions` in bank order, each once (what the topic selectors offer)."""
    return list(dict.fromkeys(question.topic for question in questions))


def practice_queue(queue: str, filtered_ids: Sequence[str], due_ids: Sequence[str], seen_ids: Iterable[str],
                   bookmarked: Iterable[str], exclude: Iterable[str] = (), today_ids: Sequence[str] = (),
                   new_order: Sequence[str] = ()) -> list[str]:
    """The question ids of one practice queue, in the order they are shown.
    today: the day's plan (study.plan); due: due cards (the store's order) among the filtered; new: filtered never
    reviewed, in `new_order` (the study order: fundamentals first) when given, else in bank order; bookmarked; all."""
    allowed = set(filtered_ids)
    excluded = set(exclude)
    if queue == "today":
        ids = [qid for qid in today_ids if qid in allowed]
    elif queue == "due":
        ids = [qid for qid in due_ids if qid in allowed]
    elif queue == "new":
        seen = set(seen_ids)
        ids = [qid for qid in (new_order or filtered_ids) if qid not in seen and qid in allowed]
    elif queue == "bookmarked":
        marks = set(bookmarked)
        ids = [qid for qid in filtered_ids if qid in marks]
    elif queue == "all":
        ids = list(filtered_ids)
    else:
        raise ValueError(f"queue ({queue!r}) must be one of {', '.join(map(repr, QUEUES))}")
    return [qid for qid in ids if qid not in excluded]


@dataclass(frozen=True)
class PracticeDeck:
    """One profile's practice state at one moment: the filtered questions, the stored cards, bookmarks, due ids."""
    filtered_ids: list[str]               # bank order
    cards: dict[str, Card] = field(repr=False)
    due_ids: list[str]                    # every due card of the profile, most overdue first (the store's order)
    bookmarks: set[str]
    known_ids: frozenset[str] = field(repr=False)  # every question of the bank (a ?q= link may name a filtered one)
    reviewed_today: int = 0               # reviews (log rows, every source) since the start of the user's local day
    today_ids: list[str] = field(default_factory=list)  # the day's plan, in order (study.plan.TodayPlan.queue)
    new_order: list[str] = field(default_factory=list)  # the filtered ids in study order (the New queue's order)

    def queue(self, name: str, exclude: Iterable[str] = ()) -> list[str]:
        """The ids of queue `name` without `exclude`."""
        return practice_queue(name, self.filtered_ids, self.due_ids, self.cards.keys(), self.bookmarks, exclude,
                              self.today_ids, self.new_order)

    def counts(self) -> dict[str, int]:
        """The size of every queue (what the queue selector shows)."""
        return {name: len(self.queue(name)) for name in QUEUES}

    def default_queue(self) -> str:
        """Due when anything is due, else new."""
        return "due" if self.queue("due") else "new"

    def next_ids(self, queue: str, skipped: Iterable[str] = (), done: Iterable[str] = (),
                 focus: Optional[str] = None) -> tuple[list[str], bool]:
        """(the ids of `queue` in the order shown, whether the session's skipped / done cards came back).

        Skipped cards wait until the queue is through; so do cards graded this session in the queues that keep them
        (bookmarked, all). When nothing else is left they come back (the caller forgets them). `focus` (a ?q= link)
        goes first when it names a question of the bank, filtered or not."""
        exclude = set(skipped) | (set(done) if queue in REVISIT_QUEUES else set())
        ids = self.queue(queue, exclude)
        cycled = not ids and bool(exclude)
        if cycled:
            ids = self.queue(queue)
        if focus in self.known_ids:
            ids = [focus] + [qid for qid in ids if qid != focus]
        return ids, cycled


def practice_deck(questions: Sequence[Question], filters: PracticeFilters, store: Store, profile: str,
                  now: datetime, zone: tzinfo = timezone.utc) -> PracticeDeck:
    """The practice deck of `profile` at `now` over the questions `filters` select; "today" is local to `zone`."""
    filtered = filter_questions(questions, topics=filters.topics, tags=filters.tags,
                                difficulties=filters.difficulties, search=filters.search)
    with store.snapshot():
        cards, logs = store.reviews.cards(profile), store.reviews.logs(profile)
        settings = PlanSettings.from_stored(store.plans.get(profile))
        due_ids, bookmarks = store.reviews.due_ids(profile, now), store.bookmarks.ids(profile)
    order = study_order(questions)
    filtered_ids = [question.id for question in filtered]
    kept = set(filtered_ids)
    return PracticeDeck(
        filtered_ids=filtered_ids,
        cards=cards,
        due_ids=due_ids,
        bookmarks=bookmarks,
        known_ids=frozenset(question.id for question in questions),
        reviewed_today=reviews_today(logs, now, zone),
        today_ids=today_plan(questions, cards, logs, settings, now, zone, order).queue,
        new_order=[qid for qid in order if qid in kept],
    )

