"""The Progress page's Plotly figures, built from the statistics of progress.py and the labels to show (no Streamlit)."""
from __future__ import annotations

from datetime import timedelta
from typing import Optional, Sequence

import plotly.graph_objects as go

from questions.store.values import read_time

RATING_COLOURS = {1: "#d62728", 2: "#ff7f0e", 3: "#2ca02c", 4: "#1f77b4"}  # Again, Hard, Good, Easy
CALENDAR_COLOURS = [[0, "#ebedf0"], [0.01, "#c6e48b"], [0.5, "#40c463"], [1, "#216e39"]]  # GitHub's greens
CHART_HEIGHT = 280
CALENDAR_HEIGHT = 230
DAY_MS = 86_400_000  # one day, Plotly's date-axis unit
QUIZ_DAILY_TICKS_DAYS = 10  # quiz history shorter than this gets one date tick a day


def _layout(figure: go.Figure, height: int = CHART_HEIGHT) -> go.Figure:
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False)
    return figure


def calendar_figure(grid: dict, weekday_labels: Sequence[str]) -> go.Figure:
    """A heatmap of `calendar_grid`'s result: weeks left to right, weekdays top (Monday) to bottom."""
    figure = go.Figure(go.Heatmap(
        z=grid["counts"], x=grid["week_starts"], y=list(weekday_labels), customdata=grid["dates"], xgap=3, ygap=3,
        showscale=False, colorscale=CALENDAR_COLOURS, zmin=0, zmax=grid["max_count"],
        hovertemplate="%{customdata}: %{z}<extra></extra>"))
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(type="category", tickangle=0, nticks=9)
    return _layout(figure, height=CALENDAR_HEIGHT)


def bar_figure(x: Sequence, y: Sequence[float], y_title: str, colours: Optional[Sequence[str]] = None,
               y_range: Optional[Sequence[float]] = None, percent: bool = False) -> go.Figure:
    """Bars of y over x; without `y_range` the axis runs from 0 to a little above the tallest bar."""
    figure = go.Figure(go.Bar(x=list(x), y=list(y), marker_color=colours))
    # An all-zero chart would get a -1..1 axis: keep counts from 0 up.
    figure.update_yaxes(title_text=y_title, range=y_range or [0, max([1, *y]) * 1.1], rangemode="tozero",
                        tickformat=".0%" if percent else None)
    return _layout(figure)


def quiz_figure(history: Sequence[dict], y_title: str) -> go.Figure:
    """Quiz scores (percent) over time, one marker per quiz, from `quiz_score_history`.

    The time axis is labelled with dates (UTC, as the history table), one tick a day over a short span: Plotly's own
    ticks zoom in to seconds when the quizzes were taken minutes apart. The hover gives the minute."""
    times = [read_time(row["taken_at"]) for row in history]
    figure = go.Figure(go.Scatter(x=times, y=[row["percent"] for row in history], mode="lines+markers"))
    figure.update_yaxes(title_text=y_title, range=[0, 105])
    if times:
        short = max(times) - min(times) < timedelta(days=QUIZ_DAILY_TICKS_DAYS)
        figure.update_xaxes(type="date", tickformat="%Y-%m-%d", hoverformat="%Y-%m-%d %H:%M",
                            range=[min(times) - timedelta(hours=12), max(times) + timedelta(hours=12)],
                            dtick=DAY_MS if short else None, nticks=None if short else 8)
    return _layout(figure)
