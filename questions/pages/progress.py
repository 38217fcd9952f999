"""Progress page (Plotly): review calendar, 30-day due forecast, retention, buttons, weak topics, quiz and exercise
results; progress export / import as JSON and the bank as Anki CSV."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from questions.study import progress as stats
from questions.ui.i18n import t
from questions.ui import shell as common
from questions.store.db import ProgressFormatError, StoreError

lang = common.lang()
profile = common.profile()
CALENDAR_WEEKS = 26
RATING_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#2ca02c", 4: "#1f77b4"}


def _layout(figure: go.Figure, height: int = 280) -> go.Figure:
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False)
    return figure


def calendar_figure(calendar: dict[str, int], today: date) -> go.Figure:
    """A GitHub-style heatmap: one column per week (Monday first), one row per weekday, the last CALENDAR_WEEKS weeks."""
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=CALENDAR_WEEKS - 1)
    weekdays = [t(f"progress.weekday_{n}", lang) for n in range(7)]
    counts = [[None] * CALENDAR_WEEKS for _ in range(7)]  # [weekday, week]
    labels = [[""] * CALENDAR_WEEKS for _ in range(7)]
    for offset in range((today - first_monday).days + 1):
        day = first_monday + timedelta(days=offset)
        week, weekday = divmod(offset, 7)
        counts[weekday][week] = calendar.get(day.isoformat(), 0)
        labels[weekday][week] = day.isoformat()
    week_starts = [(first_monday + timedelta(weeks=week)).strftime("%m-%d") for week in range(CALENDAR_WEEKS)]
    figure = go.Figure(go.Heatmap(
        z=counts, x=week_starts, y=weekdays, customdata=labels, xgap=3, ygap=3, showscale=False,
        colorscale=[[0, "#ebedf0"], [0.01, "#c6e48b"], [0.5, "#40c463"], [1, "#216e39"]], zmin=0,
        zmax=max([1, *calendar.values()]), hovertemplate="%{customdata}: %{z}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(type="category", tickangle=0, nticks=9)
    return _layout(figure, height=230)


def bar_figure(x: list, y: list, y_title: str, colours=None, y_range=None, percent: bool = False) -> go.Figure:
    figure = go.Figure(go.Bar(x=x, y=y, marker_color=colours))
    # An all-zero chart would get a -1..1 axis: keep counts from 0 up.
    figure.update_yaxes(title_text=y_title, range=y_range or [0, max([1, *y]) * 1.1], rangemode="tozero",
                        tickformat=".0%" if percent else None)
    return _layout(figure)


def draw_charts(summary: dict, today: date) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.calendar", lang))
        st.plotly_chart(calendar_figure(summary["calendar"], today), key="chart_calendar")
    with right:
        st.subheader(t("progress.forecast", lang))
        days, due = zip(*summary["forecast"]) if summary["forecast"] else ((), ())
        st.plotly_chart(bar_figure(list(days), list(due), t("progress.forecast_axis", lang)), key="chart_forecast")

    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.retention", lang))
        retention = summary["retention_by_topic"]
        if retention:
            st.plotly_chart(bar_figure([common.topic_label(topic, lang) for topic in retention],
                                       [entry["retention"] for entry in retention.values()],
                                       t("progress.retention_axis", lang), y_range=[0, 1], percent=True),
                            key="chart_retention")
        else:
            st.caption(t("progress.calendar_empty", lang))
    with right:
        st.subheader(t("progress.buttons", lang))
        buttons = summary["answer_buttons"]
        st.plotly_chart(bar_figure([common.rating_label(rating, lang) for rating in buttons], list(buttons.values()),
                                   t("progress.buttons_axis", lang),
                                   colours=[RATING_COLOURS[rating] for rating in buttons]), key="chart_buttons")

    left, right = st.columns(2)
    with left:
        st.subheader(t("progress.weakest", lang))
        weakest = summary["weakest_topics"]
        if weakest:
            st.dataframe(pd.DataFrame([{
                t("progress.topic", lang): common.topic_label(row["topic"], lang),
                t("progress.retention_axis", lang): f"{row['retention']:.0%}",
                t("progress.count", lang): row["reviews"],
            } for row in weakest]), hide_index=True, width="stretch")
        else:
            st.caption(t("progress.weakest_empty", lang))
    with right:
        st.subheader(t("progress.quiz_scores", lang))
        history = summary["quiz_history"]
        if history:
            figure = go.Figure(go.Scatter(x=[row["taken_at"] for row in history], y=[row["percent"] for row in history],
                                          mode="lines+markers"))
            figure.update_yaxes(title_text=t("progress.score_percent", lang), range=[0, 105])
            st.plotly_chart(_layout(figure), key="chart_quiz")
        else:
            st.caption(t("progress.quiz_empty", lang))

    st.subheader(t("progress.exercises", lang))
    rates = summary["exercise_pass_rates"]
    if rates:
        st.plotly_chart(bar_figure(list(rates), [entry["pass_rate"] for entry in rates.values()],
                                   t("progress.pass_rate", lang), y_range=[0, 1], percent=True),
                        key="chart_exercises")
    else:
        st.caption(t("progress.exercises_empty", lang))


def draw_data(store, questions: list) -> None:
    st.subheader(t("progress.data", lang))
    now = common.now_utc()
    export_col, anki_col = st.columns(2)
    with export_col, common.store_errors():
        st.download_button(t("progress.export_json", lang), data=stats.export_progress_json(store, profile),
                           file_name=stats.export_file_name(profile, now), mime="application/json",
                           key="export_json", icon="⬇️", on_click="ignore")
    with anki_col:
        st.download_button(t("progress.export_anki", lang, language=lang.upper()), data=_anki_csv(lang),
                           file_name=stats.anki_file_name(lang), mime="text/csv", key="export_anki", icon="⬇️",
                           help=t("progress.anki_help", lang), on_click="ignore")
    uploaded = st.file_uploader(t("progress.import_json", lang), type=["json"], key="import_json",
                                help=t("progress.import_help", lang))
    if uploaded is not None and st.button(t("progress.import_button", lang, profile=profile), key="import_button"):
        try:
            counts = stats.import_progress_json(store, profile, uploaded.getvalue())
        except ProgressFormatError as exc:
            st.error(t("progress.import_failed", lang, name=uploaded.name, error=exc))
        except StoreError as exc:
            common.show_store_error(str(exc))
        else:
            st.success(t("progress.import_done", lang, profile=profile) + " " + t(
                "progress.import_summary", lang, cards=counts["cards"], reviews=counts["review_log"],
                quizzes=counts["quiz_results"], mocks=counts["mock_sessions"]))


@st.cache_data(show_spinner=False, max_entries=4)
def _anki_csv_cached(language: str, path_text: str, signature: tuple) -> str:
    return stats.anki_csv(common.bank_result().questions, language)


def _anki_csv(language: str) -> str:
    path = common.bank_path()
    return _anki_csv_cached(language, str(path), common.bank_signature(path))


def main() -> None:
    st.title(t("progress.title", lang))
    questions = common.bank()
    store = common.store()
    now = common.now_utc()
    zone = common.browser_zone()
    with common.store_errors():
        summary = stats.progress_summary(store, profile, questions, now, tz=zone)
    st.caption(t("progress.summary", lang, reviews=summary["total_reviews"], cards=summary["cards_seen"],
                 due=summary["due_now"]))
    if not summary["total_reviews"]:
        st.info(t("progress.no_data", lang))
    draw_charts(summary, now.astimezone(zone).date())
    st.divider()
    draw_data(store, questions)


main()
