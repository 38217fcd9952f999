"""AppTest of the Mock interview page: questions across topics, difficulty hidden, grades required, saved grades
reach the scheduler."""
from __future__ import annotations

from datetime import timedelta

from questions.store import Store
from questions.store.values import read_time
from questions.ui.i18n import t
from questions.ui.routes import MOCK
from tests.helpers.apptest import run_ok
from tests.helpers.bank import FIXTURE_BANK, write_bank


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
    run_ok(at.button(key="mock_save").click())  # nothing graded yet: refused with a message naming them
    assert t("mock.grade_missing", "zh", numbers="1, 2") in [w.value for w in at.warning]
    at.segmented_control(key=f"mock_grade_{ids[0]}").set_value(3)
    run_ok(at.button(key="mock_save").click())  # the second is still ungraded: the message names it alone
    warnings = [w.value for w in at.warning]
    assert t("mock.grade_missing", "zh", numbers="2") in warnings
    assert t("mock.grade_missing", "zh", numbers="1, 2") not in warnings
    assert not Store(db_path).mocks.sessions("default")
    at.segmented_control(key=f"mock_grade_{ids[1]}").set_value(1)
    run_ok(at)
    assert t("mock.grade_missing", "zh", numbers="2") not in [w.value for w in at.warning]  # gone once graded
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
    # The question graded Again is a miss: due again within minutes, first in Practice's Due and Today queues.
    saved_at = max(read_time(log["review_datetime"]) for log in logs)
    assert store.reviews.due_ids("default", saved_at + timedelta(minutes=5)) == [ids[1]]  # Good: in 10 min
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


def test_the_interviewer_asks_a_follow_up_and_the_review_links_each_card(make_app, bank_dir):
    follow_up = {"question": {"en": "And with expert choice?", "zh": "专家选择呢？"},
                 "answer": {"en": "Each expert takes its top-C tokens.", "zh": "每个专家取分数最高的 C 个 token。"}}
    routing = [{**FIXTURE_BANK["routing"][0], "follow_ups": [follow_up]}, *FIXTURE_BANK["routing"][1:]]
    write_bank(bank_dir, {**FIXTURE_BANK, "routing": routing})
    at = run_ok(make_app(lang="en"))
    at.switch_page(MOCK.path)
    run_ok(at)
    at.number_input(key="mock_count").set_value(2)
    at.multiselect(key="mock_topics").set_value(["routing"])  # its two open questions, one with a follow-up
    run_ok(at.button(key="mock_start").click())
    ids = at.session_state["mock"]["ids"]
    for qid in ids:
        at.text_area(key=f"mock_answer_{qid}").input(f"answer to {qid}")
        has_follow_up = qid == "routing-topk-softmax"
        assert at.button(key="mock_next").label == t(
            "mock.next" if has_follow_up or qid != ids[-1] else "mock.finish", "en")
        run_ok(at.button(key="mock_next").click())
        if has_follow_up:  # the interviewer follows up before the next question
            assert f"**{t('mock.follow_up', 'en')}** And with expert choice?" in [info.value for info in at.info]
            at.text_area(key=f"mock_follow_{qid}").input("top-C per expert")
            run_ok(at.button(key="mock_next").click())
    session = at.session_state["mock"]
    assert session["phase"] == "review" and session["follow_up_answers"] == {"routing-topk-softmax": "top-C per expert"}
    assert session["answers"]["routing-topk-softmax"] == "answer to routing-topk-softmax"
    assert f"**{t('mock.follow_up', 'en')}** And with expert choice?" in [md.value for md in at.markdown]
    assert "top-C per expert" in [text.value for text in at.text]
    links = [(link.proto.page, link.proto.query_string) for link in at.get("page_link")]
    assert links == [("practice", f"q={qid}") for qid in ids]
