"""The card browser's rows: filters, the search hit marked in a snippet (either language), the sorts, and the review
counts the store aggregates."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from questions.store import Store
from questions.study.browse import BrowseFilters, browse_rows, marked_snippet
from questions.study.scheduler import preview
from tests.helpers.bank import FIXTURE_BANK, as_questions

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
QUESTIONS = as_questions(question for questions in FIXTURE_BANK.values() for question in questions)


def test_marked_snippet_is_literal_case_insensitive_and_marks_every_hit_in_the_window():
    mark = "<{}>".format
    assert marked_snippet("The Capacity factor sets the capacity.", "capacity", mark) == (
        "The <Capacity> factor sets the <capacity>.")
    assert marked_snippet("a (b[ c", "(b[", mark) == "a <(b[> c"  # regex characters are literal
    assert marked_snippet("容量因子决定容量", "容量", mark) == "<容量>因子决定<容量>"
    assert marked_snippet("nothing here", "capacity", mark) is None
    long = "word " * 40 + "needle" + " word" * 40
    snippet = marked_snippet(long, "needle", mark, width=10)
    assert snippet.startswith("…") and snippet.endswith("…") and "<needle>" in snippet and len(snippet) < 40


def test_rows_filter_search_in_either_language_and_sort(tmp_path):
    store = Store(tmp_path / "p.sqlite3")
    for qid, ratings in (("capacity-overflow", [Rating.Again, Rating.Again]), ("routing-expert-choice", [Rating.Good])):
        for step, rating in enumerate(ratings):
            when = NOW + timedelta(minutes=step)
            store.reviews.record("ann", qid, *preview(store.reviews.card("ann", qid), qid, when)[rating])
    counts = store.reviews.counts("ann")
    assert counts == {"capacity-overflow": (2, 2), "routing-expert-choice": (1, 0)}
    cards = store.reviews.cards("ann")

    def ids(filters=BrowseFilters(), sort="bank", bookmarks=frozenset()):
        return [row["id"] for row in browse_rows(QUESTIONS, cards, counts, set(bookmarks), {}, filters, "en", sort)]

    assert ids() == [question.id for question in QUESTIONS]
    assert ids(sort="lapses")[:2] == ["capacity-overflow", "routing-topk-softmax"]  # then bank order
    assert ids(sort="difficulty")[0] == "routing-expert-choice"
    assert ids(sort="due")[:2] == sorted(["capacity-overflow", "routing-expert-choice"],
                                         key=lambda qid: cards[qid].due)
    assert ids(BrowseFilters(types=["choice"], topics=["capacity"])) == ["capacity-formula", "capacity-overflow"]
    assert ids(BrowseFilters(bookmarked_only=True), bookmarks={"capacity-factor"}) == ["capacity-factor"]
    (row,) = browse_rows(QUESTIONS, cards, counts, set(), {"capacity-factor": "note"},
                         BrowseFilters(search="容量因子"), "en", mark="[{}]".format)
    assert row["id"] == "capacity-factor" and row["snippet"] == "什么是[容量因子]？" and row["note"] == "note"
    with pytest.raises(ValueError, match="sort"):
        browse_rows(QUESTIONS, cards, counts, set(), {}, BrowseFilters(), "en", "random")
