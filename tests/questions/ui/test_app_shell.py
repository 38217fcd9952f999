"""AppTest of the app shell: every page renders in both languages, the language switch and the locale default, the
broken-bank warning, the corrupt-database error, local profiles kept apart, and the logged-in profile."""
from __future__ import annotations

import pytest

from questions.languages import LANGUAGES
from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import BROWSE, MOCK, PAGES, PRACTICE, PROGRESS, QUIZ, TODAY
from tests.helpers.apptest import run_ok
from tests.helpers.bank import FIXTURE_BANK, FIXTURE_IDS, write_bank

OWN_TITLES = {TODAY: "today.title", PRACTICE: "practice.title", QUIZ: "quiz.title", MOCK: "mock.title",
              BROWSE: "browse.title", PROGRESS: "progress.title"}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("route", PAGES, ids=[route.url_path for route in PAGES])
def test_every_page_renders(make_app, route, lang):
    at = run_ok(make_app(lang=lang))
    at.switch_page(route.path)
    run_ok(at)
    if route in OWN_TITLES:
        assert at.title[0].value == t(OWN_TITLES[route], lang)
    nav_label = t("app.profile", lang)
    assert any(box.label == nav_label for box in at.sidebar.selectbox)


def test_language_switch_changes_texts_and_url(make_app):
    at = run_ok(make_app(page=PRACTICE.path, locale="en-US"))
    assert at.button(key="practice_show").label == "Show answer"
    at.selectbox(key="lang_select").set_value("zh")
    run_ok(at)
    assert at.button(key="practice_show").label == t("practice.show_answer", "zh") == "显示答案"
    assert at.title[0].value == "练习"
    assert at.query_params["lang"] == "zh"


def test_default_language_comes_from_browser_locale(make_app):
    at = run_ok(make_app(page=PRACTICE.path, locale="zh-CN"))
    assert at.title[0].value == "练习"
    assert at.query_params["lang"] == "zh"
    at = run_ok(make_app(page=PRACTICE.path, lang="en", locale="zh-CN"))  # the URL wins over the locale
    assert at.title[0].value == "Practice"


def test_broken_bank_file_is_listed_and_the_rest_works(make_app, bank_dir):
    broken = bank_dir / "inference.yaml"
    broken.write_text("- id: inference-broken\n  type: open\n  topic: inference\n  tags: [x\n", encoding="utf-8")
    at = run_ok(make_app(page=PRACTICE.path, lang="en"))
    warning = at.warning[0].value
    assert f"{broken}:" in warning and "YAML syntax error" in warning
    line = int(warning.split(f"{broken}:")[1].split(":")[0])
    assert line >= 4  # the unclosed flow list on line 4 is reported on its line or the next
    assert t("practice.queue_new", "en", count=len(FIXTURE_IDS)) in at.segmented_control(key="practice_queue").options
    run_ok(at.button(key="practice_show").click())  # the good questions still work


def test_a_link_to_nothing_is_listed_and_the_question_still_works(make_app, bank_dir):
    routing = [{**FIXTURE_BANK["routing"][0], "exercises": ["no-such-exercise"]}, *FIXTURE_BANK["routing"][1:]]
    write_bank(bank_dir, {**FIXTURE_BANK, "routing": routing})
    at = run_ok(make_app(page=PRACTICE.path, lang="en"))
    (warning,) = at.warning
    assert f"{bank_dir / 'routing.yaml'}:" in warning.value
    assert "exercises[0]: 'no-such-exercise' names no exercise" in warning.value
    assert t("practice.queue_new", "en", count=len(FIXTURE_IDS)) in at.segmented_control(key="practice_queue").options


def test_corrupt_database_shows_error_and_is_not_overwritten(make_app, db_path):
    garbage = b"this is not a database\n" * 100
    db_path.write_bytes(garbage)
    at = run_ok(make_app(lang="en"))
    assert at.error and "is not a SQLite database" in at.error[0].value
    assert str(db_path) in at.error[0].value
    at.switch_page(PROGRESS.path)
    run_ok(at)
    assert at.error
    assert db_path.read_bytes() == garbage


def test_profiles_are_isolated_in_the_ui(make_app, db_path):
    at = run_ok(make_app(page=PRACTICE.path, lang="en"))
    at.text_input(key="new_profile_name").input("alice")
    run_ok(at.button(key="create_profile").click())
    assert at.selectbox(key="profile_select").value == "alice"
    run_ok(at.button(key="practice_show").click())
    question_id = at.session_state["practice_preview"]["question_id"]
    run_ok(at.button(key="practice_rate_3").click())
    assert at.caption[0].value.startswith(t("practice.stats", "en", reviewed=1, due=0, new=5)[:20])

    at.selectbox(key="profile_select").set_value("default")
    run_ok(at)
    assert at.caption[0].value == t("practice.stats", "en", reviewed=0, due=0, new=len(FIXTURE_IDS))
    store = Store(db_path)
    assert set(store.reviews.cards("alice")) == {question_id} and store.reviews.cards("default") == {}
    assert "alice" in at.selectbox(key="profile_select").options


def test_a_bad_profile_name_is_refused_with_a_message(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    at.text_input(key="new_profile_name").input("   ")
    run_ok(at.button(key="create_profile").click())
    assert t("app.profile_name_empty", "en") in [warning.value for warning in at.sidebar.warning]
    assert at.selectbox(key="profile_select").options == ["default"]


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration"}


def test_with_auth_logged_out_sees_only_login(make_app):
    at = make_app(lang="en")
    at.secrets["auth"] = AUTH
    run_ok(at)
    assert not any(box.key == "profile_select" for box in at.selectbox)
    assert any(button.key == "login" for button in at.button)
    assert t("app.login_required", "en") in [info.value for info in at.info]
    assert not any(button.key == "practice_show" for button in at.button)


def test_with_auth_and_named_providers_there_is_one_login_button_each(make_app):
    at = make_app(lang="en")
    at.secrets["auth"] = {**AUTH, "google": {"client_id": "g"}, "microsoft": {"client_id": "m"}}
    run_ok(at)
    assert {button.key for button in at.button} == {"login_google", "login_microsoft"}


def test_with_auth_the_profile_is_the_logged_in_user(make_app, db_path):
    at = make_app(page=PRACTICE.path, lang="en")
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "ada@example.com", "sub": "123"}
    run_ok(at)
    assert not any(box.key == "profile_select" for box in at.selectbox)  # nobody can pick another's profile
    assert at.session_state["profile"] == "ada@example.com"
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_3").click())
    store = Store(db_path)
    assert len(store.reviews.logs("ada@example.com")) == 1 and store.reviews.logs("default") == []
