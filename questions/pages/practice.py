"""Practice page: filtered queues of cards, self-grading against key points, FSRS scheduling (Space, keys 1-4)."""
from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from questions.ui.i18n import t
from questions.bank.loader import filter_questions
from questions.ui import shell as common
from questions.study.scheduler import format_interval, preview, suggest_rating
from questions.store.db import StoreError

QUEUES = ("due", "new", "bookmarked", "all")
RATINGS = (1, 2, 3, 4)
from questions.ui.routes import EXERCISE_PARAM, EXERCISES, PRESET_PARAM, QUESTION_PARAM, SANDBOX

lang = common.lang()
profile = common.profile()


def start_of_today() -> datetime:
    """Midnight in the browser's time zone (UTC when unknown), as a UTC datetime: "reviewed today" means local today."""
    local_now = datetime.now(common.browser_zone())
    return local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


# ---- callbacks (run before the next rerun draws the page) -------------------------------------------------------------
def show_answer(question_id: str, card) -> None:
    """Reveal the answer and preview the four ratings once; the buttons show, and the grade commits, these cards."""
    moment = common.now_utc()
    st.session_state["practice_shown"] = question_id
    st.session_state["practice_preview"] = {
        "question_id": question_id, "at": moment, "options": preview(card, question_id, moment)}


def grade(store, question_id: str, rating: int) -> None:
    state = st.session_state.get("practice_preview")
    if not state or state["question_id"] != question_id:
        return  # a stale click (another tab graded this card): ignore rather than save an unseen interval
    card, log = state["options"][rating]  # keyed by fsrs.Rating, an IntEnum
    answer = (st.session_state.get(f"practice_answer_{question_id}") or "").strip() or None
    try:
        store.record_review(common.profile(), question_id, card, log, answer_text=answer, source="practice")
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)
        return
    st.session_state["practice_last"] = (rating, format_interval(state["at"], card.due, common.lang()))
    st.session_state["practice_done"] = st.session_state.get("practice_done", set()) | {question_id}
    leave(question_id)


def skip(question_id: str) -> None:
    st.session_state["practice_skipped"] = st.session_state.get("practice_skipped", set()) | {question_id}
    leave(question_id)


def leave(question_id: str) -> None:
    """Done with this card: forget its shown answer and previews, and drop ?q= when it named this card."""
    st.session_state.pop("practice_shown", None)
    st.session_state.pop("practice_preview", None)
    if st.query_params.get(QUESTION_PARAM) == question_id:
        del st.query_params[QUESTION_PARAM]


def toggle_bookmark(store, question_id: str) -> None:
    try:
        store.set_bookmark(common.profile(), question_id, bool(st.session_state.get(f"practice_bookmark_{question_id}")))
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)


def save_note(store, question_id: str) -> None:
    try:
        store.set_note(common.profile(), question_id, st.session_state.get(f"practice_note_{question_id}", ""))
        st.session_state["practice_note_saved"] = question_id
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)


# ---- drawing ------------------------------------------------------------------------------------------------------------
def draw_filters(index: dict):
    topic_col, tag_col, difficulty_col, search_col = st.columns([2, 2, 1.8, 2], vertical_alignment="bottom")
    topics = topic_col.multiselect(t("practice.filter_topics", lang), index["topics"], key="practice_topics",
                                   format_func=lambda topic: common.topic_label(topic, lang),
                                   placeholder=t("app.topic_all", lang), persist_state="session")
    tags = tag_col.multiselect(t("practice.filter_tags", lang), index["tags"], key="practice_tags",
                               placeholder=t("practice.tags_any", lang), persist_state="session")
    difficulties = difficulty_col.pills(t("practice.filter_difficulty", lang), [1, 2, 3], selection_mode="multi",
                                        key="practice_difficulty", persist_state="session",
                                        format_func=lambda level: common.difficulty_label(level, lang))
    search = search_col.text_input(t("practice.search", lang), key="practice_search",
                                   placeholder=t("practice.search_placeholder", lang), persist_state="session")
    return topics, tags, difficulties, search


def draw_answer(question, store, card) -> None:
    qid = question.id
    st.markdown(f"**{t('practice.reference_answer', lang)}**")
    st.markdown(question.text("answer", lang))
    if question.options:
        st.markdown(f"**{t('practice.options', lang)}**")
        for option in question.options:
            mark = "✅" if option.correct else "▫️"
            st.markdown(f"{mark} {option.text.get(lang)}  \n<small>{option.explanation.get(lang)}</small>",
                        unsafe_allow_html=True)
    points = question.key_point_texts(lang)
    ticked = 0
    if points:
        st.markdown(f"**{t('practice.key_points', lang)}**")
        for number, point in enumerate(points):
            ticked += bool(st.checkbox(point, key=f"practice_point_{qid}_{number}"))
    if question.pitfall is not None:
        st.warning(f"**{t('practice.pitfall', lang)}:** {question.text('pitfall', lang)}", icon="⚠️")
    sources = [common.format_source(source, lang) for source in question.sources]
    st.caption(f"{t('practice.sources', lang)}: " + " · ".join(sources))
    if question.exercises or question.sandbox_presets:
        st.markdown(f"**{t('practice.related', lang)}**")
        link_cols = st.columns(max(1, len(question.exercises) + len(question.sandbox_presets)))
        links = [(EXERCISES.path, t("practice.open_exercise", lang, slug=slug), {EXERCISE_PARAM: slug}, ":material/code:")
                 for slug in question.exercises]
        links += [(SANDBOX.path, t("practice.open_preset", lang, preset=preset), {PRESET_PARAM: preset}, ":material/science:")
                  for preset in question.sandbox_presets]
        for column, (page, label, params, icon) in zip(link_cols, links):
            column.page_link(page, label=label, query_params=params, icon=icon)

    suggested = int(suggest_rating(ticked, len(points)))
    if points:
        st.markdown(t("practice.suggested", lang, rating=common.rating_label(suggested, lang)))
    state = st.session_state["practice_preview"]
    st.caption(t("practice.grade", lang))
    for column, rating in zip(st.columns(4), RATINGS):
        preview_card = state["options"][rating][0]
        label = t("practice.grade_button", lang, rating=common.rating_label(rating, lang),
                  interval=format_interval(state["at"], preview_card.due, lang))
        column.button(label, key=f"practice_rate_{rating}", shortcut=str(rating), width="stretch",
                      type="primary" if rating == suggested else "secondary",
                      on_click=grade, args=(store, qid, rating))


def draw_card(question, store, card, position: int, total: int, bookmarked: bool) -> None:
    qid = question.id
    shown = st.session_state.get("practice_shown") == qid and st.session_state.get("practice_preview")
    with st.container(border=True):
        st.caption(t("practice.card_meta", lang, topic=common.topic_label(question.topic, lang),
                     difficulty=common.difficulty_label(question.difficulty, lang),
                     type=t(f"practice.type_{question.type}", lang), position=position, total=total)
                   + " · " + t("practice.tags", lang, tags=", ".join(question.tags)))
        st.markdown(question.text("prompt", lang))
        st.text_area(t("practice.your_answer", lang), key=f"practice_answer_{qid}", height=110,
                     placeholder=t("practice.your_answer_placeholder", lang))
        if shown:
            draw_answer(question, store, card)
        else:
            st.button(t("practice.show_answer", lang), key="practice_show", type="primary", shortcut="Space",
                      on_click=show_answer, args=(qid, card))
    bookmark_col, skip_col = st.columns([4, 1], vertical_alignment="center")
    bookmark_col.toggle(t("practice.bookmark", lang), value=bookmarked, key=f"practice_bookmark_{qid}",
                        on_change=toggle_bookmark, args=(store, qid))
    skip_col.button(t("practice.skip", lang), key="practice_skip", on_click=skip, args=(qid,), width="stretch")
    with st.expander(t("practice.note", lang), expanded=False):
        with common.store_errors():
            saved_note = store.note(profile, qid)
        st.text_area(t("practice.note", lang), value=saved_note, key=f"practice_note_{qid}",
                     label_visibility="collapsed", placeholder=t("practice.note_placeholder", lang))
        st.button(t("practice.save_note", lang), key="practice_save_note", on_click=save_note, args=(store, qid))
        if st.session_state.pop("practice_note_saved", None) == qid:
            st.success(t("practice.note_saved", lang))


def main() -> None:
    st.title(t("practice.title", lang))
    questions = common.bank()
    if not questions:
        st.stop()
    store = common.store()
    index = common.bank_index()
    by_id = index["by_id"]
    if error := st.session_state.pop("practice_error", None):
        common.show_store_error(error)

    topics, tags, difficulties, search = draw_filters(index)
    filtered_ids = [q.id for q in filter_questions(questions, topics=topics, tags=tags, difficulties=difficulties,
                                                  search=search)]
    now = common.now_utc()
    with common.store_errors():
        cards = store.cards(profile)
        bookmarks = store.bookmarks(profile)
    due_ids = [qid for qid, card in sorted(cards.items(), key=lambda item: item[1].due) if card.due <= now]
    skipped = st.session_state.get("practice_skipped", set())
    done = st.session_state.get("practice_done", set())
    counts = {queue: len(common.practice_queue(queue, filtered_ids, due_ids, cards.keys(), bookmarks))
              for queue in QUEUES}
    if st.session_state.get("practice_queue") not in QUEUES:
        st.session_state["practice_queue"] = "due" if counts["due"] else "new"
    queue = st.segmented_control(t("practice.queue", lang), QUEUES, key="practice_queue", required=True,
                                 persist_state="session",
                                 format_func=lambda name: t(f"practice.queue_{name}", lang, count=counts[name]))
    today = start_of_today()
    reviewed_today = sum(1 for card in cards.values() if card.last_review and card.last_review >= today)
    st.caption(t("practice.stats", lang, reviewed=reviewed_today, due=counts["due"], new=counts["new"]))

    if last := st.session_state.pop("practice_last", None):
        st.success(t("practice.saved", lang, rating=common.rating_label(last[0], lang), interval=last[1]), icon="✅")

    # Graded cards leave due/new by themselves; in all/bookmarked, cards done this session go to the back.
    exclude = skipped | (done if queue in ("all", "bookmarked") else set())
    ids = common.practice_queue(queue, filtered_ids, due_ids, cards.keys(), bookmarks, exclude)
    if not ids and exclude:
        st.session_state["practice_skipped"] = set()
        st.session_state["practice_done"] = set()
        ids = common.practice_queue(queue, filtered_ids, due_ids, cards.keys(), bookmarks)
    focus = st.query_params.get("q")
    if focus in by_id:  # a link from another page (?q=<question id>) opens that question first
        ids = [focus] + [qid for qid in ids if qid != focus]
    if not ids:
        st.info(t("practice.empty_due" if queue == "due" else "practice.empty", lang))
        return
    question = by_id[ids[0]]
    draw_card(question, store, cards.get(question.id), 1, len(ids), question.id in bookmarks)


main()
