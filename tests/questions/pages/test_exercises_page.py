"""AppTest of the Exercises page: render, run the starter's tests through the text-area editor, see the results,
save the attempt, run one test again, run a scratch cell, hints, reset, the reference after a pass or giving up, the
status overview, related questions by title, and `?exercise=<slug>`."""
from questions.exercises import exercises, get_exercise
from questions.store import Store
from questions.ui.i18n import t
from questions.ui.labels import verdict_label
from questions.ui.routes import EXERCISES
from tests.helpers.apptest import app_test, run_ok
from tests.helpers.paths import ROOT

# a correct solution written without moe_core (the catalog test runs it too)
SOLUTION = (ROOT / "tests" / "questions" / "exercises" / "solutions" / "expert-groups" / "alternative.py").read_text(
    encoding="utf-8")


def _page(make_app, slug: str, **query):
    """The exercises page inside the whole app (its links to other pages need st.navigation), profile "tester"."""
    at = run_ok(make_app(lang="en", **query))
    at.text_input(key="new_profile_name").input("tester")
    run_ok(at.button(key="create_profile").click())
    at.session_state["exercises.plain_editor"] = True  # custom components cannot be typed into by AppTest
    at.session_state["exercises.slug"] = slug
    at.switch_page(EXERCISES.path)
    return run_ok(at)


def _test_expanders(at):
    """The results' expanders, one per test (not the related links or "Run with my input")."""
    return [e for e in at.expander if not e.label.startswith(("Related", "Your exercises"))
            and e.label != t("exercises.scratch", "en")]


def test_page_renders_the_prompt_and_the_starter(make_app):
    at = _page(make_app, "z-loss")
    assert at.title[0].value == "Coding exercises"
    assert at.text_area[0].value == get_exercise("z-loss").starter
    assert any("ST-MoE keeps router logits small" in md.value for md in at.markdown)


def test_related_questions_and_presets_are_linked(make_app):
    at = _page(make_app, "topk-router")
    links = {(link.proto.page, link.proto.query_string) for link in at.get("page_link")}
    assert ("practice", "q=routing-topk-softmax") in links  # Practice: its question links this exercise
    labels = {link.proto.query_string: link.proto.label for link in at.get("page_link")}
    assert labels["q=routing-topk-softmax"] != "routing-topk-softmax", "a related question shows its title, not its id"
    assert not labels["q=routing-topk-softmax"].startswith("**")
    presets = get_exercise("topk-router").sandbox_presets
    assert presets and {("sandbox", f"preset={preset}") for preset in presets} <= links


def test_running_the_starter_shows_failures_and_saves_the_attempt(make_app, db_path):
    at = _page(make_app, "expert-groups")
    run_ok(at.button(key="exercises.run").click())
    assert any("0 of" in w.value for w in at.warning), [w.value for w in at.warning]
    results = _test_expanders(at)
    names = [e.label for e in results]
    assert names[0].startswith("❌ test_even_split")
    assert "NotImplementedError" in results[0].code[0].value
    attempts = Store(db_path).attempts.list("tester", "expert-groups")
    assert [(a["status"], a["passed"]) for a in attempts] == [("fail", 0)]
    total = attempts[0]["total"]
    assert t("exercises.attempts", "en", count=1, best=0, total=total) in [c.value for c in at.caption]
    assert not any("moe_core" in c.value for c in at.code), "no reference before a pass or giving up"


def test_a_correct_solution_passes_and_reveals_the_reference(make_app):
    at = _page(make_app, "expert-groups")
    run_ok(at.text_area[0].set_value(SOLUTION))
    run_ok(at.button(key="exercises.run").click())
    assert any("tests passed" in s.value for s in at.success)
    assert any("moe_core" in c.value for c in at.code), "the reference solution is shown after a pass"
    assert any(c.value.startswith(t("exercises.solved_mark", "en")) for c in at.caption)
    overview = [e for e in at.expander if e.label.startswith("Your exercises")]
    assert [e.label for e in overview] == [t("exercises.overview", "en", solved=1, total=len(exercises()))]
    title, state, best, runs = at.dataframe[0].value.iloc[0].tolist()
    passed, total = best.split("/")
    assert (title, state, passed == total, runs) == (get_exercise("expert-groups").title["en"], "Solved ✓", True, 1)


def test_one_test_runs_again_alone_and_is_not_an_attempt(make_app, db_path):
    at = _page(make_app, "expert-groups")
    run_ok(at.button(key="exercises.run").click())
    before = [e.label for e in _test_expanders(at)]
    first = before[0].split(" ", 1)[1]
    run_ok(at.text_area[0].set_value(SOLUTION))
    run_ok(at.button(key="exercises.run_one.0").click())
    labels = [e.label for e in _test_expanders(at)]
    assert labels == [f"✅ {first}"] + before[1:] and not before[1].startswith("✅")
    assert t("exercises.reran", "en", name=first) in [c.value for c in at.caption]
    assert len(Store(db_path).attempts.list("tester", "expert-groups")) == 1


def test_run_with_my_input_shows_output_and_values(make_app):
    at = _page(make_app, "expert-groups")
    run_ok(at.text_area[0].set_value(SOLUTION))
    run_ok(at.text_area(key="exercises.scratch.expert-groups").set_value(
        "print('groups:')\ncreate_expert_groups(5, 2)\n"))
    run_ok(at.button(key="exercises.scratch_run").click())
    codes = [c.value for c in at.code]
    assert "groups:" in codes and "[[0, 1, 2], [3, 4]]" in codes
    assert t("exercises.scratch_value_line", "en", line=2) in [c.value for c in at.caption]
    run_ok(at.text_area(key="exercises.scratch.expert-groups").set_value("create_expert_groups(0, 2)\n"))
    run_ok(at.button(key="exercises.scratch_run").click())
    error = at.error[0].value
    assert "ValueError: need 1 <= parallel_size <= num_experts" in error and 'File "<input>", line 1' in error


def test_a_syntax_error_is_reported_and_giving_up_shows_the_reference(make_app):
    at = _page(make_app, "z-loss")
    run_ok(at.text_area[0].set_value("def z_loss(:\n"))
    run_ok(at.button(key="exercises.run").click())
    assert t("exercises.status_error", "en", verdict=verdict_label("syntax-error", "en")) in at.error[0].value
    assert "line 1" in at.error[0].value
    run_ok(at.button(key="exercises.give_up").click())
    assert t("exercises.solution", "en") in [header.value for header in at.subheader]
    assert any("def z_loss" in c.value for c in at.code)


def test_hints_are_revealed_one_by_one_and_reset_restores_the_starter(make_app):
    at = _page(make_app, "topk-router")
    assert not at.info or all("Hint" not in i.value for i in at.info)
    run_ok(at.button(key="exercises.hint").click())
    assert sum("Hint 1" in i.value for i in at.info) == 1 and not any("Hint 2" in i.value for i in at.info)
    run_ok(at.button(key="exercises.hint").click())
    assert any("Hint 2" in i.value for i in at.info)
    run_ok(at.text_area[0].set_value("garbage = 1\n"))
    run_ok(at.button(key="exercises.reset").click())
    assert at.text_area[0].value == get_exercise("topk-router").starter


def test_the_url_opens_an_exercise_and_follows_the_selection():
    at = app_test(lang="en", exercise="z-loss")  # what the Practice page's "open exercise" link carries
    at.session_state["exercises.plain_editor"] = True
    at.switch_page(EXERCISES.path)
    run_ok(at)
    assert at.text_area[0].value == get_exercise("z-loss").starter
    run_ok(at.selectbox(key="exercises.slug").set_value("expert-groups"))
    assert at.query_params["exercise"] == "expert-groups"
    assert at.text_area[0].value == get_exercise("expert-groups").starter


def test_giving_up_sends_the_related_questions_back_into_review_once(make_app, db_path):
    at = _page(make_app, "topk-router")
    run_ok(at.button(key="exercises.give_up").click())
    run_ok(at.button(key="exercises.give_up").click())  # twice: still one review
    logs = Store(db_path).reviews.logs("tester")
    assert [(log["question_id"], log["source"], log["rating"]) for log in logs] == [
        ("routing-topk-softmax", "exercise", 1)]


def test_every_verdict_a_run_can_give_has_words_in_both_languages():
    import re
    from pathlib import Path

    from questions.languages import LANGUAGES
    package = Path(__file__).resolve().parents[3] / "questions" / "exercises"
    sources = "".join(path.read_text(encoding="utf-8") for path in package.glob("*.py"))
    verdicts = set(re.findall(r'"verdict": "([a-z-]+)"', sources)) | set(re.findall(r'return \(?"([a-z-]+)",', sources))
    verdicts |= {"pass", "fail", "exception", "no-tests"}
    assert {"timeout", "memory", "syntax-error", "import-error"} <= verdicts
    for verdict in sorted(verdicts):
        for lang in LANGUAGES:
            assert verdict_label(verdict, lang) != verdict, (verdict, lang)
    assert verdict_label("something-new", "zh") == "something-new"
