"""Exercises page: pick an exercise, edit the starter code, run its tests (all, one, or a scratch cell of your own) in
the sandbox, reveal hints and the solution."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from questions.exercises import (LIMITS_ONLY_WARNING, Exercise, default_isolation, exercises, get_exercise, run,
                                 warm_up)
from questions.exercises.catalog import reference_sources, related_question_ids
from questions.exercises.status import SOLVED, exercise_status, status_rows
from questions.exercises.view import (TEST_ICONS, exercise_titles, merge_single_test, next_hint_count, record_attempt,
                                      related_question_titles, slug_to_open, solution_revealed, stars, verdict)
from questions.study.clock import now_utc
from questions.study.misses import send_to_review
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.labels import exercise_status_columns, verdict_label
from questions.ui.routes import EXERCISE_PARAM, PRACTICE, PRESET_PARAM, QUESTION_PARAM, SANDBOX

try:
    from code_editor import code_editor
except ImportError:  # pragma: no cover - the text area below is the fallback
    code_editor = None

SLUG_KEY = "exercises.slug"          # the picker
URL_SLUG_KEY = "exercises.url_slug"  # the slug the URL named last, so a followed link is not followed again
# The editor: no scroll margin (its default of 15 px shifts the line numbers against the text by most of a line) and
# no live autocompletion (its pop-up takes Tab, which must indent).
EDITOR_PROPS = {"scrollMargin": [0, 0, 0, 0], "enableLiveAutocompletion": False, "enableBasicAutocompletion": False,
                "enableSnippets": False}
MONOSPACE_CSS = """<style>
.st-key-exercises_plain_editor textarea, .st-key-exercises_scratch textarea {
  font-family: "Source Code Pro", "SFMono-Regular", Menlo, Consolas, monospace; font-size: 14px; tab-size: 4; }
</style>"""


@dataclass(frozen=True)
class Keys:
    """The session-state keys of one exercise ("exercises.<what>.<slug>"), so each exercise keeps its own code,
    editor version (a new one remounts the editor), last result, hints shown, given-up flag, last editor event, scratch
    cell and the scratch cell's last result."""
    slug: str
    code: str
    version: str
    result: str
    hints: str
    gave_up: str
    editor_event: str
    scratch: str
    scratch_result: str

    @classmethod
    def of(cls, slug: str) -> "Keys":
        return cls(slug, *(f"exercises.{what}.{slug}" for what in (
            "code", "version", "result", "hints", "gave_up", "editor_event", "scratch", "scratch_result")))


def profile_statuses() -> dict[str, dict]:
    """The profile's status per exercise (solved, attempted, best score); empty without a store."""
    store, _error = shell.open_store()
    if store is None:
        return {}
    try:
        return exercise_status(store.attempts.list(shell.profile()))
    except Exception:  # noqa: BLE001 - the marks are a courtesy; the page works without them
        return {}


def select_exercise(lang: str) -> Exercise:
    """The picker; `?exercise=<slug>` opens an exercise and the URL follows the selection, so a view can be shared.
    (Its labels carry no status: a label that changes after a run would make a new widget and lose the choice.)"""
    all_exercises = exercises()
    slugs = [exercise.slug for exercise in all_exercises]
    opened = slug_to_open(st.query_params.get(EXERCISE_PARAM), slugs, st.session_state.get(URL_SLUG_KEY))
    if opened is not None:
        st.session_state[SLUG_KEY] = st.session_state[URL_SLUG_KEY] = opened
    slug = st.selectbox(t("exercises.choose", lang), slugs, format_func=exercise_titles(all_exercises, lang).get,
                        key=SLUG_KEY)
    if st.query_params.get(EXERCISE_PARAM) != slug:
        st.query_params[EXERCISE_PARAM] = st.session_state[URL_SLUG_KEY] = slug
    return get_exercise(slug)


def draw_prompt(exercise: Exercise, lang: str) -> None:
    """The prompt, difficulty and names to define, and links to related questions and sandbox presets."""
    st.markdown(exercise.text("prompt", lang))
    st.caption(" · ".join([t("exercises.difficulty", lang, stars=stars(exercise.difficulty)),
                           t("exercises.define", lang, names=", ".join(f"`{name}`" for name in exercise.functions))]))
    related = related_question_titles(exercise, shell.bank_result().questions, lang)
    if related or exercise.sandbox_presets:
        with st.expander(t("exercises.related_links", lang, count=len(related) + len(exercise.sandbox_presets))):
            for qid, title in related:
                st.page_link(PRACTICE.path, label=title, query_params={QUESTION_PARAM: qid}, icon=":material/style:")
            for preset in exercise.sandbox_presets:
                st.page_link(SANDBOX.path, label=t("exercises.open_preset", lang, preset=preset),
                             query_params={PRESET_PARAM: preset}, icon=":material/science:")
    if default_isolation() == "limits-only":
        st.warning(f"**{t('exercises.isolation_warning', lang)}** {LIMITS_ONLY_WARNING}", icon="⚠️")


def draw_editor(keys: Keys, lang: str) -> bool:
    """The code editor (a text area when the component is missing or turned off); True when Ctrl+Enter was pressed
    inside the editor."""
    st.subheader(t("exercises.editor", lang))
    plain = st.toggle(t("exercises.plain_editor", lang), key="exercises.plain_editor", value=code_editor is None,
                      disabled=code_editor is None)
    version = st.session_state[keys.version]
    if plain or code_editor is None:
        with st.container(key="exercises_plain_editor"):
            st.session_state[keys.code] = st.text_area(
                t("exercises.editor", lang), value=st.session_state[keys.code], height=420,
                label_visibility="collapsed", key=f"exercises.text.{keys.slug}.{version}")
        return False
    response = code_editor(st.session_state[keys.code], lang="python", height=[18, 40], response_mode="blur",
                           key=f"exercises.editor.{keys.slug}.{version}", props=EDITOR_PROPS,
                           options={"showLineNumbers": True, "tabSize": 4, "useSoftTabs": True})
    st.caption(t("exercises.editor_help", lang))
    if not (response and response.get("id")):
        return False
    st.session_state[keys.code] = response.get("text", st.session_state[keys.code])
    submitted = response.get("type") == "submit" and st.session_state.get(keys.editor_event) != response["id"]
    st.session_state[keys.editor_event] = response["id"]  # each editor event counts once
    return submitted


def reset_to_starter(exercise: Exercise, keys: Keys) -> None:
    st.session_state[keys.code] = exercise.starter
    st.session_state[keys.version] += 1
    st.session_state.pop(keys.result, None)
    st.session_state.pop(keys.scratch_result, None)


def draw_buttons(exercise: Exercise, keys: Keys, lang: str) -> bool:
    """Run (also Ctrl+Enter), reset to the starter, one more hint, give up; then the hints shown. True on Run."""
    col_run, col_reset, col_hint, col_give_up = st.columns(4)
    run_clicked = col_run.button(t("exercises.run", lang), type="primary", shortcut="Ctrl+Enter",
                                 key="exercises.run", width="stretch")
    if col_reset.button(t("exercises.reset", lang), key="exercises.reset", width="stretch"):
        reset_to_starter(exercise, keys)
        st.rerun()
    shown, total = st.session_state[keys.hints], len(exercise.hints)
    if col_hint.button(t("exercises.hint", lang, shown=shown, total=total), key="exercises.hint", width="stretch",
                       disabled=shown >= total):
        st.session_state[keys.hints] = shown = next_hint_count(shown, total)
    if col_give_up.button(t("exercises.give_up", lang), key="exercises.give_up", width="stretch"):
        st.session_state[keys.gave_up] = True
        store, _error = shell.open_store()
        if store is not None:
            with shell.store_errors():
                send_related_to_review(store, exercise, lang)
    for number in range(shown):
        st.info(f"**{t('exercises.hint_label', lang, number=number + 1)}:** {exercise.hint(number, lang)}")
    return run_clicked


def run_and_save(exercise: Exercise, keys: Keys, lang: str) -> None:
    """Run all the tests on the code in the editor, keep the result, save it as an attempt of the profile."""
    code = st.session_state[keys.code]
    with st.spinner(t("exercises.running", lang), show_time=True):
        result = run(exercise.slug, code)
    st.session_state[keys.result] = result
    store, store_error = shell.open_store()
    if store is None:
        st.caption(t("exercises.not_saved", lang, error=store_error))
        return
    try:
        record_attempt(store, shell.profile(), exercise.slug, result, code)
        st.toast(t("exercises.saved", lang, profile=shell.profile()))
        if result.get("status") != "pass":
            send_related_to_review(store, exercise, lang)
    except Exception as exc:  # noqa: BLE001 - a failing save must not hide the test results
        st.warning(t("exercises.not_saved", lang, error=exc))


def send_related_to_review(store, exercise: Exercise, lang: str) -> None:
    """A failed or abandoned attempt brings the exercise's related questions back into review (once)."""
    related = related_question_ids(exercise, shell.bank())
    sent = send_to_review(store, shell.profile(), related, "exercise", now_utc())
    if sent:
        st.toast(t("exercises.sent_to_review", lang, count=len(sent)))


def run_one_test(exercise: Exercise, keys: Keys, name: str, lang: str) -> None:
    """Run one test again on the code in the editor; its entry replaces the one in the last result (not saved as an
    attempt: an attempt runs every test)."""
    with st.spinner(t("exercises.running_one", lang, name=name), show_time=True):
        single = run(exercise.slug, st.session_state[keys.code], name)
    st.session_state[keys.result] = merge_single_test(st.session_state.get(keys.result), single)


def draw_headline(result: dict, lang: str) -> None:
    headline = verdict(result)
    if result.get("rerun"):
        st.caption(t("exercises.reran", lang, name=result["rerun"]))
    if headline["kind"] == "pass":
        st.success(t("exercises.passed_all", lang, total=headline["total"]), icon="✅")
    elif headline["kind"] == "error":
        st.error(f"{t('exercises.status_error', lang, verdict=verdict_label(headline['verdict'], lang))}\n\n"
                 f"```\n{headline['message']}\n```", icon=":material/error:")
    else:
        st.warning(t("exercises.summary", lang, passed=headline["passed"], total=headline["total"]), icon="❌")
    if result.get("tests"):
        st.progress(headline["passed"] / max(headline["total"], 1))


def draw_result(exercise: Exercise, keys: Keys, result: dict, lang: str) -> None:
    """The verdict, a progress bar, and one expander per test in file order with the first failure open; each test
    can be run again on its own."""
    draw_headline(result, lang)
    first_failure = verdict(result)["first_failure"]
    for index, test in enumerate(result.get("tests") or []):
        with st.expander(f"{TEST_ICONS[test['status']]} {test['name']}", expanded=index == first_failure):
            if st.button(t("exercises.run_one", lang), key=f"exercises.run_one.{index}", icon=":material/replay:"):
                run_one_test(exercise, keys, test["name"], lang)
                st.rerun()
            if test.get("message"):
                st.code(test["message"], language=None)
            if test.get("output"):
                st.caption(t("exercises.test_output", lang))
                st.code(test["output"], language=None)
            st.caption(t("exercises.test_code", lang))
            st.code(test.get("test_code") or "", language="python")


def draw_scratch(exercise: Exercise, keys: Keys, lang: str) -> None:
    """"Run with my input": a cell run after the solution in the same sandbox; its printed output and values."""
    with st.expander(t("exercises.scratch", lang), expanded=keys.scratch_result in st.session_state):
        st.caption(t("exercises.scratch_help", lang))
        with st.container(key="exercises_scratch"):
            cell = st.text_area(t("exercises.scratch", lang), key=keys.scratch, height=150,
                                label_visibility="collapsed", placeholder="import torch\nx = torch.randn(4, 8)\n...")
        if st.button(t("exercises.scratch_run", lang), key="exercises.scratch_run", icon=":material/play_arrow:"):
            with st.spinner(t("exercises.running_cell", lang), show_time=True):
                st.session_state[keys.scratch_result] = run(exercise.slug, st.session_state[keys.code],
                                                            scratch=cell or "")
        result = st.session_state.get(keys.scratch_result)
        if result is not None:
            draw_scratch_result(result, lang)


def draw_scratch_result(result: dict, lang: str) -> None:
    values = (result.get("scratch") or {}).get("values") or []
    if result.get("output"):
        st.caption(t("exercises.scratch_output", lang))
        st.code(result["output"], language=None)
    for value in values:
        st.caption(t("exercises.scratch_value_line", lang, line=value["line"]))
        st.code(value["value"], language=None)
    if result["status"] != "pass":
        verdict_text = verdict_label(result["verdict"], lang)
        st.error(f"{t('exercises.scratch_error', lang, verdict=verdict_text)}\n\n```\n{result['message']}\n```",
                 icon=":material/error:")
    elif not values and not result.get("output"):
        st.caption(t("exercises.scratch_nothing", lang))


def draw_overview(statuses: dict[str, dict], lang: str) -> None:
    """Every exercise the profile has run: solved ✓ or attempted, the best run, the number of runs."""
    rows = status_rows(statuses, exercises(), lang)
    if rows:
        with st.expander(t("exercises.overview", lang, solved=sum(row["state"] == SOLVED for row in rows),
                           total=len(exercises()))):
            st.dataframe(pd.DataFrame(exercise_status_columns(rows, lang)), hide_index=True)


def draw_attempts(status: dict | None, lang: str) -> None:
    """The profile's standing on this exercise: solved or not, how often it ran the tests, its best run."""
    if status is not None:
        solved = t("exercises.solved_mark", lang) + " · " if status["state"] == SOLVED else ""
        st.caption(solved + t("exercises.attempts", lang, count=status["attempts"], best=status["best_passed"],
                              total=status["best_total"]))


def draw_solution(exercise: Exercise, lang: str) -> None:
    """The reference: the adapter, then the moe_core source it calls."""
    st.subheader(t("exercises.solution", lang))
    for title, source in reference_sources(exercise):
        st.caption(title)
        st.code(source, language="python")


def main() -> None:
    lang = shell.lang()
    st.title(t("exercises.title", lang))
    st.caption(t("exercises.intro", lang))
    st.html(MONOSPACE_CSS)
    warm_up()
    exercise = select_exercise(lang)
    keys = Keys.of(exercise.slug)
    st.session_state.setdefault(keys.code, exercise.starter)
    st.session_state.setdefault(keys.version, 0)
    st.session_state.setdefault(keys.hints, 0)
    draw_prompt(exercise, lang)
    submitted = draw_editor(keys, lang)
    if draw_buttons(exercise, keys, lang) or submitted:
        run_and_save(exercise, keys, lang)
    draw_scratch(exercise, keys, lang)
    result = st.session_state.get(keys.result)
    if result is not None:
        draw_result(exercise, keys, result, lang)
    statuses = profile_statuses()  # after the run, which may have saved an attempt
    draw_attempts(statuses.get(exercise.slug), lang)
    draw_overview(statuses, lang)
    if solution_revealed(result, st.session_state.get(keys.gave_up, False)):
        draw_solution(exercise, lang)


main()
