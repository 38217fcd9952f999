"""Practice queues: which ids each queue holds and in what order, the deck built from the store, the next card."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from questions.bank.loader import load_bank
from questions.store import Store
from questions.study.queues import PracticeDeck, PracticeFilters, practice_deck, practice_queue, topics_of
from questions.study.scheduler import preview
from tests.helpers.bank import FIXTURE_IDS, write_bank

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_practice_queues():
    filtered = ["a", "b", "c", "d"]
    due = ["x", "c", "a"]  # the store's order (most overdue first); x is filtered out
    seen = {"a", "c", "x"}
    assert practice_queue("due", filtered, due, seen, set()) == ["c", "a"]
    assert practice_queue("new", filtered, due, seen, set()) == ["b", "d"]
    assert practice_queue("bookmarked", filtered, due, seen, {"d", "x"}) == ["d"]
    assert practice_queue("all", filtered, due, seen, set(), exclude={"b"}) == ["a", "c", "d"]
    with pytest.raises(ValueError, match="queue"):
        practice_queue("later", filtered, due, seen, set())


def deck(**changes) -> PracticeDeck:
    values = dict(filtered_ids=["a", "b", "c", "d"], cards={"a": None, "c": None}, due_ids=["c", "a"],
                  bookmarks={"b", "d"}, known_ids=frozenset("abcdez"), reviewed_today=1)
    values.update(changes)
    return PracticeDeck(**values)


def test_deck_counts_every_queue_and_starts_on_due_when_anything_is_due():
    assert deck().counts() == {"today": 0, "due": 2, "new": 2, "bookmarked": 2, "all": 4}
    assert deck(today_ids=["c", "z", "b"]).queue("today") == ["c", "b"]  # the plan's order, filtered
    assert deck().default_queue() == "due"
    assert deck(due_ids=[]).default_queue() == "new"


def test_next_ids_leave_skipped_cards_and_graded_cards_of_revisit_queues_for_later():
    assert deck().next_ids("all", skipped={"a"}, done={"b"}) == (["c", "d"], False)
    assert deck().next_ids("due", done={"c"}) == (["c", "a"], False)  # due loses a graded card by itself
    assert deck().next_ids("bookmarked", skipped={"b"}, done={"d"}) == (["b", "d"], True)  # nothing left: round again
    assert deck().next_ids("new") == (["b", "d"], False)


def test_a_question_link_goes_first_even_when_filtered_out_but_never_an_unknown_id():
    assert deck().next_ids("new", focus="z") == (["z", "b", "d"], False)
    assert deck().next_ids("new", focus="d") == (["d", "b"], False)
    assert deck().next_ids("new", focus="nope") == (["b", "d"], False)


@pytest.fixture
def questions(tmp_path):
    return load_bank(write_bank(tmp_path / "bank")).questions


def test_topics_in_bank_order(questions):
    assert topics_of(questions) == list(dict.fromkeys(question.topic for question in questions))
    assert sorted(topics_of(questions)) == ["capacity", "routing"]


def review(store: Store, profile: str, question_id: str, rating: Rating, moment: datetime) -> None:
    card, log = preview(store.reviews.card(profile, question_id), question_id, moment)[rating]
    store.reviews.record(profile, question_id, card, log)


def test_practice_deck_reads_due_cards_bookmarks_and_todays_reviews_from_the_store(tmp_path, questions):
    store = Store(tmp_path / "progress.sqlite3")
    review(store, "p", "routing-expert-choice", Rating.Again, NOW - timedelta(days=2))  # most overdue
    review(store, "p", "capacity-factor", Rating.Again, NOW - timedelta(days=1))
    review(store, "p", "routing-topk-softmax", Rating.Easy, NOW - timedelta(hours=3))  # due in days
    review(store, "other", "capacity-overflow", Rating.Again, NOW - timedelta(days=3))  # another profile's
    store.bookmarks.set("p", "capacity-formula", True)

    deck = practice_deck(questions, PracticeFilters(), store, "p", NOW)
    assert deck.filtered_ids == [question.id for question in questions]
    assert deck.known_ids == frozenset(FIXTURE_IDS)
    assert deck.due_ids == ["routing-expert-choice", "capacity-factor"]
    assert set(deck.cards) == {"routing-expert-choice", "capacity-factor", "routing-topk-softmax"}
    assert deck.bookmarks == {"capacity-formula"}
    assert deck.reviewed_today == 1  # 09:00 UTC is today in UTC
    assert deck.counts() == {"today": 5, "due": 2, "new": 3, "bookmarked": 1, "all": 6}
    # Today: the two cards due again first, then the new ones from easy to hard, topics interleaved.
    assert deck.today_ids == ["routing-expert-choice", "capacity-factor", "routing-switch-k", "capacity-formula",
                              "capacity-overflow"]
    # In UTC+14 the local day began at 10:00 UTC, after the 09:00 review.
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    assert practice_deck(questions, PracticeFilters(), store, "p", NOW, kiritimati).reviewed_today == 0

    capacity = practice_deck(questions, PracticeFilters(topics=["capacity"], search="factor"), store, "p", NOW)
    assert capacity.filtered_ids == ["capacity-factor"]
    assert capacity.queue("due") == ["capacity-factor"] and capacity.queue("new") == []
    assert capacity.queue("today") == ["capacity-factor"]
