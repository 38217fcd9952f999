"""Mock interview page: N open questions across topics with a timer, then a review with self-grades fed to FSRS."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st
from fsrs import Rating

from questions.ui.i18n import t
from questions.ui import shell as common
from questions.study.scheduler import preview
from questions.store.db import StoreError

lang = common.lang()
profile = common.profile()
RATINGS = (1, 2, 3, 4)


# ---- callbacks ----------------------------------------------------------------------------------------------------------
def start(questions: list) -> None:
    topics = st.session_state.get("mock_topics") or None
    ids = common.draw_mock_questions(questions, int(st.session_state.get("mock_count", 5)), topics)
    if not ids:
        st.session_state["mock_message"] = t("mock.no_questions", common.lang())
        return
    st.session_state["mock"] = {
        "ids": ids, "hide_difficulty": bool(st.session_state.get("mock_hide_difficulty")), "index": 0,
        "started": time.time(), "answers": {}, "seconds": {}, "phase": "answer", "saved": None,
    }


def next_question() -> None:
    """Close the current question: keep its answer and time, start the clock of the next one (or go to review)."""
    state = st.session_state["mock"]
    qid = state["ids"][state["index"]]
    state["answers"][qid] = st.session_state.get(f"mock_answer_{qid}", "")
    state["seconds"][qid] = round(time.time() - state["started"], 1)
    state["index"] += 1
    state["started"] = time.time()
    if state["index"] >= len(state["ids"]):
        state["phase"] = "review"


def abandon() -> None:
    st.session_state.pop("mock", None)


def save(store) -> None:
    """Record the session and feed each self-grade to the scheduler (source "mock"), all in one transaction."""
    state = st.session_state["mock"]
    grades = {qid: st.session_state.get(f"mock_grade_{qid}") for qid in state["ids"]}
    if any(grade is None for grade in grades.values()):
        st.session_state["mock_message"] = t("mock.grade_all", common.lang())
        return
    now = common.now_utc()
    items = []
    user = common.profile()
    try:
        for qid in state["ids"]:
            card, log = preview(store.get_card(user, qid), qid, now)[Rating(int(grades[qid]))]
            items.append({"question_id": qid, "answer_text": state["answers"].get(qid) or None,
                          "seconds": state["seconds"].get(qid), "rating": int(grades[qid]), "card": card, "log": log})
        store.record_mock(user, items)
    except StoreError as exc:
        st.session_state["mock_error"] = str(exc)
        return
    state["phase"] = "saved"
    state["saved"] = {qid: int(grade) for qid, grade in grades.items()}


# ---- drawing ------------------------------------------------------------------------------------------------------------
def draw_setup(questions: list) -> None:
    st.caption(t("mock.intro", lang))
    open_topics = list(dict.fromkeys(q.topic for q in questions if q.type == "open"))
    count_col, topic_col = st.columns([1, 3])
    count_col.number_input(t("mock.count", lang), min_value=1, max_value=20, value=5, step=1, key="mock_count")
    topic_col.multiselect(t("mock.topics", lang), open_topics, key="mock_topics",
                          format_func=lambda topic: common.topic_label(topic, lang),
                          placeholder=t("app.topic_all", lang))
    st.checkbox(t("mock.hide_difficulty", lang), key="mock_hide_difficulty")
    st.button(t("mock.start", lang), key="mock_start", type="primary", on_click=start, args=(questions,))


@st.fragment(run_every=1)
def draw_timer(started: float) -> None:
    """Refreshes itself every second (a fragment rerun, not a page rerun)."""
    st.markdown(f"### {t('mock.elapsed', lang, elapsed=common.format_elapsed(time.time() - started))}")


def draw_question(state: dict, by_id: dict) -> None:
    qid = state["ids"][state["index"]]
    question = by_id[qid]
    total = len(state["ids"])
    head_col, timer_col = st.columns([4, 1], vertical_alignment="center")
    head_col.subheader(t("mock.question_n", lang, n=state["index"] + 1, total=total))
    with timer_col:
        draw_timer(state["started"])
    st.progress(state["index"] / total)
    with st.container(border=True):
        meta = common.topic_label(question.topic, lang)
        if not state["hide_difficulty"]:
            meta += " · " + t("mock.difficulty", lang, difficulty=common.difficulty_label(question.difficulty, lang))
        st.caption(meta)
        st.markdown(question.text("prompt", lang))
        st.text_area(t("mock.your_answer", lang), key=f"mock_answer_{qid}", height=220)
    last = state["index"] == total - 1
    with st.container(horizontal=True):
        st.button(t("mock.finish" if last else "mock.next", lang), key="mock_next", type="primary",
                  on_click=next_question)
        st.button(t("mock.abandon", lang), key="mock_abandon", on_click=abandon)


def draw_review(state: dict, by_id: dict, store) -> None:
    st.subheader(t("mock.review_title", lang))
    st.caption(t("mock.review_intro", lang))
    saved = state["phase"] == "saved"
    for number, qid in enumerate(state["ids"], start=1):
        question = by_id.get(qid)
        if question is None:
            continue
        with st.container(border=True):
            st.markdown(f"**{t('mock.question_n', lang, n=number, total=len(state['ids']))}** · "
                        f"{common.topic_label(question.topic, lang)} · "
                        f"{common.difficulty_label(question.difficulty, lang)} · "
                        f"{t('mock.time_spent', lang, elapsed=common.format_elapsed(state['seconds'].get(qid, 0)))}")
            st.markdown(question.text("prompt", lang))
            answer_col, reference_col = st.columns(2)
            with answer_col:
                st.markdown(f"**{t('mock.you_answered', lang)}**")
                answer = state["answers"].get(qid) or ""
                st.text(answer if answer.strip() else t("mock.no_answer", lang))
            with reference_col:
                st.markdown(f"**{t('mock.reference', lang)}**")
                st.markdown(question.text("answer", lang))
            points = question.key_point_texts(lang)
            if points:
                st.markdown(f"**{t('mock.key_points', lang)}**\n\n" + "\n".join(f"- {point}" for point in points))
            if question.pitfall is not None:
                st.warning(f"**{t('mock.pitfall', lang)}:** {question.text('pitfall', lang)}", icon="⚠️")
            st.segmented_control(t("mock.self_grade", lang), RATINGS, key=f"mock_grade_{qid}", disabled=saved,
                                 format_func=lambda rating: common.rating_label(rating, lang))
    if saved:
        ratings = ", ".join(common.rating_label(r, lang) for r in state["saved"].values())
        st.success(t("mock.saved", lang, count=len(state["saved"])) + "  \n" + t("mock.summary", lang, ratings=ratings),
                   icon="✅")
        st.button(t("mock.again", lang), key="mock_again", type="primary", on_click=abandon)
    else:
        st.button(t("mock.save", lang), key="mock_save", type="primary", on_click=save, args=(store,))


def draw_history(store) -> None:
    st.subheader(t("mock.history", lang))
    with common.store_errors():
        sessions = store.mock_sessions(profile)
    if not sessions:
        st.caption(t("mock.history_empty", lang))
        return
    rows = []
    for session in reversed(sessions[-50:]):
        ratings = [item["rating"] for item in session["items"] if item["rating"] is not None]
        seconds = sum(item["seconds"] or 0 for item in session["items"])
        rows.append({
            t("mock.col_when", lang): pd.Timestamp(session["taken_at"]).tz_convert(None).strftime("%Y-%m-%d %H:%M"),
            t("mock.col_questions", lang): len(session["items"]),
            t("mock.col_minutes", lang): round(seconds / 60, 1),
            t("mock.col_mean_rating", lang): round(sum(ratings) / len(ratings), 2) if ratings else None,
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def main() -> None:
    st.title(t("mock.title", lang))
    questions = common.bank()
    store = common.store()
    by_id = common.bank_index()["by_id"]
    if message := st.session_state.pop("mock_message", None):
        st.warning(message)
    if error := st.session_state.pop("mock_error", None):
        common.show_store_error(error)
    state = st.session_state.get("mock")
    if state is not None and any(qid not in by_id for qid in state["ids"]):
        state = st.session_state["mock"] = None  # the bank changed under a running interview: start over
    if state is None:
        draw_setup(questions)
        draw_history(store)
    elif state["phase"] == "answer":
        draw_question(state, by_id)
    else:
        draw_review(state, by_id, store)
        if state["phase"] == "saved":
            draw_history(store)


main()
