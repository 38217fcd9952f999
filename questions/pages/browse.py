"""Card browser page: the bank as a table with the profile's schedule, filters, a literal search with the hits marked,
sorts, bookmarks and notes; any card opens in Practice."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from questions.bank.schema import QUESTION_TYPES
from questions.study.browse import SORTS, BrowseFilters, browse_rows
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.labels import difficulty_label, markdown_literal, topic_label
from questions.ui.routes import PRACTICE, QUESTION_PARAM

MATCHES_SHOWN = 30  # search hits listed with their marked snippet under the table
HIT_OPEN, HIT_CLOSE = "\x00", "\x01"  # placeholders for the marks, replaced after the snippet is escaped


def draw_filters(index: dict, lang: str) -> tuple[BrowseFilters, str]:
    topic_col, type_col, difficulty_col = st.columns([2, 1.4, 1.6], vertical_alignment="bottom")
    topics = topic_col.multiselect(t("browse.topics", lang), index["topics"], key="browse_topics",
                                   format_func=lambda topic: topic_label(topic, lang),
                                   placeholder=t("app.topic_all", lang))
    types = type_col.multiselect(t("browse.types", lang), QUESTION_TYPES, key="browse_types",
                                 format_func=lambda kind: t(f"practice.type_{kind}", lang),
                                 placeholder=t("browse.types_all", lang))
    difficulties = difficulty_col.pills(t("browse.difficulty", lang), [1, 2, 3], selection_mode="multi",
                                        key="browse_difficulty", format_func=lambda level: difficulty_label(level, lang))
    search_col, sort_col, bookmark_col = st.columns([2.4, 1.2, 1], vertical_alignment="bottom")
    search = search_col.text_input(t("browse.search", lang), key="browse_search",
                                   placeholder=t("practice.search_placeholder", lang))
    sort = sort_col.selectbox(t("browse.sort", lang), SORTS, key="browse_sort",
                              format_func=lambda name: t(f"browse.sort_{name}", lang))
    bookmarked = bookmark_col.toggle(t("browse.bookmarked_only", lang), key="browse_bookmarked")
    return BrowseFilters(topics, types, difficulties or (), bookmarked, search), sort


def practice_link(question_id: str, lang: str) -> str:
    """The Practice URL that opens `question_id` first (relative to the app, in the current language)."""
    return f"{PRACTICE.url_path}?{urlencode({QUESTION_PARAM: question_id, 'lang': lang})}"


def draw_table(rows: list[dict], lang: str) -> None:
    zone = shell.browser_zone()
    open_col, due_col = t("browse.col_open", lang), t("browse.col_due", lang)
    table = [{
        open_col: practice_link(row["id"], lang),
        t("browse.col_prompt", lang): row["prompt"],
        t("browse.col_topic", lang): topic_label(row["topic"], lang),
        t("browse.col_type", lang): t(f"practice.type_{row['type']}", lang),
        t("browse.col_difficulty", lang): difficulty_label(row["difficulty"], lang),
        due_col: row["due"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if row["due"] else t("browse.never", lang),
        t("browse.col_lapses", lang): row["lapses"],
        t("browse.col_reviews", lang): row["reviews"],
        t("browse.col_bookmark", lang): "★" if row["bookmarked"] else "",
        t("browse.col_note", lang): row["note"],
    } for row in rows]
    narrow = [t(f"browse.col_{name}", lang) for name in ("type", "difficulty", "reviews", "lapses", "bookmark")]
    columns = {name: st.column_config.Column(width="small") for name in narrow}
    columns[open_col] = st.column_config.LinkColumn(display_text=t("browse.open", lang), width="small")
    columns[t("browse.col_prompt", lang)] = st.column_config.TextColumn(width="large")
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 560),
                 column_config=columns)


def draw_matches(rows: list[dict], lang: str) -> None:
    """The search hits with the matched text marked, each linking to its card."""
    st.subheader(t("browse.matches", lang))
    for row in rows[:MATCHES_SHOWN]:
        snippet = markdown_literal(row["snippet"] or "")
        snippet = snippet.replace(HIT_OPEN, ":orange-background[**").replace(HIT_CLOSE, "**]")
        st.markdown(f"[{markdown_literal(row['id'])}]({practice_link(row['id'], lang)}) · {snippet}")
    if len(rows) > MATCHES_SHOWN:
        st.caption(t("browse.more_matches", lang, count=len(rows) - MATCHES_SHOWN))


def main() -> None:
    lang, questions, store = shell.study_page("browse")
    profile = shell.profile()
    filters, sort = draw_filters(shell.bank_index(), lang)
    with shell.store_errors(), store.snapshot():
        cards, counts = store.reviews.cards(profile), store.reviews.counts(profile)
        bookmarks, notes = store.bookmarks.ids(profile), store.notes.all(profile)
    rows = browse_rows(questions, cards, counts, bookmarks, notes, filters, lang, sort,
                       mark=lambda hit: f"{HIT_OPEN}{hit}{HIT_CLOSE}")
    st.caption(t("browse.count", lang, shown=len(rows), total=len(questions)))
    if not rows:
        key = "browse.no_match" if filters.search.strip() else "browse.empty"
        st.info(t(key, lang, search=filters.search.strip()))
        return
    draw_table(rows, lang)
    if filters.search.strip():
        draw_matches(rows, lang)


main()
