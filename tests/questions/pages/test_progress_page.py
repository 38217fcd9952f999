"""AppTest of the Progress page: its six charts and table from a profile's data, the JSON export / import round trip
with clear errors, the Anki download."""
from __future__ import annotations

import json
from datetime import timedelta

from fsrs import Rating

from questions.exercises import get_exercise
from questions.store import Store
from questions.store.exchange import export_profile
from questions.study.clock import now_utc
from questions.study.scheduler import preview
from questions.ui.i18n import t
from questions.ui.routes import PRACTICE, PROGRESS
from tests.helpers.apptest import run_ok


def test_every_chart_is_drawn_from_the_profiles_data(make_app, db_path):
    store, now = Store(db_path), now_utc()
    store.reviews.record("default", "routing-expert-choice", *preview(None, "routing-expert-choice", now)[Rating.Again])
    store.quizzes.record("default", "capacity", ["capacity-formula"], {"capacity-formula": [1]}, 1, 1,
                         taken_at=now - timedelta(hours=1))
    store.attempts.record("default", "z-loss", "fail", 2, 6, "def z_loss(x): ...")
    at = run_ok(make_app(lang="zh"))
    at.switch_page(PROGRESS.path)
    run_ok(at)
    assert at.title[0].value == t("progress.title", "zh")
    assert at.caption[0].value == t("progress.summary", "zh", reviews=1, today=1, cards=1, due=0)
    assert len(at.get("plotly_chart")) == 5  # calendar, forecast, retention, buttons, quiz scores
    assert len(at.dataframe) == 2 and at.dataframe[0].value.iloc[0, 0] == t("app.topic.routing", "zh")
    exercises_table = at.dataframe[1].value  # z-loss: attempted, best 2 of 6 tests, one run
    assert exercises_table.iloc[0].tolist() == [get_exercise("z-loss").title["zh"], t("progress.exercise_attempted", "zh"),
                                                "2/6", 1]


def test_an_empty_profile_says_so_and_still_draws_the_calendar(make_app):
    at = run_ok(make_app(lang="en"))
    at.switch_page(PROGRESS.path)
    run_ok(at)
    assert t("progress.no_data", "en") in [info.value for info in at.info]
    captions = [caption.value for caption in at.caption]
    assert t("progress.quiz_empty", "en") in captions and t("progress.exercises_empty", "en") in captions
    assert len(at.get("plotly_chart")) == 3  # calendar, forecast and buttons; no retention, quiz or exercise data


def test_progress_export_and_import_round_trip_with_clear_errors(make_app, db_path):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_3").click())
    at.switch_page(PROGRESS.path)
    run_ok(at)
    assert at.caption[0].value == t("progress.summary", "en", reviews=1, today=1, cards=1, due=0)
    exported = export_profile(Store(db_path), "default")
    assert [download.proto.label for download in at.get("download_button")] == [
        t("progress.export_json", "en"), t("progress.export_anki", "en", language="EN")]

    at.file_uploader(key="import_json").upload("broken.json", b"{not json", "application/json")
    run_ok(at)
    run_ok(at.button(key="import_button").click())
    assert "broken.json" in at.error[0].value and "not valid JSON at line 1" in at.error[0].value

    at.text_input(key="new_profile_name").input("bob")
    run_ok(at.button(key="create_profile").click())
    at.file_uploader(key="import_json").upload("progress.json", json.dumps(exported).encode(), "application/json")
    run_ok(at)
    run_ok(at.button(key="import_button").click())
    assert t("progress.import_done", "en", profile="bob") in at.success[0].value
    assert len(Store(db_path).reviews.logs("bob")) == 1
