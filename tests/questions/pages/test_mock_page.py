"""AppTest of the Mock interview page: questions across topics, difficulty hidden, grades required, saved grades
reach the scheduler."""
from __future__ import annotations

from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import MOCK
from tests.helpers.apptest import run_ok


def test_mock_interview_review_and_save_feeds_scheduler(make_app, db_path):
    at = run_ok(make_app(lang="zh"))
    at.switch_page(MOCK.path)
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
    sessions = store.mocks.sessions("default")
    assert len(sessions) == 1
    assert [(item["question_id"], item["rating"]) for item in sessions[0]["items"]] == [(ids[0], 3), (ids[1], 1)]
    assert sessions[0]["items"][0]["answer_text"] == "我的回答"
    logs = store.reviews.logs("default")
    assert sorted((log["question_id"], log["rating"], log["source"]) for log in logs) == sorted(
        [(ids[0], 3, "mock"), (ids[1], 1, "mock")])
    assert set(store.reviews.cards("default")) == set(ids)
    assert any(t("mock.saved", "zh", count=2) in s.value for s in at.success)
    assert list(at.dataframe[0].value[t("mock.col_mean_rating", "zh")]) == [2.0]  # the history shows the session


def test_mock_shows_difficulty_unless_hidden_and_abandon_returns_to_setup(make_app):
    at = run_ok(make_app(lang="en"))
    at.switch_page(MOCK.path)
    run_ok(at)
    at.number_input(key="mock_count").set_value(1)
    run_ok(at.button(key="mock_start").click())
    assert any(t("mock.difficulty", "en", difficulty="") in caption.value for caption in at.caption)
    assert at.button(key="mock_next").label == t("mock.finish", "en")
    run_ok(at.button(key="mock_abandon").click())
    assert "mock" not in at.session_state and at.button(key="mock_start").label == t("mock.start", "en")
