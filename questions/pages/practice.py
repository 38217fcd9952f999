"""Practice page: filtered queues of cards, self-grading against key points, FSRS scheduling (Space, keys 1-4)."""
from __future__ import annotations

import streamlit as st

from questions.exercises import exercises
from questions.store import StoreError
from questions.study.clock import now_utc
from questions.study.practice import answer_preview, commit_grade
from questions.study.queues import QUEUES, PracticeDeck, PracticeFilters, practice_deck
from questions.study.scheduler import RATINGS, format_interval, preview_labels, suggest_rating
from questions.ui import shell
from questions.ui.cards import draw_follow_ups
from questions.ui.checklist import draw_checklist
from questions.ui.i18n import t
from questions.ui.keyboard import focus_first, install_grade_keys
from questions.ui.labels import difficulty_label, format_source, interval_units, rating_label, topic_label
from questions.ui.routes import (EXERCISE_PARAM, EXERCISES, EXPERIMENT_PARAM, PRESET_PARAM, QUESTION_PARAM,
                                 SANDBOX)
from sandbox.experiments import experiments_for_question


# ---- callbacks (run before the next rerun draws the page) ------------------------------------------------------------
def show_answer(question_id: str, card) -> None:
    """Reveal the answer and preview the four ratings once; the buttons show, and the grade commits, these cards."""
    st.session_state["practice_shown"] = question_id
    st.session_state["practice_preview"] = answer_preview(card, question_id, now_utc())


def grade(store, question_id: str, rating: int) -> None:
    shown = st.session_state.get("practice_preview")
    answer = st.session_state.get(f"practice_answer_{question_id}")
    try:
        card = commit_grade(store, shell.profile(), shown, question_id, rating, answer)
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)
        return
    if card is None:
        return  # a stale click (another tab graded this card): nothing was saved
    st.session_state["practice_last"] = (rating, format_interval(shown["at"], card.due, interval_units(shell.lang())))
    st.session_state["practice_done"] = st.session_state.get("practice_done", set()) | {question_id}
    st.session_state["practice_undo_id"] = question_id
    leave(question_id)


def undo(store) -> None:
    """Undo the last grade of this session: the card and the review log are as before it, and the card comes back."""
    st.session_state.pop("practice_undo_id", None)
    try:
        question_id = store.reviews.undo_last(shell.profile())
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)
        return
    if question_id is None:
        return
    st.session_state["practice_done"] = st.session_state.get("practice_done", set()) - {question_id}
    st.session_state.pop("practice_shown", None)
    st.session_state.pop("practice_preview", None)
    st.query_params[QUESTION_PARAM] = question_id  # the card whose grade was undone is shown again first
    st.session_state["practice_undone"] = question_id


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
    on = bool(st.session_state.get(f"practice_bookmark_{question_id}"))
    try:
        store.bookmarks.set(shell.profile(), question_id, on)
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)


def save_note(store, question_id: str) -> None:
    try:
        store.notes.set(shell.profile(), question_id, st.session_state.get(f"practice_note_{question_id}", ""))
        st.session_state["practice_note_saved"] = question_id
    except StoreError as exc:
        st.session_state["practice_error"] = str(exc)


# ---- drawing ---------------------------------------------------------------------------------------------------------
def draw_filters(index: dict, lang: str) -> PracticeFilters:
    topic_col, tag_col, difficulty_col, search_col = st.columns([2, 2, 1.8, 2], vertical_alignment="bottom")
    topics = topic_col.multiselect(t("practice.filter_topics", lang), index["topics"], key="practice_topics",
                                   format_func=lambda topic: topic_label(topic, lang),
                                   placeholder=t("app.topic_all", lang), persist_state="session")
    tags = tag_col.multiselect(t("practice.filter_tags", lang), index["tags"], key="practice_tags",
                               placeholder=t("practice.tags_any", lang), persist_state="session")
    difficulties = difficulty_col.pills(t("practice.filter_difficulty", lang), [1, 2, 3], selection_mode="multi",
                                        key="practice_difficulty", persist_state="session",
                                        format_func=lambda level: difficulty_label(level, lang))
    search = search_col.text_input(t("practice.search", lang), key="practice_search",
                                   placeholder=t("practice.search_placeholder", lang), persist_state="session")
    return PracticeFilters(topics=topics, tags=tags, difficulties=difficulties or (), search=search)


def draw_last_grade(store, lang: str) -> None:
    """What the last grade saved, with Undo (Ctrl+Z) while this session has a grade to take back."""
    last = st.session_state.pop("practice_last", None)
    if st.session_state.pop("practice_undone", None):
        st.info(t("practice.undone", lang), icon="↩️")
    if not last and not st.session_state.get("practice_undo_id"):
        return
    message_col, undo_col = st.columns([5, 1], vertical_alignment="center")
    if last:
        message_col.success(t("practice.saved", lang, rating=rating_label(last[0], lang), interval=last[1]), icon="✅")
    if st.session_state.get("practice_undo_id"):
        undo_col.button(t("practice.undo", lang), key="practice_undo", shortcut="Ctrl+Z", on_click=undo, args=(store,),
                        icon=":material/undo:", width="stretch", help=t("practice.undo_help", lang))


def draw_queue_choice(deck: PracticeDeck, lang: str) -> str:
    """The queue selector (due first when anything is due) and today's counts; returns the chosen queue."""
    counts = deck.counts()
    if st.session_state.get("practice_queue") not in QUEUES:
        st.session_state["practice_queue"] = deck.default_queue()
    queue = st.segmented_control(t("practice.queue", lang), QUEUES, key="practice_queue", required=True,
                                 persist_state="session",
                                 format_func=lambda name: t(f"practice.queue_{name}", lang, count=counts[name]))
    st.caption(t("practice.stats", lang, reviewed=deck.reviewed_today, due=counts["due"], new=counts["new"]))
    return queue


def empty_queue_message(queue: str, filters: PracticeFilters, lang: str) -> str:
    """Why nothing is shown: a search that matched nothing says so (not "nothing is due")."""
    if filters.search.strip():
        return t("practice.no_match", lang, search=filters.search.strip())
    if queue in ("due", "today"):
        return t(f"practice.empty_{queue}", lang)
    return t("practice.empty", lang)


def draw_links(question, lang: str) -> None:
    """Links to the question's exercises (by title), sandbox presets and the guided experiments that answer it."""
    titles = {exercise.slug: exercise.text("title", lang) for exercise in exercises()}
    links = [(EXERCISES.path, t("practice.open_exercise", lang, slug=titles.get(slug, slug)), {EXERCISE_PARAM: slug},
              ":material/code:") for slug in question.exercises]
    links += [(SANDBOX.path, t("practice.open_preset", lang, preset=preset), {PRESET_PARAM: preset},
               ":material/science:") for preset in question.sandbox_presets]
    links += [(SANDBOX.path, t("practice.open_experiment", lang, title=experiment.title[lang]),
               {EXPERIMENT_PARAM: experiment.id}, ":material/experiment:")
              for experiment in experiments_for_question(question.id)]
    if not links:
        return
    st.markdown(f"**{t('practice.related', lang)}**")
    for column, (page, label, params, icon) in zip(st.columns(len(links)), links):
        column.page_link(page, label=label, query_params=params, icon=icon)


def draw_grades(store, question_id: str, suggested: int, lang: str) -> None:
    """Again / Hard / Good / Easy (keys 1-4), each with its previewed card's interval; the suggested one is primary."""
    shown = st.session_state["practice_preview"]
    intervals = preview_labels(shown["options"], shown["at"], interval_units(lang))
    st.caption(t("practice.grade", lang))
    for column, rating in zip(st.columns(len(RATINGS)), map(int, RATINGS)):
        label = t("practice.grade_button", lang, rating=rating_label(rating, lang), interval=intervals[rating])
        column.button(label, key=f"practice_rate_{rating}", shortcut=str(rating), width="stretch",
                      type="primary" if rating == suggested else "secondary",
                      on_click=grade, args=(store, question_id, rating))


def draw_answer(question, store, lang: str) -> None:
    st.markdown(f"**{t('practice.reference_answer', lang)}**")
    st.markdown(question.text("answer", lang))
    if question.options:
        st.markdown(f"**{t('practice.options', lang)}**")
        for option in question.options:
            mark = "✅" if option.correct else "▫️"
            st.markdown(f"{mark} {option.text.get(lang)}  \n<small>{option.explanation.get(lang)}</small>",
                        unsafe_allow_html=True)
    ticked, points = draw_checklist(question, st.session_state.get(f"practice_answer_{question.id}", ""), lang,
                                    f"practice_point_{question.id}")
    if question.pitfall is not None:
        st.warning(f"**{t('practice.pitfall', lang)}:** {question.text('pitfall', lang)}", icon="⚠️")
    draw_follow_ups(question, lang)
    sources = [format_source(source, lang) for source in question.sources]
    st.caption(f"{t('practice.sources', lang)}: " + " · ".join(sources))
    draw_links(question, lang)
    suggested = int(suggest_rating(ticked, points))
    if points:
        st.markdown(t("practice.suggested", lang, rating=rating_label(suggested, lang)))
    draw_grades(store, question.id, suggested, lang)


def draw_note(store, question_id: str, lang: str) -> None:
    with st.expander(t("practice.note", lang), expanded=False):
        with shell.store_errors():
            saved_note = store.notes.get(shell.profile(), question_id)
        st.text_area(t("practice.note", lang), value=saved_note, key=f"practice_note_{question_id}",
                     label_visibility="collapsed", placeholder=t("practice.note_placeholder", lang))
        st.button(t("practice.save_note", lang), key="practice_save_note", on_click=save_note,
                  args=(store, question_id))
        if st.session_state.pop("practice_note_saved", None) == question_id:
            st.success(t("practice.note_saved", lang))


def draw_card(question, store, card, total: int, bookmarked: bool, lang: str) -> None:
    qid = question.id
    shown = st.session_state.get("practice_shown") == qid and st.session_state.get("practice_preview")
    with st.container(border=True):
        st.caption(t("practice.card_meta", lang, topic=topic_label(question.topic, lang),
                     difficulty=difficulty_label(question.difficulty, lang),
                     type=t(f"practice.type_{question.type}", lang), position=1, total=total)
                   + " · " + t("practice.tags", lang, tags=", ".join(question.tags)))
        st.markdown(question.text("prompt", lang))
        st.text_area(t("practice.your_answer", lang), key=f"practice_answer_{qid}", height=110,
                     placeholder=t("practice.your_answer_placeholder", lang))
        st.caption(t("practice.keys_help", lang))
        if shown:
            draw_answer(question, store, lang)
            focus_first([f"practice_point_{qid}_0", "practice_rate_1"], f"{qid}@{shown['at'].isoformat()}")
        else:
            st.button(t("practice.show_answer", lang), key="practice_show", type="primary", shortcut="Space",
                      on_click=show_answer, args=(qid, card))
    bookmark_col, skip_col = st.columns([4, 1], vertical_alignment="center")
    bookmark_col.toggle(t("practice.bookmark", lang), value=bookmarked, key=f"practice_bookmark_{qid}",
                        on_change=toggle_bookmark, args=(store, qid))
    skip_col.button(t("practice.skip", lang), key="practice_skip", on_click=skip, args=(qid,), width="stretch")
    draw_note(store, qid, lang)


def main() -> None:
    lang = shell.lang()
    st.title(t("practice.title", lang))
    questions = shell.bank()
    if not questions:
        st.stop()
    store = shell.store()
    index = shell.bank_index()
    if error := st.session_state.pop("practice_error", None):
        shell.show_store_error(error)
    install_grade_keys("practice_rate_")
    filters = draw_filters(index, lang)
    with shell.store_errors():
        deck = practice_deck(questions, filters, store, shell.profile(), now_utc(), shell.browser_zone())
    queue = draw_queue_choice(deck, lang)
    draw_last_grade(store, lang)
    ids, cycled = deck.next_ids(queue, st.session_state.get("practice_skipped", set()),
                                st.session_state.get("practice_done", set()), st.query_params.get(QUESTION_PARAM))
    if cycled:  # the queue went round: skipped and done cards come back
        st.session_state["practice_skipped"] = set()
        st.session_state["practice_done"] = set()
    if not ids:
        st.info(empty_queue_message(queue, filters, lang))
        return
    question = index["by_id"][ids[0]]
    draw_card(question, store, deck.cards.get(question.id), len(ids), question.id in deck.bookmarks, lang)


main()
