"""AppTest of the Practice page: a graded card saves the previewed interval, key points suggest a rating, filters and
search, bookmarks and notes, ?q= links, filters kept across pages."""
from __future__ import annotations

from fsrs import Rating

from questions.store import Store
from questions.study.scheduler import format_interval
from questions.ui.i18n import t
from questions.ui.labels import interval_units
from questions.ui.routes import PRACTICE, QUIZ
from tests.helpers.apptest import run_ok, texts
from tests.helpers.bank import FIXTURE_IDS


def test_practice_round_stores_the_previewed_card(make_app, db_path):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    assert at.caption[0].value == t("practice.stats", "en", reviewed=0, due=0, new=len(FIXTURE_IDS))
    at.segmented_control(key="practice_queue").set_value("all")  # bank order: an open question first
    run_ok(at)
    show = at.button(key="practice_show")
    assert show.label == t("practice.show_answer", "en")
    run_ok(show.click())
    state = at.session_state["practice_preview"]
    question_id = state["question_id"]
    shown_card = state["options"][Rating.Good][0]
    good = at.button(key="practice_rate_3")
    shown_interval = format_interval(state["at"], shown_card.due, interval_units("en"))
    assert good.label == f"{t('app.rating_3', 'en')} · {shown_interval}"
    # Every rating button shows its own preview; the suggested one (no point ticked -> Again) is highlighted.
    assert at.button(key="practice_rate_1").proto.type == "primary"
    run_ok(good.click())

    store = Store(db_path)
    logs = store.reviews.logs("default")
    assert [(log["question_id"], log["rating"], log["source"]) for log in logs] == [(question_id, 3, "practice")]
    saved = store.reviews.card("default", question_id)
    assert saved.due == shown_card.due  # the interval shown is the interval saved
    assert format_interval(state["at"], saved.due, interval_units("en")) == shown_interval
    assert t("practice.saved", "en", rating="Good", interval=shown_interval) in [s.value for s in at.success]
    assert question_id not in store.reviews.due_ids("default", state["at"])
    assert at.caption[0].value == t("practice.stats", "en", reviewed=1, due=0, new=len(FIXTURE_IDS) - 1)


def test_practice_key_points_suggest_rating_and_typed_answer_is_saved(make_app, db_path):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.multiselect(key="practice_topics").set_value(["routing"])
    at.segmented_control(key="practice_queue").set_value("all")
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
    logs = Store(db_path).reviews.logs("default")
    assert logs[0]["answer_text"] == "softmax over the selected logits" and logs[0]["rating"] == 4


def test_practice_filters_search_both_languages(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.segmented_control(key="practice_queue").set_value("all")
    at.text_input(key="practice_search").input("容量因子")  # Chinese text while the UI is English
    run_ok(at)
    assert t("practice.queue_all", "en", count=1) in at.segmented_control(key="practice_queue").options
    assert "What is the capacity factor?" in texts(at)
    at.text_input(key="practice_search").input("(unbalanced[")  # regex metacharacters are literal
    run_ok(at)
    assert t("practice.no_match", "en", search="(unbalanced[") in [info.value for info in at.info]


def test_an_empty_search_says_nothing_matched_not_nothing_due(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.segmented_control(key="practice_queue").set_value("due")
    run_ok(at)
    assert t("practice.empty_due", "en") in [info.value for info in at.info]  # nothing due, no search: says so
    at.text_input(key="practice_search").input("no such words")
    run_ok(at)
    infos = [info.value for info in at.info]
    assert t("practice.no_match", "en", search="no such words") in infos and t("practice.empty_due", "en") not in infos


def test_bookmark_and_note_are_saved(make_app, db_path):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    question_id = next(key for key in at.session_state if key.startswith("practice_bookmark_"))
    question_id = question_id.removeprefix("practice_bookmark_")
    at.toggle(key=f"practice_bookmark_{question_id}").set_value(True)
    run_ok(at)
    at.text_area(key=f"practice_note_{question_id}").input("remember the residual path")
    run_ok(at.button(key="practice_save_note").click())
    store = Store(db_path)
    assert store.bookmarks.ids("default") == {question_id}
    assert store.notes.get("default", question_id) == "remember the residual path"
    at.segmented_control(key="practice_queue").set_value("bookmarked")
    run_ok(at)
    assert t("practice.queue_bookmarked", "en", count=1) in at.segmented_control(key="practice_queue").options


def test_question_link_opens_that_question_first_and_is_dropped_once_graded(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path, q="capacity-overflow"))
    assert "What happens to overflow tokens?" in [markdown.value for markdown in at.markdown]
    run_ok(at.button(key="practice_show").click())
    assert at.session_state["practice_preview"]["question_id"] == "capacity-overflow"
    run_ok(at.button(key="practice_rate_3").click())
    assert "q" not in at.query_params
    assert "What happens to overflow tokens?" not in [markdown.value for markdown in at.markdown]


def shown_question(at) -> str:
    """The id of the card on screen (its answer box is keyed by it)."""
    return next(box.key.removeprefix("practice_answer_") for box in at.text_area
                if box.key.startswith("practice_answer_"))


def test_skipped_cards_come_back_when_the_queue_is_through(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.multiselect(key="practice_topics").set_value(["capacity"])
    run_ok(at)
    shown = []
    for _ in range(4):
        shown.append(shown_question(at))
        run_ok(at.button(key="practice_skip").click())
    # the new queue in bank order; after the third skip nothing is left, so the skipped cards come back
    assert shown == ["capacity-factor", "capacity-formula", "capacity-overflow", "capacity-factor"]
    assert at.session_state["practice_skipped"] == {"capacity-factor"}


def test_practice_filters_survive_a_page_switch(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.multiselect(key="practice_topics").set_value(["capacity"])
    run_ok(at)
    at.switch_page(QUIZ.path)
    run_ok(at)
    at.switch_page(PRACTICE.path)
    run_ok(at)
    assert at.multiselect(key="practice_topics").value == ["capacity"]
    assert t("practice.queue_all", "en", count=3) in at.segmented_control(key="practice_queue").options


def test_undo_restores_the_card_and_shows_it_again(make_app, db_path):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    question_id = shown_question(at)
    run_ok(at.button(key="practice_show").click())
    run_ok(at.button(key="practice_rate_4").click())
    store = Store(db_path)
    assert store.reviews.card("default", question_id) is not None and shown_question(at) != question_id
    undo = at.button(key="practice_undo")
    assert undo.proto.shortcut == "ctrl+z" and undo.label == t("practice.undo", "en")
    run_ok(undo.click())
    assert store.reviews.card("default", question_id) is None and store.reviews.logs("default") == []
    assert shown_question(at) == question_id  # the card is back, first
    assert t("practice.undone", "en") in [info.value for info in at.info]
    assert not any(button.key == "practice_undo" for button in at.button)  # one grade, one undo
    assert at.caption[0].value == t("practice.stats", "en", reviewed=0, due=0, new=len(FIXTURE_IDS))


def test_a_stale_sandbox_link_does_not_follow_the_user_to_practice(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path, preset="mixtral-8x7b", exercise="topk-router",
                         q="capacity-factor"))
    assert dict(at.query_params) == {"lang": "en", "q": "capacity-factor"}


def test_follow_ups_show_after_the_answer_each_answer_on_click(make_app, bank_dir):
    from tests.helpers.bank import FIXTURE_BANK, write_bank
    follow_up = {"question": {"en": "What if the factor is below 1?", "zh": "容量因子小于 1 会怎样？"},
                 "answer": {"en": "Tokens are dropped even when routing is balanced.", "zh": "即使路由均衡也会丢 token。"}}
    capacity = [{**FIXTURE_BANK["capacity"][0], "follow_ups": [follow_up]}, *FIXTURE_BANK["capacity"][1:]]
    write_bank(bank_dir, {**FIXTURE_BANK, "capacity": capacity})
    at = run_ok(make_app(lang="zh", page=PRACTICE.path, q="capacity-factor"))
    assert t("practice.keys_help", "zh") in [caption.value for caption in at.caption]
    assert not any(expander.label == "容量因子小于 1 会怎样？" for expander in at.expander)
    run_ok(at.button(key="practice_show").click())
    (expander,) = [expander for expander in at.expander if expander.label == "容量因子小于 1 会怎样？"]
    assert [markdown.value for markdown in expander.markdown] == ["即使路由均衡也会丢 token。"]
    assert f"**{t('app.follow_ups', 'zh')}**" in [markdown.value for markdown in at.markdown]


def test_the_new_queue_goes_from_fundamentals_to_advanced(make_app):
    at = run_ok(make_app(lang="en", page=PRACTICE.path))
    at.segmented_control(key="practice_queue").set_value("new")
    run_ok(at)
    shown = []
    for _ in range(len(FIXTURE_IDS)):
        shown.append(shown_question(at))
        run_ok(at.button(key="practice_skip").click())
    # Easy cards first, routing before capacity (the topic order); never three capacity cards in a row while a routing
    # card is left, so the medium routing card comes before the last easy capacity card; the hard one last.
    assert shown == ["routing-switch-k", "capacity-factor", "capacity-formula", "routing-topk-softmax",
                     "capacity-overflow", "routing-expert-choice"]
