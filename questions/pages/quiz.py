"""Quiz page: a multiple-choice set by topic and size, graded on submit, an explanation per option, score history."""
from __future__ import annotations

import random

import pandas as pd
import streamlit as st

from questions.ui.i18n import t
from questions.ui import shell as common

lang = common.lang()
profile = common.profile()
ALL_TOPICS = ""  # the topic selector's "all topics" entry


def start_quiz(choice_questions: list, topic: str, size: int) -> None:
    pool = [q.id for q in choice_questions if not topic or q.topic == topic]
    ids = random.Random().sample(pool, min(size, len(pool)))
    st.session_state["quiz"] = {"topic": topic or None, "ids": ids, "result": None}


def new_quiz() -> None:
    st.session_state.pop("quiz", None)


def selected_options(question, key: str) -> list[int]:
    """The option indices chosen for one question, read from its widgets after the form was submitted."""
    if len(question.correct_option_indices()) == 1:
        choice = st.session_state.get(key)
        return [] if choice is None else [int(choice)]
    return [i for i in range(len(question.options)) if st.session_state.get(f"{key}_{i}")]


def draw_setup(choice_questions: list) -> None:
    topics = list(dict.fromkeys(q.topic for q in choice_questions))
    topic_col, size_col = st.columns([2, 1])
    topic = topic_col.selectbox(t("quiz.topic", lang), [ALL_TOPICS, *topics], key="quiz_topic",
                                format_func=lambda name: common.topic_label(name, lang) if name
                                else t("app.topic_all", lang))
    available = sum(1 for q in choice_questions if not topic or q.topic == topic)
    size = size_col.number_input(t("quiz.size", lang), min_value=1, max_value=max(1, available),
                                 value=min(10, max(1, available)), step=1, key="quiz_size")
    st.button(t("quiz.start", lang), key="quiz_start", type="primary", disabled=not available,
              on_click=start_quiz, args=(choice_questions, topic, int(size)))


def draw_form(state: dict, by_id: dict, store) -> None:
    questions = [by_id[qid] for qid in state["ids"] if qid in by_id]
    with st.form("quiz_form"):
        for number, question in enumerate(questions, start=1):
            key = f"quiz_answer_{question.id}"
            st.markdown(f"**{t('quiz.question_n', lang, n=number)}** · {question.text('prompt', lang)}")
            labels = [option.text.get(lang) for option in question.options]
            if len(question.correct_option_indices()) == 1:
                st.radio(t("quiz.pick_one", lang), range(len(labels)), index=None, key=key,
                         format_func=labels.__getitem__)
            else:
                st.caption(t("quiz.pick_many", lang))
                for i, label in enumerate(labels):
                    st.checkbox(label, key=f"{key}_{i}")
            st.divider()
        submitted = st.form_submit_button(t("quiz.submit", lang), type="primary")
    if submitted:
        answers = {q.id: selected_options(q, f"quiz_answer_{q.id}") for q in questions}
        score = sum(common.choice_is_correct(q.correct_option_indices(), answers[q.id]) for q in questions)
        with common.store_errors():
            store.record_quiz(profile, state["topic"], [q.id for q in questions], answers, score, len(questions))
        state["result"] = {"answers": answers, "score": score, "total": len(questions)}
        st.rerun()


def draw_result(state: dict, by_id: dict) -> None:
    result = state["result"]
    st.success(t("quiz.score", lang, score=result["score"], total=result["total"]), icon="🏁")
    for number, qid in enumerate(state["ids"], start=1):
        question = by_id.get(qid)
        if question is None:
            continue
        chosen = set(result["answers"].get(qid, []))
        right = common.choice_is_correct(question.correct_option_indices(), chosen)
        with st.container(border=True):
            verdict = t("quiz.correct", lang) if right else t("quiz.wrong", lang)
            st.markdown(f"{'✅' if right else '❌'} **{t('quiz.question_n', lang, n=number)} · {verdict}**  \n"
                        f"{question.text('prompt', lang)}")
            for i, option in enumerate(question.options):
                mark = "✅" if option.correct else ("❌" if i in chosen else "▫️")
                notes = [t("quiz.your_choice", lang)] if i in chosen else []
                notes += [t("quiz.correct_option", lang)] if option.correct else []
                suffix = f" *({', '.join(notes)})*" if notes else ""
                st.markdown(f"{mark} {option.text.get(lang)}{suffix}  \n"
                            f"&nbsp;&nbsp;&nbsp;&nbsp;{option.explanation.get(lang)}")
    st.button(t("quiz.new", lang), key="quiz_new", on_click=new_quiz, type="primary")


def draw_history(store) -> None:
    st.subheader(t("quiz.history", lang))
    with common.store_errors():
        results = store.quiz_results(profile)
    if not results:
        st.caption(t("quiz.history_empty", lang))
        return
    rows = [{
        t("quiz.col_when", lang): pd.Timestamp(result["taken_at"]).tz_convert(None).strftime("%Y-%m-%d %H:%M"),
        t("quiz.col_topic", lang): common.topic_label(result["topic"], lang) if result["topic"]
        else t("app.topic_all", lang),
        t("quiz.col_score", lang): f"{result['score']} / {result['total']}",
        t("quiz.col_percent", lang): round(100 * result["score"] / result["total"]) if result["total"] else 0,
    } for result in reversed(results[-50:])]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def main() -> None:
    st.title(t("quiz.title", lang))
    st.caption(t("quiz.intro", lang))
    questions = common.bank()
    store = common.store()
    by_id = common.bank_index()["by_id"]
    choice_questions = [q for q in questions if q.type == "choice"]
    if not choice_questions:
        st.info(t("quiz.no_questions", lang))
    state = st.session_state.get("quiz")
    if state is None:
        if choice_questions:
            draw_setup(choice_questions)
    elif state["result"] is None:
        draw_form(state, by_id, store)
    else:
        draw_result(state, by_id)
    draw_history(store)


main()
