"""Mock interview page: N open questions across topics with a timer, then a review with self-grades fed to FSRS."""
from __future__ import annotations

import time

import streamlit as st

from questions.store import StoreError
from questions.study.clock import now_utc
from questions.study.mock import (
    close_follow_up, close_question, is_stale, mock_history, open_topics, pick_mock_questions, save_session,
    start_session, ungraded)
from questions.study.matching import match_question
from questions.study.scheduler import RATINGS, suggest_rating
from questions.ui import shell
from questions.ui.cards import card_link
from questions.ui.checklist import draw_checklist, draw_marked_answer
from questions.ui.history import draw_history
from questions.ui.i18n import t
from questions.ui.labels import difficulty_label, format_elapsed, rating_label, topic_label

MAX_QUESTIONS = 20


# ---- callbacks -------------------------------------------------------------------------------------------------------
def start(questions: list) -> None:
    topics = st.session_state.get("mock_topics") or None
    ids = pick_mock_questions(questions, int(st.session_state.get("mock_count", 5)), topics)
    if not ids:
        st.session_state["mock_message"] = t("mock.no_questions", shell.lang())
        return
    st.session_state["mock"] = start_session(ids, bool(st.session_state.get("mock_hide_difficulty")), time.time())


def next_question(has_follow_up: bool) -> None:
    """Close the current question: keep its answer; then the interviewer's follow-up when it has one, else the next
    question's clock starts (or the review opens)."""
    session = st.session_state["mock"]
    qid = session["ids"][session["index"]]
    if session.get("stage") == "follow_up":
        close_follow_up(session, st.session_state.get(f"mock_follow_{qid}", ""), time.time())
    else:
        close_question(session, st.session_state.get(f"mock_answer_{qid}", ""), time.time(), has_follow_up)


def abandon() -> None:
    st.session_state.pop("mock", None)


def save(store) -> None:
    """Record the session and feed each self-grade to the scheduler (source "mock"), all in one transaction."""
    session = st.session_state["mock"]
    grades = {qid: st.session_state.get(f"mock_grade_{qid}") for qid in session["ids"]}
    if missing := ungraded(session, grades):
        numbers = ", ".join(str(session["ids"].index(qid) + 1) for qid in missing)
        st.session_state["mock_ungraded"] = t("mock.grade_missing", shell.lang(), numbers=numbers)
        return
    try:
        save_session(store, shell.profile(), session, grades, now_utc())
    except StoreError as exc:
        st.session_state["mock_error"] = str(exc)


# ---- drawing ---------------------------------------------------------------------------------------------------------
def draw_setup(questions: list, lang: str) -> None:
    st.caption(t("mock.intro", lang))
    count_col, topic_col = st.columns([1, 3])
    count_col.number_input(t("mock.count", lang), min_value=1, max_value=MAX_QUESTIONS, value=5, step=1,
                           key="mock_count")
    topic_col.multiselect(t("mock.topics", lang), open_topics(questions), key="mock_topics",
                          format_func=lambda topic: topic_label(topic, lang), placeholder=t("app.topic_all", lang))
    st.checkbox(t("mock.hide_difficulty", lang), key="mock_hide_difficulty")
    st.button(t("mock.start", lang), key="mock_start", type="primary", on_click=start, args=(questions,))


@st.fragment(run_every=1)
def draw_timer(started: float, lang: str) -> None:
    """Refreshes itself every second (a fragment rerun, not a page rerun)."""
    st.markdown(f"### {t('mock.elapsed', lang, elapsed=format_elapsed(time.time() - started))}")


def draw_question(session: dict, by_id: dict, lang: str) -> None:
    question = by_id[session["ids"][session["index"]]]
    total = len(session["ids"])
    head_col, timer_col = st.columns([4, 1], vertical_alignment="center")
    head_col.subheader(t("mock.question_n", lang, n=session["index"] + 1, total=total))
    with timer_col:
        draw_timer(session["started"], lang)
    st.progress(session["index"] / total)
    with st.container(border=True):
        meta = topic_label(question.topic, lang)
        if not session["hide_difficulty"]:
            meta += " · " + t("mock.difficulty", lang, difficulty=difficulty_label(question.difficulty, lang))
        st.caption(meta)
        st.markdown(question.text("prompt", lang))
        asking_follow_up = session.get("stage") == "follow_up"
        if asking_follow_up:
            draw_follow_up_prompt(session, question, lang)
        else:
            st.text_area(t("mock.your_answer", lang), key=f"mock_answer_{question.id}", height=220)
    follow_up_next = bool(question.follow_ups) and not asking_follow_up
    last = session["index"] == total - 1 and not follow_up_next
    with st.container(horizontal=True):
        st.button(t("mock.finish" if last else "mock.next", lang), key="mock_next", type="primary",
                  on_click=next_question, args=(follow_up_next,))
        st.button(t("mock.abandon", lang), key="mock_abandon", on_click=abandon)


def draw_follow_up_prompt(session: dict, question, lang: str) -> None:
    """The interviewer's follow-up to the answer just given, and the box to answer it."""
    answer = session["answers"].get(question.id) or ""
    st.caption(t("mock.you_answered", lang))
    st.text(answer if answer.strip() else t("mock.no_answer", lang))
    st.info(f"**{t('mock.follow_up', lang)}** {question.follow_ups[0].question.get(lang)}", icon="🗣️")
    st.text_area(t("mock.follow_up_answer", lang), key=f"mock_follow_{question.id}", height=160)


def draw_follow_up_review(session: dict, question, lang: str) -> None:
    """The follow-up that was asked, the answer given and the reference answer."""
    if not question.follow_ups:
        return
    follow_up = question.follow_ups[0]
    answer = session.get("follow_up_answers", {}).get(question.id) or ""
    st.markdown(f"**{t('mock.follow_up', lang)}** {follow_up.question.get(lang)}")
    answer_col, reference_col = st.columns(2)
    answer_col.text(answer if answer.strip() else t("mock.no_answer", lang))
    with reference_col.expander(t("mock.follow_up_reference", lang)):
        st.markdown(follow_up.answer.get(lang))


def draw_reviewed_question(session: dict, question, number: int, lang: str) -> None:
    """One answered question beside its reference answer, key points and pitfall, with its self-grade."""
    qid = question.id
    with st.container(border=True):
        st.markdown(f"**{t('mock.question_n', lang, n=number, total=len(session['ids']))}** · "
                    f"{topic_label(question.topic, lang)} · {difficulty_label(question.difficulty, lang)} · "
                    f"{t('mock.time_spent', lang, elapsed=format_elapsed(session['seconds'].get(qid, 0)))}")
        st.markdown(question.text("prompt", lang))
        answer = session["answers"].get(qid) or ""
        matches = match_question(question, answer, lang)
        answer_col, reference_col = st.columns(2)
        with answer_col:
            st.markdown(f"**{t('mock.you_answered', lang)}**")
            if answer.strip():
                draw_marked_answer(answer, matches, lang)
            else:
                st.text(t("mock.no_answer", lang))
        with reference_col:
            st.markdown(f"**{t('mock.reference', lang)}**")
            st.markdown(question.text("answer", lang))
        ticked, total = draw_checklist(question, answer, lang, f"mock_point_{qid}", matches=matches, show_answer=False,
                                       disabled=session["phase"] == "saved")
        if total:
            st.markdown(t("checklist.suggested", lang, rating=rating_label(int(suggest_rating(ticked, total)), lang)))
        if question.pitfall is not None:
            st.warning(f"**{t('mock.pitfall', lang)}:** {question.text('pitfall', lang)}", icon="⚠️")
        draw_follow_up_review(session, question, lang)
        card_link(qid, lang)
        st.segmented_control(t("mock.self_grade", lang), [int(rating) for rating in RATINGS], key=f"mock_grade_{qid}",
                             disabled=session["phase"] == "saved",
                             format_func=lambda rating: rating_label(rating, lang))


def draw_review(session: dict, by_id: dict, store, lang: str) -> None:
    st.subheader(t("mock.review_title", lang))
    st.caption(t("mock.review_intro", lang))
    for number, qid in enumerate(session["ids"], start=1):
        if qid in by_id:
            draw_reviewed_question(session, by_id[qid], number, lang)
    if session["phase"] == "saved":
        ratings = ", ".join(rating_label(rating, lang) for rating in session["saved"].values())
        st.success(t("mock.saved", lang, count=len(session["saved"])) + "  \n"
                   + t("mock.summary", lang, ratings=ratings), icon="✅")
        st.button(t("mock.again", lang), key="mock_again", type="primary", on_click=abandon)
    else:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button(t("mock.save", lang), key="mock_save", type="primary", on_click=save, args=(store,))
            if missing := st.session_state.pop("mock_ungraded", None):
                st.warning(missing, icon="✍️", width=420)


def draw_sessions(store, lang: str) -> None:
    """The profile's past mock interviews."""
    with shell.store_errors():
        rows = mock_history(store.mocks.sessions(shell.profile()))
    draw_history("mock", lang, rows, lambda row: {
        t("mock.col_questions", lang): row["questions"],
        t("mock.col_minutes", lang): row["minutes"],
        t("mock.col_mean_rating", lang): row["mean_rating"],
    })


def main() -> None:
    lang = shell.lang()
    st.title(t("mock.title", lang))
    questions = shell.bank()
    store = shell.store()
    by_id = shell.bank_index()["by_id"]
    if message := st.session_state.pop("mock_message", None):
        st.warning(message)
    if error := st.session_state.pop("mock_error", None):
        shell.show_store_error(error)
    session = st.session_state.get("mock")
    if session is not None and is_stale(session, by_id):
        session = st.session_state["mock"] = None  # the bank changed under a running interview: start over
    if session is None:
        draw_setup(questions, lang)
        draw_sessions(store, lang)
    elif session["phase"] == "answer":
        draw_question(session, by_id, lang)
    else:
        draw_review(session, by_id, store, lang)
        if session["phase"] == "saved":
            draw_sessions(store, lang)


main()
