"""Today page (the landing page): the plan to the interview date, what today holds, coverage by topic, one Start."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from questions.exercises import get_exercise
from questions.exercises.path import next_exercise
from questions.exercises.status import SOLVED, exercise_status
from questions.store import StoreError
from questions.study.clock import now_utc
from questions.study.plan import PlanSettings, TodayPlan, plan_for
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.labels import topic_label
from questions.ui.routes import EXERCISE_PARAM, EXERCISES, PRACTICE

SETTING_KEYS = ("today_date", "today_minutes", "today_new", "today_reviews")
PRACTICE_FILTER_KEYS = ("practice_topics", "practice_tags", "practice_difficulty", "practice_search")


# ---- callbacks -------------------------------------------------------------------------------------------------------
def save_settings(store) -> None:
    """Save the plan settings of the current profile as soon as one of them changes."""
    day = st.session_state.get("today_date")
    try:
        store.plans.set(shell.profile(), day.isoformat() if day else None, int(st.session_state["today_minutes"]),
                        int(st.session_state["today_new"]), int(st.session_state["today_reviews"]))
    except StoreError as exc:
        st.session_state["today_error"] = str(exc)


def load_settings(settings: PlanSettings) -> None:
    """Put the profile's stored settings into the widgets (once per profile: the widgets then keep them)."""
    if st.session_state.get("today_profile") == shell.profile():
        return
    st.session_state["today_profile"] = shell.profile()
    values = (settings.interview_date, settings.daily_minutes, settings.new_per_day, settings.review_limit)
    for key, value in zip(SETTING_KEYS, values):
        st.session_state[key] = value


def start_practice() -> None:
    """Open Practice on the Today queue, without filters that would hide part of it."""
    for key in PRACTICE_FILTER_KEYS:
        st.session_state.pop(key, None)
    st.session_state["practice_queue"] = "today"
    st.session_state["practice_skipped"] = set()
    st.session_state["practice_done"] = set()


# ---- drawing ---------------------------------------------------------------------------------------------------------
def draw_settings(store, lang: str) -> None:
    today = now_utc().astimezone(shell.browser_zone()).date()
    date_col, minutes_col, new_col, reviews_col = st.columns([1.4, 1, 1, 1], vertical_alignment="bottom")
    earliest = min(today, st.session_state.get("today_date") or today)  # a saved date may have passed
    date_col.date_input(t("today.interview_date", lang), key="today_date", min_value=earliest,
                        max_value=today + timedelta(days=3650), format="YYYY-MM-DD", on_change=save_settings,
                        args=(store,), help=t("today.interview_date_help", lang))
    minutes_col.number_input(t("today.minutes", lang), min_value=5, max_value=600, step=5, key="today_minutes",
                             on_change=save_settings, args=(store,))
    no_date = st.session_state.get("today_date") is None
    new_col.number_input(t("today.new_per_day", lang), min_value=0, max_value=500, step=1, key="today_new",
                         on_change=save_settings, args=(store,), disabled=not no_date,
                         help=t("today.limits_help", lang))
    reviews_col.number_input(t("today.review_limit", lang), min_value=0, max_value=9999, step=10,
                             key="today_reviews", on_change=save_settings, args=(store,),
                             help=t("today.limits_help", lang))


def draw_counts(plan: TodayPlan, lang: str) -> None:
    """Due / relearning / new / minutes / days left, then the one Start."""
    values = [("today.due", len(plan.due_ids) + len(plan.second_ids)), ("today.relearning", plan.relearning_count),
              ("today.new", len(plan.new_ids)), ("today.minutes_left", plan.minutes),
              ("today.days_left", "—" if plan.days_left is None else plan.days_left)]
    for column, (key, value) in zip(st.columns(len(values)), values):
        column.metric(t(key, lang), value, border=True)
    if plan.days_left is None:
        st.caption(t("today.no_date", lang, cap=plan.cap, done=plan.new_done))
    else:
        st.caption(t("today.with_date", lang, cap=plan.cap, days=max(plan.days_left, 1), done=plan.new_done))
    if plan.over_budget:
        st.warning(t("today.over_budget", lang, minutes=plan.minutes,
                     budget=st.session_state.get("today_minutes")), icon=":material/schedule:")
    if plan.queue:
        if st.button(t("today.start", lang, count=len(plan.queue)), key="today_start", type="primary",
                     on_click=start_practice, icon=":material/play_arrow:"):
            st.switch_page(PRACTICE.path)
    else:
        st.success(t("today.all_done", lang), icon="✅")


def draw_next_exercise(attempts: list[dict], lang: str) -> None:
    """The next exercise on the path (the first not yet solved), with the topic it drills."""
    solved = {slug for slug, status in exercise_status(attempts).items() if status["state"] == SOLVED}
    step = next_exercise(solved)
    if step is None:
        st.caption(t("today.exercises_all_solved", lang))
        return
    title = get_exercise(step.slug).text("title", lang)
    st.page_link(EXERCISES.path, label=t("today.next_exercise", lang, title=title, topic=topic_label(step.topic, lang)),
                 query_params={EXERCISE_PARAM: step.slug}, icon=":material/code:")


def draw_coverage(plan: TodayPlan, lang: str) -> None:
    st.subheader(t("today.coverage", lang))
    rows = [{t("today.col_topic", lang): topic_label(row["topic"], lang),
             t("today.col_seen", lang): f"{row['seen']} / {row['questions']}",
             t("today.col_coverage", lang): round(100 * row["seen"] / row["questions"]),
             t("today.col_weak", lang): "⚠️" if row["weak"] else ""} for row in plan.coverage]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        t("today.col_coverage", lang): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d%%")})
    if plan.weak_topics:
        topics = t("today.separator", lang).join(topic_label(topic, lang) for topic in plan.weak_topics)
        st.caption(t("today.weak", lang, topics=topics))


def main() -> None:
    lang, questions, store = shell.study_page("today")
    if error := st.session_state.pop("today_error", None):
        shell.show_store_error(error)
    with shell.store_errors():
        load_settings(PlanSettings.from_stored(store.plans.get(shell.profile())))
        draw_settings(store, lang)
        plan = plan_for(store, shell.profile(), questions, now_utc(), shell.browser_zone())
    draw_counts(plan, lang)
    with shell.store_errors():
        draw_next_exercise(store.attempts.list(shell.profile()), lang)
    draw_coverage(plan, lang)
    with st.expander(t("today.fuzz_title", lang), icon=":material/shuffle:"):
        st.markdown(t("today.fuzz_body", lang))


main()
