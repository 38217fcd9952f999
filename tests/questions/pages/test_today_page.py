"""AppTest of the Today page (the landing page): today's counts without and with an interview date, the settings
saved per profile, Start running the plan's queue in Practice, and the cards the plan puts first, in both languages."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
from fsrs import Rating

from questions.languages import LANGUAGES
from questions.store import Store
from questions.study.clock import now_utc
from questions.study.plan import NEW_CARD_SECONDS
from questions.study.scheduler import preview
from questions.ui.i18n import t
from questions.ui.routes import PRACTICE
from tests.helpers.apptest import run_ok, texts
from tests.helpers.bank import FIXTURE_IDS


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_today_is_the_landing_page_and_shows_what_today_holds(make_app, lang):
    at = run_ok(make_app(lang=lang))
    assert at.title[0].value == t("today.title", lang)
    assert metrics(at) == {t("today.due", lang): "0", t("today.relearning", lang): "0",
                           t("today.new", lang): str(len(FIXTURE_IDS)),
                           t("today.minutes_left", lang): str(math.ceil(len(FIXTURE_IDS) * NEW_CARD_SECONDS / 60)),
                           t("today.days_left", lang): "—"}
    assert t("today.no_date", lang, cap=10, done=0) in texts(at)
    assert at.button(key="today_start").label == t("today.start", lang, count=len(FIXTURE_IDS))
    coverage = at.dataframe[0].value
    assert list(coverage[t("today.col_seen", lang)]) == ["0 / 3", "0 / 3"]
    assert list(coverage[t("today.col_topic", lang)]) == [t("app.topic.routing", lang), t("app.topic.capacity", lang)]
    assert t("today.fuzz_title", lang) in [expander.label for expander in at.expander]


def test_a_date_spreads_the_bank_and_is_saved_per_profile(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    today = now_utc().date()
    at.date_input(key="today_date").set_value(today + timedelta(days=3))
    run_ok(at)
    assert Store(db_path).plans.get("default")["interview_date"] == (today + timedelta(days=3)).isoformat()
    assert metrics(at)[t("today.days_left", "en")] == "3"
    assert metrics(at)[t("today.new", "en")] == "2"  # six questions over three days
    assert t("today.with_date", "en", cap=2, days=3, done=0) in texts(at)
    assert at.number_input(key="today_new").disabled  # the date decides the new cards
    assert not at.warning  # 2 new cards: about 3 minutes, within the default 30
    at.date_input(key="today_date").set_value(today + timedelta(days=1))
    at.number_input(key="today_minutes").set_value(5)
    run_ok(at)
    assert t("today.over_budget", "en", minutes=9, budget=5) in [warning.value for warning in at.warning]
    fresh = run_ok(make_app(lang="en"))  # another session of the same profile reads the saved plan
    assert fresh.date_input(key="today_date").value == today + timedelta(days=1)
    assert fresh.number_input(key="today_minutes").value == 5


def test_start_runs_the_plan_in_practice_due_cards_first(make_app, db_path):
    store = Store(db_path)
    store.reviews.record("default", "capacity-overflow",
                         *preview(None, "capacity-overflow", now_utc() - timedelta(hours=1))[Rating.Again])
    at = run_ok(make_app(lang="en"))
    assert metrics(at)[t("today.relearning", "en")] == "1"
    run_ok(at.button(key="today_start").click())
    assert at.title[0].value == t("practice.title", "en")
    assert at.session_state["practice_queue"] == "today"
    assert t("practice.queue_today", "en", count=len(FIXTURE_IDS)) in at.segmented_control(key="practice_queue").options
    shown = next(box.key for box in at.text_area if box.key.startswith("practice_answer_"))
    assert shown == "practice_answer_capacity-overflow"  # the card due again comes before the new ones
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_3").click())
    shown = next(box.key for box in at.text_area if box.key.startswith("practice_answer_"))
    assert shown == "practice_answer_routing-switch-k"  # then new cards: easy first, fundamentals-first topics


def test_start_clears_practice_filters_that_would_hide_the_plan(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.text_input(key="practice_search").input("no such words")
    run_ok(at)
    at.switch_page("questions/pages/today.py")
    run_ok(at)
    run_ok(at.button(key="today_start").click())
    assert at.text_input(key="practice_search").value == ""
    assert any(box.key.startswith("practice_answer_") for box in at.text_area)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_today_suggests_the_next_unsolved_exercise_on_the_path(make_app, db_path, lang):
    from questions.exercises import get_exercise
    from questions.exercises.path import PATH

    first, second = PATH[0].slug, PATH[1].slug
    at = run_ok(make_app(lang=lang))
    links = {link.proto.query_string: link.proto.label for link in at.get("page_link")}
    assert get_exercise(first).title[lang] in links[f"exercise={first}"]
    Store(db_path).attempts.record("default", first, "pass", 3, 3, "code")
    at = run_ok(at)
    links = {link.proto.query_string: link.proto.label for link in at.get("page_link")}
    assert f"exercise={first}" not in links and get_exercise(second).title[lang] in links[f"exercise={second}"]
