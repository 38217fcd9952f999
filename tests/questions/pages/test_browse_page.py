"""AppTest of the card browser: the whole bank with the profile's schedule, bookmarks and notes, filters, a literal
search with the hits marked, the sorts, links that open a card in Practice, in both languages."""
from __future__ import annotations

import pytest
from fsrs import Rating

from questions.languages import LANGUAGES
from questions.store import Store
from questions.study.clock import now_utc
from questions.study.scheduler import preview
from questions.ui.i18n import t
from questions.ui.routes import BROWSE
from tests.helpers.apptest import run_ok
from tests.helpers.bank import FIXTURE_IDS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_table_lists_the_bank_with_schedule_bookmarks_and_notes(make_app, db_path, lang):
    store, now = Store(db_path), now_utc()
    store.reviews.record("default", "capacity-factor", *preview(None, "capacity-factor", now)[Rating.Again])
    store.bookmarks.set("default", "routing-switch-k", True)
    store.notes.set("default", "routing-switch-k", "Switch: one expert")
    at = run_ok(make_app(lang=lang, page=BROWSE.path))
    assert at.title[0].value == t("browse.title", lang)
    table = at.dataframe[0].value
    assert len(table) == len(FIXTURE_IDS)
    rows = table.set_index(table[t("browse.col_open", lang)].str.extract(r"q=([a-z-]+)")[0])
    assert rows.loc["routing-switch-k", t("browse.col_bookmark", lang)] == "★"
    assert rows.loc["routing-switch-k", t("browse.col_note", lang)] == "Switch: one expert"
    assert rows.loc["capacity-factor", t("browse.col_lapses", lang)] == 1
    assert rows.loc["routing-topk-softmax", t("browse.col_due", lang)] == t("browse.never", lang)
    assert all(link.startswith("practice?q=") and link.endswith(f"lang={lang}") for link in table.iloc[:, 0])


def test_filters_search_marks_hits_and_says_when_nothing_matched(make_app, db_path):
    at = run_ok(make_app(lang="en", page=BROWSE.path))
    at.multiselect(key="browse_types").set_value(["choice"])
    run_ok(at)
    assert len(at.dataframe[0].value) == 3
    at.multiselect(key="browse_types").set_value([])
    at.text_input(key="browse_search").input("容量")  # Chinese while the UI is English: literal, both languages
    run_ok(at)
    assert len(at.dataframe[0].value) == 2  # 什么是容量因子？ and 哪个是容量公式？
    assert any(":orange-background[**容量**]" in markdown.value for markdown in at.markdown)
    at.text_input(key="browse_search").input("no such [words")
    run_ok(at)
    assert t("browse.no_match", "en", search="no such [words") in [info.value for info in at.info]
    assert not at.dataframe


def test_sorts_and_bookmarked_only(make_app, db_path):
    store, now = Store(db_path), now_utc()
    for qid in ("routing-expert-choice", "capacity-overflow"):
        store.reviews.record("default", qid, *preview(None, qid, now)[Rating.Again])
    card, log = preview(store.reviews.card("default", "capacity-overflow"), "capacity-overflow", now)[Rating.Again]
    store.reviews.record("default", "capacity-overflow", card, log)
    store.bookmarks.set("default", "capacity-formula", True)
    at = run_ok(make_app(lang="en", page=BROWSE.path))

    def first_ids(count):
        return [link.split("q=")[1].split("&")[0] for link in at.dataframe[0].value.iloc[:count, 0]]

    at.selectbox(key="browse_sort").set_value("lapses")
    run_ok(at)
    assert first_ids(2) == ["capacity-overflow", "routing-expert-choice"]
    at.selectbox(key="browse_sort").set_value("difficulty")
    run_ok(at)
    assert first_ids(1) == ["routing-expert-choice"]  # the only hard one
    at.selectbox(key="browse_sort").set_value("due")
    run_ok(at)
    assert set(first_ids(2)) == {"capacity-overflow", "routing-expert-choice"}  # reviewed cards, then new ones
    at.toggle(key="browse_bookmarked").set_value(True)
    run_ok(at)
    assert first_ids(5) == ["capacity-formula"]
