"""AppTest of the Quiz page: a quiz on one topic is graded on submit, every option explained, the score saved."""
from __future__ import annotations

from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import QUIZ
from tests.helpers.apptest import run_ok, texts
from tests.helpers.bank import FIXTURE_BANK


def start_capacity_quiz(make_app, size: int = 2):
    """The Quiz page in English with a quiz of `size` capacity questions on screen."""
    at = run_ok(make_app(lang="en"))
    at.switch_page(QUIZ.path)
    run_ok(at)
    at.selectbox(key="quiz_topic").set_value("capacity")
    run_ok(at)
    at.number_input(key="quiz_size").set_value(size)
    return run_ok(at.button(key="quiz_start").click())


def test_quiz_submit_grades_and_saves_score(make_app, db_path):
    at = start_capacity_quiz(make_app)
    quiz_ids = at.session_state["quiz"]["ids"]
    assert len(quiz_ids) == 2 and all(qid.startswith("capacity-") for qid in quiz_ids)
    correct = {question["id"]: [i for i, option in enumerate(question["options"]) if option["correct"]][0]
               for question in FIXTURE_BANK["capacity"] if question["type"] == "choice"}
    at.radio(key=f"quiz_answer_{quiz_ids[0]}").set_value(correct[quiz_ids[0]])
    at.radio(key=f"quiz_answer_{quiz_ids[1]}").set_value((correct[quiz_ids[1]] + 1) % 3)  # one wrong answer
    submit = next(button for button in at.button if button.label == t("quiz.submit", "en"))
    run_ok(submit.click())
    assert t("quiz.score", "en", score=1, total=2) in [s.value for s in at.success]
    results = Store(db_path).quizzes.results("default")
    assert [(r["topic"], r["score"], r["total"]) for r in results] == [("capacity", 1, 2)]
    assert results[0]["answers"][quiz_ids[0]] == [correct[quiz_ids[0]]]
    assert "Why option 0" in texts(at)  # every option is explained after grading
    assert len(at.dataframe) == 1  # the score history
    history = at.dataframe[0].value
    assert list(history[t("quiz.col_topic", "en")]) == ["Capacity"]
    assert list(history[t("quiz.col_score", "en")]) == ["1 / 2"] and list(history[t("quiz.col_percent", "en")]) == [50]


def test_new_quiz_returns_to_the_setup(make_app):
    at = run_ok(make_app(lang="zh"))
    at.switch_page(QUIZ.path)
    run_ok(at)
    assert at.selectbox(key="quiz_topic").value == ""  # all topics
    run_ok(at.button(key="quiz_start").click())
    assert len(at.session_state["quiz"]["ids"]) == 3  # every choice question: fewer than the default size 10
    submit = next(button for button in at.button if button.label == t("quiz.submit", "zh"))
    run_ok(submit.click())
    assert t("quiz.score", "zh", score=0, total=3) in [s.value for s in at.success]
    run_ok(at.button(key="quiz_new").click())
    assert "quiz" not in at.session_state and at.button(key="quiz_start").label == t("quiz.start", "zh")


def test_a_wrong_answer_goes_back_to_review_and_retry_my_misses_asks_it_again(make_app, db_path):
    at = start_capacity_quiz(make_app)
    assert not any(button.key == "quiz_retry" for button in at.button)
    ids = at.session_state["quiz"]["ids"]
    at.radio(key=f"quiz_answer_{ids[0]}").set_value(0 if ids[0] == "capacity-overflow" else 2)  # both wrong
    at.radio(key=f"quiz_answer_{ids[1]}").set_value(0 if ids[1] == "capacity-overflow" else 2)
    run_ok(next(button for button in at.button if button.label == t("quiz.submit", "en")).click())
    assert t("quiz.sent_back", "en", count=2) in [info.value for info in at.info]
    logs = Store(db_path).reviews.logs("default")
    assert sorted((log["question_id"], log["rating"], log["source"]) for log in logs) == sorted(
        (qid, 1, "quiz") for qid in ids)
    links = [(link.proto.page, link.proto.query_string) for link in at.get("page_link")]
    assert links == [("practice", f"q={qid}") for qid in ids]  # every item links to its card
    run_ok(at)  # a rerun of the graded quiz schedules nothing twice
    assert len(Store(db_path).reviews.logs("default")) == 2

    run_ok(at.button(key="quiz_new").click())
    retry = at.button(key="quiz_retry")
    assert retry.label == t("quiz.retry", "en", count=2)
    run_ok(retry.click())
    assert sorted(at.session_state["quiz"]["ids"]) == sorted(ids)
