"""Progress page (Plotly): review calendar, 30-day due forecast, retention, buttons, weak topics, quiz and exercise
results; progress export / import as JSON and the bank as Anki CSV."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from questions.exercises import exercises
from questions.exercises.status import exercise_status, status_rows
from questions.store import ProgressFormatError, Store, StoreError
from questions.store.anki import anki_csv, anki_file_name
from questions.store.exchange import export_file_name, export_json, import_json
from questions.study.clock import now_utc
from questions.study.progress import calendar_grid, progress_summary
from questions.study.progress_figures import RATING_COLOURS, bar_figure, calendar_figure, quiz_figure
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.labels import exercise_status_columns, rating_label, topic_label


def draw_activity(summary: dict, today: date, lang: str) -> None:
    """The review calendar and the due forecast, side by side."""
    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.calendar", lang))
        weekdays = [t(f"progress.weekday_{n}", lang) for n in range(7)]
        st.plotly_chart(calendar_figure(calendar_grid(summary["calendar"], today), weekdays), key="chart_calendar")
    with right:
        st.subheader(t("progress.forecast", lang))
        days = [day for day, _count in summary["forecast"]]
        due = [count for _day, count in summary["forecast"]]
        st.plotly_chart(bar_figure(days, due, t("progress.forecast_axis", lang)), key="chart_forecast")


def draw_recall(summary: dict, lang: str) -> None:
    """Retention by topic and the answer buttons pressed, side by side."""
    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.retention", lang))
        retention = summary["retention_by_topic"]
        if retention:
            st.plotly_chart(bar_figure([topic_label(topic, lang) for topic in retention],
                                       [entry["retention"] for entry in retention.values()],
                                       t("progress.retention_axis", lang), y_range=[0, 1], percent=True),
                            key="chart_retention")
        else:
            st.caption(t("progress.calendar_empty", lang))
    with right:
        st.subheader(t("progress.buttons", lang))
        buttons = summary["answer_buttons"]
        st.plotly_chart(bar_figure([rating_label(rating, lang) for rating in buttons], list(buttons.values()),
                                   t("progress.buttons_axis", lang),
                                   colours=[RATING_COLOURS[rating] for rating in buttons]), key="chart_buttons")


def draw_weakest_and_quizzes(summary: dict, lang: str) -> None:
    """The weakest topics as a table and the quiz scores over time, side by side."""
    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.weakest", lang))
        if summary["weakest_topics"]:
            st.dataframe(pd.DataFrame([{
                t("progress.topic", lang): topic_label(row["topic"], lang),
                t("progress.retention_axis", lang): f"{row['retention']:.0%}",
                t("progress.count", lang): row["reviews"],
            } for row in summary["weakest_topics"]]), hide_index=True, width="stretch")
        else:
            st.caption(t("progress.weakest_empty", lang))
    with right:
        st.subheader(t("progress.quiz_scores", lang))
        if summary["quiz_history"]:
            st.plotly_chart(quiz_figure(summary["quiz_history"], t("progress.score_percent", lang)), key="chart_quiz")
        else:
            st.caption(t("progress.quiz_empty", lang))


def draw_exercises(store: Store, profile: str, lang: str) -> None:
    """Each attempted exercise: solved ✓ or attempted, the best run's score, the number of runs."""
    st.subheader(t("progress.exercises", lang))
    with shell.store_errors():
        rows = status_rows(exercise_status(store.attempts.list(profile)), exercises(), lang)
    if not rows:
        st.caption(t("progress.exercises_empty", lang))
        return
    st.dataframe(pd.DataFrame(exercise_status_columns(rows, lang)), hide_index=True, key="table_exercises")


@st.cache_data(show_spinner=False, max_entries=4)
def _anki_csv_cached(language: str, path_text: str, signature: tuple) -> str:
    """The Anki CSV of one bank version (path and file signature key the cache) in one language."""
    return anki_csv(shell.bank_result().questions, language, t("progress.anki_key_points", language))


def anki_export(language: str) -> str:
    path = shell.bank_path()
    return _anki_csv_cached(language, str(path), shell.bank_signature(path))


def draw_downloads(store: Store, profile: str, lang: str) -> None:
    """The profile's progress as JSON and the bank as Anki CSV."""
    export_col, anki_col = st.columns(2)
    with export_col, shell.store_errors():
        st.download_button(t("progress.export_json", lang), data=export_json(store, profile),
                           file_name=export_file_name(profile, now_utc()), mime="application/json",
                           key="export_json", icon="⬇️", on_click="ignore")
    with anki_col:
        st.download_button(t("progress.export_anki", lang, language=lang.upper()), data=anki_export(lang),
                           file_name=anki_file_name(lang), mime="text/csv", key="export_anki", icon="⬇️",
                           help=t("progress.anki_help", lang), on_click="ignore")


def draw_import(store: Store, profile: str, lang: str) -> None:
    """Upload an exported JSON file and replace the profile's progress with it."""
    uploaded = st.file_uploader(t("progress.import_json", lang), type=["json"], key="import_json",
                                help=t("progress.import_help", lang))
    if uploaded is None or not st.button(t("progress.import_button", lang, profile=profile), key="import_button"):
        return
    try:
        counts = import_json(store, profile, uploaded.getvalue())
    except ProgressFormatError as exc:
        st.error(t("progress.import_failed", lang, name=uploaded.name, error=exc))
    except StoreError as exc:
        shell.show_store_error(str(exc))
    else:
        st.success(t("progress.import_done", lang, profile=profile) + " " + t(
            "progress.import_summary", lang, cards=counts["cards"], reviews=counts["review_log"],
            quizzes=counts["quiz_results"], mocks=counts["mock_sessions"]))


def main() -> None:
    lang, profile = shell.lang(), shell.profile()
    st.title(t("progress.title", lang))
    questions = shell.bank()
    store = shell.store()
    now, zone = now_utc(), shell.browser_zone()
    with shell.store_errors():
        summary = progress_summary(store, profile, questions, now, tz=zone)
    st.caption(t("progress.summary", lang, reviews=summary["total_reviews"], today=summary["reviews_today"],
                 cards=summary["cards_seen"], due=summary["due_now"]))
    if not summary["total_reviews"]:
        st.info(t("progress.no_data", lang))
    draw_activity(summary, now.astimezone(zone).date(), lang)
    draw_recall(summary, lang)
    draw_weakest_and_quizzes(summary, lang)
    draw_exercises(store, profile, lang)
    st.divider()
    st.subheader(t("progress.data", lang))
    draw_downloads(store, profile, lang)
    draw_import(store, profile, lang)


main()
