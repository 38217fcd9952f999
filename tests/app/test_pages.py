"""AppTest of every page: renders in both languages, practice / quiz / mock rounds reach the store, language switch,
broken bank warning, corrupt database error, profile isolation and the logged-in profile."""
from __future__ import annotations

import json

import pytest
from fsrs import Rating

from questions.ui.i18n import t
from questions.study.scheduler import format_interval
from questions.store.db import Store

from tests.helpers.apptest import texts
from tests.helpers.bank import FIXTURE_BANK

PAGES = {
    "practice": "questions/pages/practice.py",
    "quiz": "questions/pages/quiz.py",
    "mock": "questions/pages/mock.py",
    "progress": "questions/pages/progress.py",
    "exercises": "questions/pages/exercises.py",
    "sandbox": "sandbox/page.py",
}
OWN_TITLES = {"practice": "practice.title", "quiz": "quiz.title", "mock": "mock.title", "progress": "progress.title"}
FIXTURE_IDS = [question["id"] for questions in FIXTURE_BANK.values() for question in questions]


def run_ok(target):
    """Run the app (an AppTest, or a widget after an interaction) and fail on any exception in the page."""
    at = target.run()
    assert not at.exception, [exception.value for exception in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(make_app, page, lang):
    at = run_ok(make_app(lang=lang))
    at.switch_page(PAGES[page])
    run_ok(at)
    if page in OWN_TITLES:
        assert at.title[0].value == t(OWN_TITLES[page], lang)
    nav_label = t("app.profile", lang)
    assert any(box.label == nav_label for box in at.sidebar.selectbox)


def test_practice_round_stores_the_previewed_card(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    assert at.caption[0].value == t("practice.stats", "en", reviewed=0, due=0, new=len(FIXTURE_IDS))
    show = at.button(key="practice_show")
    assert show.label == t("practice.show_answer", "en")
    run_ok(show.click())
    state = at.session_state["practice_preview"]
    question_id = state["question_id"]
    shown_card = state["options"][Rating.Good][0]
    good = at.button(key="practice_rate_3")
    shown_interval = format_interval(state["at"], shown_card.due, "en")
    assert good.label == f"{t('app.rating_3', 'en')} · {shown_interval}"
    # Every rating button shows its own preview; the suggested one (no point ticked -> Again) is highlighted.
    assert at.button(key="practice_rate_1").proto.type == "primary"
    run_ok(good.click())

    store = Store(db_path)
    logs = store.review_logs("default")
    assert [(log["question_id"], log["rating"], log["source"]) for log in logs] == [(question_id, 3, "practice")]
    saved = store.get_card("default", question_id)
    assert saved.due == shown_card.due  # the interval shown is the interval saved
    assert format_interval(state["at"], saved.due, "en") == shown_interval
    assert t("practice.saved", "en", rating="Good", interval=shown_interval) in [s.value for s in at.success]
    assert question_id not in store.due_question_ids("default", state["at"])
    assert at.caption[0].value == t("practice.stats", "en", reviewed=1, due=0, new=len(FIXTURE_IDS) - 1)


def test_practice_key_points_suggest_rating_and_typed_answer_is_saved(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    at.multiselect(key="practice_topics").set_value(["routing"])
    run_ok(at)
    question_id = "routing-topk-softmax"  # the first routing question in bank order
    at.text_area(key=f"practice_answer_{question_id}").input("softmax over the selected logits")
    run_ok(at.button(key="practice_show").click())
    for number in range(3):
        at.checkbox(key=f"practice_point_{question_id}_{number}").check()
    run_ok(at)
    assert at.button(key="practice_rate_4").proto.type == "primary"  # all key points ticked -> Easy
    links = {link.proto.page: link.proto.query_string for link in at.get("page_link")}
    assert links == {"exercises": "exercise=topk-router", "sandbox": "preset=mixtral-8x7b"}, links
    run_ok(at.button(key="practice_rate_4").click())
    logs = Store(db_path).review_logs("default")
    assert logs[0]["answer_text"] == "softmax over the selected logits" and logs[0]["rating"] == 4


def test_practice_filters_search_both_languages(make_app):
    at = run_ok(make_app(lang="en"))
    at.segmented_control(key="practice_queue").set_value("all")
    at.text_input(key="practice_search").input("容量因子")  # Chinese text while the UI is English
    run_ok(at)
    assert t("practice.queue_all", "en", count=1) in at.segmented_control(key="practice_queue").options
    assert "What is the capacity factor?" in texts(at)
    at.text_input(key="practice_search").input("(unbalanced[")  # regex metacharacters are literal
    run_ok(at)
    assert t("practice.empty", "en") in [info.value for info in at.info]


def test_bookmark_and_note_are_saved(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    question_id = next(key for key in at.session_state if key.startswith("practice_bookmark_"))
    question_id = question_id.removeprefix("practice_bookmark_")
    at.toggle(key=f"practice_bookmark_{question_id}").set_value(True)
    run_ok(at)
    at.text_area(key=f"practice_note_{question_id}").input("remember the residual path")
    run_ok(at.button(key="practice_save_note").click())
    store = Store(db_path)
    assert store.bookmarks("default") == {question_id}
    assert store.note("default", question_id) == "remember the residual path"
    at.segmented_control(key="practice_queue").set_value("bookmarked")
    run_ok(at)
    assert t("practice.queue_bookmarked", "en", count=1) in at.segmented_control(key="practice_queue").options


def test_quiz_submit_grades_and_saves_score(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    at.switch_page(PAGES["quiz"])
    run_ok(at)
    at.selectbox(key="quiz_topic").set_value("capacity")
    run_ok(at)
    at.number_input(key="quiz_size").set_value(2)
    run_ok(at.button(key="quiz_start").click())
    quiz_ids = at.session_state["quiz"]["ids"]
    assert len(quiz_ids) == 2 and all(qid.startswith("capacity-") for qid in quiz_ids)
    correct = {question["id"]: [i for i, option in enumerate(question["options"]) if option["correct"]][0]
               for question in FIXTURE_BANK["capacity"] if question["type"] == "choice"}
    at.radio(key=f"quiz_answer_{quiz_ids[0]}").set_value(correct[quiz_ids[0]])
    at.radio(key=f"quiz_answer_{quiz_ids[1]}").set_value((correct[quiz_ids[1]] + 1) % 3)  # one wrong answer
    submit = next(button for button in at.button if button.label == t("quiz.submit", "en"))
    run_ok(submit.click())
    assert t("quiz.score", "en", score=1, total=2) in [s.value for s in at.success]
    results = Store(db_path).quiz_results("default")
    assert [(r["topic"], r["score"], r["total"]) for r in results] == [("capacity", 1, 2)]
    assert results[0]["answers"][quiz_ids[0]] == [correct[quiz_ids[0]]]
    assert "Why option 0" in texts(at)  # every option is explained after grading
    assert len(at.dataframe) == 1  # the score history


def test_mock_interview_review_and_save_feeds_scheduler(make_app, db_path):
    at = run_ok(make_app(lang="zh"))
    at.switch_page(PAGES["mock"])
    run_ok(at)
    at.number_input(key="mock_count").set_value(2)
    at.checkbox(key="mock_hide_difficulty").check()
    run_ok(at.button(key="mock_start").click())
    ids = at.session_state["mock"]["ids"]
    assert len(ids) == 2 and len({qid.split("-")[0] for qid in ids}) == 2  # drawn across topics
    assert not any(t("mock.difficulty", "zh", difficulty="") in caption.value for caption in at.caption)
    at.text_area(key=f"mock_answer_{ids[0]}").input("我的回答")
    run_ok(at.button(key="mock_next").click())
    run_ok(at.button(key="mock_next").click())  # the last question: finish and review
    assert at.session_state["mock"]["phase"] == "review"
    run_ok(at.button(key="mock_save").click())  # nothing graded yet: refused with a message
    assert t("mock.grade_all", "zh") in [w.value for w in at.warning]
    at.segmented_control(key=f"mock_grade_{ids[0]}").set_value(3)
    at.segmented_control(key=f"mock_grade_{ids[1]}").set_value(1)
    run_ok(at)
    run_ok(at.button(key="mock_save").click())
    store = Store(db_path)
    sessions = store.mock_sessions("default")
    assert len(sessions) == 1
    assert [(item["question_id"], item["rating"]) for item in sessions[0]["items"]] == [(ids[0], 3), (ids[1], 1)]
    assert sessions[0]["items"][0]["answer_text"] == "我的回答"
    logs = store.review_logs("default")
    assert sorted((log["question_id"], log["rating"], log["source"]) for log in logs) == sorted(
        [(ids[0], 3, "mock"), (ids[1], 1, "mock")])
    assert set(store.cards("default")) == set(ids)
    assert any(t("mock.saved", "zh", count=2) in s.value for s in at.success)


def test_language_switch_changes_texts_and_url(make_app):
    at = run_ok(make_app(locale="en-US"))
    assert at.button(key="practice_show").label == "Show answer"
    at.selectbox(key="lang_select").set_value("zh")
    run_ok(at)
    assert at.button(key="practice_show").label == t("practice.show_answer", "zh") == "显示答案"
    assert at.title[0].value == "练习"
    assert at.query_params["lang"] == "zh"


def test_default_language_comes_from_browser_locale(make_app):
    at = run_ok(make_app(locale="zh-CN"))
    assert at.title[0].value == "练习"
    assert at.query_params["lang"] == "zh"
    at = run_ok(make_app(lang="en", locale="zh-CN"))  # the URL wins over the locale
    assert at.title[0].value == "Practice"


def test_broken_bank_file_is_listed_and_the_rest_works(make_app, bank_dir):
    broken = bank_dir / "inference.yaml"
    broken.write_text("- id: inference-broken\n  type: open\n  topic: inference\n  tags: [x\n", encoding="utf-8")
    at = run_ok(make_app(lang="en"))
    warning = at.warning[0].value
    assert f"{broken}:" in warning and "YAML syntax error" in warning
    line = int(warning.split(f"{broken}:")[1].split(":")[0])
    assert line >= 4  # the unclosed flow list on line 4 is reported on its line or the next
    assert t("practice.queue_new", "en", count=len(FIXTURE_IDS)) in at.segmented_control(key="practice_queue").options
    run_ok(at.button(key="practice_show").click())  # the good questions still work


def test_corrupt_database_shows_error_and_is_not_overwritten(make_app, db_path):
    garbage = b"this is not a database\n" * 100
    db_path.write_bytes(garbage)
    at = run_ok(make_app(lang="en"))
    assert at.error and "is not a SQLite database" in at.error[0].value
    assert str(db_path) in at.error[0].value
    at.switch_page(PAGES["progress"])
    run_ok(at)
    assert at.error
    assert db_path.read_bytes() == garbage


def test_profiles_are_isolated_in_the_ui(make_app, db_path):
    at = run_ok(make_app(lang="en"))
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
    assert set(store.cards("alice")) == {question_id} and store.cards("default") == {}
    assert "alice" in at.selectbox(key="profile_select").options


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


def test_with_auth_the_profile_is_the_logged_in_user(make_app, db_path):
    at = make_app(lang="en")
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "ada@example.com", "sub": "123"}
    run_ok(at)
    assert not any(box.key == "profile_select" for box in at.selectbox)  # nobody can pick another's profile
    assert at.session_state["profile"] == "ada@example.com"
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_3").click())
    store = Store(db_path)
    assert len(store.review_logs("ada@example.com")) == 1 and store.review_logs("default") == []


def test_practice_filters_survive_a_page_switch(make_app):
    at = run_ok(make_app(lang="en"))
    at.multiselect(key="practice_topics").set_value(["capacity"])
    run_ok(at)
    at.switch_page(PAGES["quiz"])
    run_ok(at)
    at.switch_page(PAGES["practice"])
    run_ok(at)
    assert at.multiselect(key="practice_topics").value == ["capacity"]
    assert t("practice.queue_all", "en", count=3) in at.segmented_control(key="practice_queue").options


def test_progress_export_and_import_round_trip_with_clear_errors(make_app, db_path):
    at = run_ok(make_app(lang="en"))
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_3").click())
    at.switch_page(PAGES["progress"])
    run_ok(at)
    assert at.caption[0].value == t("progress.summary", "en", reviews=1, cards=1, due=0)
    exported = Store(db_path).export_profile("default")
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
    assert len(Store(db_path).review_logs("bob")) == 1
