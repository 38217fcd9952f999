"""AppTest for the exercises page: render, run the starter's tests through the text-area editor, see the results."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from questions.exercises import get_exercise
from questions.store.db import Store

from tests.helpers.paths import APP  # noqa: E402


def _page(slug: str) -> AppTest:
    """The exercises page inside the whole app (its links to other pages need st.navigation), profile "tester"."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "en"
    at.run()
    at.text_input(key="new_profile_name").input("tester")
    at.button(key="create_profile").click().run()
    at.session_state["exercises.plain_editor"] = True  # custom components cannot be typed into by AppTest
    at.session_state["exercises.slug"] = slug
    at.switch_page("questions/pages/exercises.py")
    return at.run()


def test_page_renders_the_prompt_and_the_starter():
    at = _page("z-loss")
    assert not at.exception
    assert at.title[0].value == "Coding exercises"
    assert at.text_area[0].value == get_exercise("z-loss").starter
    assert any("ST-MoE keeps router logits small" in md.value for md in at.markdown)


def test_running_the_starter_shows_failures_and_saves_the_attempt(monkeypatch, tmp_path):
    at = _page("expert-groups")
    at.button(key="exercises.run").click().run()
    assert not at.exception
    assert any("0 of" in w.value for w in at.warning), [w.value for w in at.warning]
    results = [e for e in at.expander if not e.label.startswith("Related")]  # one expander per test
    names = [e.label for e in results]
    assert names[0].startswith("❌ test_even_split")
    assert "NotImplementedError" in results[0].code[0].value
    attempts = Store().exercise_attempts("tester", "expert-groups")  # MOE_LAB_DB points at the test's temp file
    assert [(a["status"], a["passed"]) for a in attempts] == [("fail", 0)]


def test_a_correct_solution_passes_and_reveals_the_reference():
    at = _page("expert-groups")
    solution = '''
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
    at.text_area[0].set_value(solution).run()
    at.button(key="exercises.run").click().run()
    assert not at.exception
    assert any("tests passed" in s.value for s in at.success)
    assert any("moe_core" in c.value for c in at.code), "the reference solution is shown after a pass"


def test_hints_are_revealed_one_by_one_and_reset_restores_the_starter():
    at = _page("topk-router")
    assert not at.info or all("Hint" not in i.value for i in at.info)
    at.button(key="exercises.hint").click().run()
    assert sum("Hint 1" in i.value for i in at.info) == 1 and not any("Hint 2" in i.value for i in at.info)
    at.button(key="exercises.hint").click().run()
    assert any("Hint 2" in i.value for i in at.info)
    at.text_area[0].set_value("garbage = 1\n").run()
    at.button(key="exercises.reset").click().run()
    assert at.text_area[0].value == get_exercise("topk-router").starter


def test_the_url_opens_an_exercise_and_follows_the_selection():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "en"
    at.query_params["exercise"] = "z-loss"  # what the Practice page's "open exercise" link carries
    at.session_state["exercises.plain_editor"] = True
    at.switch_page("questions/pages/exercises.py")
    at.run()
    assert not at.exception
    assert at.text_area[0].value == get_exercise("z-loss").starter
    at.selectbox(key="exercises.slug").set_value("expert-groups").run()
    assert at.query_params["exercise"] == "expert-groups"
    assert at.text_area[0].value == get_exercise("expert-groups").starter
