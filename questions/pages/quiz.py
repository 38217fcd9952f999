"""Quiz page: a multiple-choice set by topic and size, graded on submit, an explanation per option, score history;
wrong answers go back to review, and "Retry my misses" asks them again."""
from __future__ import annotations

import streamlit as st

from questions.study.clock import now_utc
from questions.study.misses import open_quiz_misses, quiz_misses, send_to_review
from questions.study.queues import topics_of
from questions.study.quiz import (
    choice_is_correct, choice_questions, display_order, grade_quiz, option_verdicts, quiz_history, quiz_pool,
    sample_quiz)
from questions.ui import shell
from questions.ui.cards import card_link
from questions.ui.history import draw_history
from questions.ui.i18n import t
from questions.ui.labels import topic_or_all_label

ALL_TOPICS = ""  # the topic selector's "all topics" entry


def start_quiz(choices: list, topic: str, size: int) -> None:
    st.session_state["quiz"] = sample_quiz(choices, topic, size)


def retry_misses(misses: list[str]) -> None:
    st.session_state["quiz"] = {"topic": None, "ids": list(misses), "result": None}


def new_quiz() -> None:
    st.session_state.pop("quiz", None)


def selected_options(question, key: str) -> list[int]:
    """The option indices chosen for one question, read from its widgets after the form was submitted."""
    if question.single_answer:
        choice = st.session_state.get(key)
        return [] if choice is None else [int(choice)]
    return [i for i in range(len(question.options)) if st.session_state.get(f"{key}_{i}")]


def draw_setup(choices: list, misses: list[str], lang: str) -> None:
    topic_col, size_col = st.columns([2, 1])
    topic = topic_col.selectbox(t("quiz.topic", lang), [ALL_TOPICS, *topics_of(choices)], key="quiz_topic",
                                format_func=lambda name: topic_or_all_label(name, lang))
    available = len(quiz_pool(choices, topic))
    size = size_col.number_input(t("quiz.size", lang), min_value=1, max_value=max(1, available),
                                 value=min(10, max(1, available)), step=1, key="quiz_size")
    with st.container(horizontal=True):
        st.button(t("quiz.start", lang), key="quiz_start", type="primary", disabled=not available,
                  on_click=start_quiz, args=(choices, topic, int(size)))
        if misses:
            st.button(t("quiz.retry", lang, count=len(misses)), key="quiz_retry", on_click=retry_misses,
                      args=(misses,), icon=":material/replay:", help=t("quiz.retry_help", lang))


def draw_choices(question, number: int, lang: str) -> None:
    """One question of the form: a radio for a single answer, checkboxes when several options are correct."""
    key = f"quiz_answer_{question.id}"
    st.markdown(f"**{t('quiz.question_n', lang, n=number)}** · {question.text('prompt', lang)}")
    labels = [option.text.get(lang) for option in question.options]
    order = display_order(question)  # values stay the bank's option indices
    if question.single_answer:
        st.radio(t("quiz.pick_one", lang), order, index=None, key=key, format_func=labels.__getitem__)
    else:
        st.caption(t("quiz.pick_many", lang))
        for i in order:
            st.checkbox(labels[i], key=f"{key}_{i}")
    st.divider()


def draw_form(state: dict, by_id: dict, store, lang: str) -> None:
    questions = [by_id[qid] for qid in state["ids"] if qid in by_id]
    with st.form("quiz_form"):
        for number, question in enumerate(questions, start=1):
            draw_choices(question, number, lang)
        submitted = st.form_submit_button(t("quiz.submit", lang), type="primary")
    if submitted:
        result = grade_quiz(questions, {q.id: selected_options(q, f"quiz_answer_{q.id}") for q in questions})
        with shell.store_errors():
            store.quizzes.record(shell.profile(), state["topic"], [q.id for q in questions], result["answers"],
                                 result["score"], result["total"])
            state["sent"] = send_to_review(store, shell.profile(), quiz_misses(questions, result["answers"]),
                                           "quiz", now_utc())
        state["result"] = result
        st.rerun()


def draw_graded_question(question, number: int, chosen: list[int], lang: str) -> None:
    """One graded question: the verdict, then every option marked and explained."""
    verdicts = option_verdicts(question, chosen)
    right = choice_is_correct(question.correct_option_indices(), chosen)
    with st.container(border=True):
        verdict_text = t("quiz.correct", lang) if right else t("quiz.wrong", lang)
        st.markdown(f"{'✅' if right else '❌'} **{t('quiz.question_n', lang, n=number)} · {verdict_text}**  \n"
                    f"{question.text('prompt', lang)}")
        for verdict in (verdicts[i] for i in display_order(question)):
            option = question.options[verdict.index]
            notes = [t("quiz.your_choice", lang)] if verdict.chosen else []
            notes += [t("quiz.correct_option", lang)] if verdict.correct else []
            suffix = f" *({', '.join(notes)})*" if notes else ""
            st.markdown(f"{verdict.mark} {option.text.get(lang)}{suffix}  \n"
                        f"&nbsp;&nbsp;&nbsp;&nbsp;{option.explanation.get(lang)}")
        card_link(question.id, lang)


def draw_result(state: dict, by_id: dict, lang: str) -> None:
    result = state["result"]
    st.success(t("quiz.score", lang, score=result["score"], total=result["total"]), icon="🏁")
    if state.get("sent"):
        st.info(t("quiz.sent_back", lang, count=len(state["sent"])), icon="↩️")
    for number, qid in enumerate(state["ids"], start=1):
        if qid in by_id:
            draw_graded_question(by_id[qid], number, result["answers"].get(qid, []), lang)
    st.button(t("quiz.new", lang), key="quiz_new", on_click=new_quiz, type="primary")


def draw_scores(store, lang: str) -> None:
    """The profile's past quiz scores."""
    with shell.store_errors():
        rows = quiz_history(store.quizzes.results(shell.profile()))
    draw_history("quiz", lang, rows, lambda row: {
        t("quiz.col_topic", lang): topic_or_all_label(row["topic"], lang),
        t("quiz.col_score", lang): f"{row['score']} / {row['total']}",
        t("quiz.col_percent", lang): row["percent"],
    })


def main() -> None:
    lang = shell.lang()
    st.title(t("quiz.title", lang))
    st.caption(t("quiz.intro", lang))
    choices = choice_questions(shell.bank())
    store = shell.store()
    by_id = shell.bank_index()["by_id"]
    if not choices:
        st.info(t("quiz.no_questions", lang))
    state = st.session_state.get("quiz")
    if state is None:
        if choices:
            with shell.store_errors():
                misses = open_quiz_misses(store.quizzes.results(shell.profile()), by_id)
            draw_setup(choices, misses, lang)
    elif state["result"] is None:
        draw_form(state, by_id, store, lang)
    else:
        draw_result(state, by_id, lang)
    draw_scores(store, lang)


main()
