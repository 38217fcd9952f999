"""The Progress page's figures show what the statistics say: the calendar grid, bar axes from zero, quiz percentages."""
from datetime import date

from questions.study.progress import calendar_grid
from questions.study.progress_figures import RATING_COLOURS, bar_figure, calendar_figure, quiz_figure

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_calendar_figure_draws_the_grid():
    grid = calendar_grid({"2026-03-02": 4}, date(2026, 3, 4), weeks=2)
    heatmap = calendar_figure(grid, WEEKDAYS).data[0]
    assert [list(row) for row in heatmap.z] == grid["counts"]
    assert list(heatmap.x) == grid["week_starts"] and list(heatmap.y) == WEEKDAYS
    assert heatmap.zmin == 0 and heatmap.zmax == 4
    assert heatmap.customdata[0][1] == "2026-03-02"  # the hover names the day


def test_bar_axis_starts_at_zero_even_when_every_bar_is_zero():
    figure = bar_figure(["Again", "Hard"], [0, 0], "reviews", colours=[RATING_COLOURS[1], RATING_COLOURS[2]])
    assert list(figure.layout.yaxis.range) == [0, 1.1]
    assert list(figure.data[0].marker.color) == ["#d62728", "#ff7f0e"]
    assert list(bar_figure(["a"], [10], "reviews").layout.yaxis.range) == [0, 11.0]
    rates = bar_figure(["z-loss"], [0.5], "pass rate", y_range=[0, 1], percent=True)
    assert list(rates.layout.yaxis.range) == [0, 1] and rates.layout.yaxis.tickformat == ".0%"
    assert rates.layout.yaxis.title.text == "pass rate"


def test_quiz_figure_plots_percent_over_time():
    history = [{"taken_at": "2026-03-01T00:00:00+00:00", "percent": 75.0},
               {"taken_at": "2026-03-02T00:00:00+00:00", "percent": 100.0}]
    line = quiz_figure(history, "score %")
    assert list(line.data[0].y) == [75.0, 100.0] and list(line.layout.yaxis.range) == [0, 105]


def test_quiz_figure_time_axis_shows_dates_even_for_quizzes_minutes_apart():
    history = [{"taken_at": "2026-03-01T18:53:25.003500+00:00", "percent": 50.0},
               {"taken_at": "2026-03-01T18:58:02.000001+00:00", "percent": 80.0}]
    axis = quiz_figure(history, "score %").layout.xaxis
    assert axis.type == "date" and axis.tickformat == "%Y-%m-%d" and axis.dtick == 86_400_000
    assert axis.hoverformat == "%Y-%m-%d %H:%M"
    low, high = (str(end) for end in axis.range)
    assert low.startswith("2026-03-01 06:53") and high.startswith("2026-03-02 06:58")
