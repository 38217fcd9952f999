"""AppTest of the Exercises page: render, run the starter's tests through the text-area editor, see the results,
save the attempt, hints, reset, the reference after a pass or giving up, links, and `?exercise=<slug>`."""
from questions.exercises import get_exercise
from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import EXERCISES
from tests.helpers.apptest import app_test, run_ok

SOLUTION = '''
def create_expert_groups(num_experts, parallel_size):
    if num_experts < 1 or parallel_size < 1 or parallel_size > num_experts:
        raise ValueError("bad sizes")
    base, rem = divmod(num_experts, parallel_size)
    groups, start = [], 0
    for r in range(parallel_size):
        size = base + (r < rem)
        groups.append(list(range(start, start + size)))
        start += size
    return groups
'''


def _page(make_app, slug: str, **query):
    """The exercises page inside the whole app (its links to other pages need st.navigation), profile "tester"."""
    at = run_ok(make_app(lang="en", **query))
    at.text_input(key="new_profile_name").input("tester")
    run_ok(at.button(key="create_profile").click())
    at.session_state["exercises.plain_editor"] = True  # custom components cannot be typed into by AppTest
    at.session_state["exercises.slug"] = slug
    at.switch_page(EXERCISES.path)
    return run_ok(at)


def test_page_renders_the_prompt_and_the_starter(make_app):
    at = _page(make_app, "z-loss")
    assert at.title[0].value == "Coding exercises"
    assert at.text_area[0].value == get_exercise("z-loss").starter
    assert any("ST-MoE keeps router logits small" in md.value for md in at.markdown)


def test_related_questions_and_presets_are_linked(make_app):
    at = _page(make_app, "topk-router")
    links = {(link.proto.page, link.proto.query_string) for link in at.get("page_link")}
    assert ("practice", "q=routing-topk-softmax") in links  # Practice: its question links this exercise
    presets = get_exercise("topk-router").sandbox_presets
    assert presets and {("sandbox", f"preset={preset}") for preset in presets} <= links


def test_running_the_starter_shows_failures_and_saves_the_attempt(make_app, db_path):
    at = _page(make_app, "expert-groups")
    run_ok(at.button(key="exercises.run").click())
    assert any("0 of" in w.value for w in at.warning), [w.value for w in at.warning]
    results = [e for e in at.expander if not e.label.startswith("Related")]  # one expander per test
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


def test_a_syntax_error_is_reported_and_giving_up_shows_the_reference(make_app):
    at = _page(make_app, "z-loss")
    run_ok(at.text_area[0].set_value("def z_loss(:\n"))
    run_ok(at.button(key="exercises.run").click())
    assert t("exercises.status_error", "en", verdict="syntax-error") in at.error[0].value
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
