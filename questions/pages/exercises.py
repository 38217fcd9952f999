"""Exercises page: pick an exercise, edit the starter code, run its tests in the sandbox, reveal hints and the solution."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from questions.exercises import (LIMITS_ONLY_WARNING, Exercise, check_solution, default_isolation, exercises,
                                 get_exercise, related_question_ids)
from questions.exercises.catalog import reference_sources
from questions.exercises.view import (TEST_ICONS, best_attempt, exercise_titles, next_hint_count, record_attempt,
                                      slug_to_open, solution_revealed, stars, verdict)
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.routes import EXERCISE_PARAM, PRACTICE, PRESET_PARAM, QUESTION_PARAM, SANDBOX

try:
    from code_editor import code_editor
except ImportError:  # pragma: no cover - the text area below is the fallback
    code_editor = None

SLUG_KEY = "exercises.slug"          # the picker
URL_SLUG_KEY = "exercises.url_slug"  # the slug the URL named last, so a followed link is not followed again


@dataclass(frozen=True)
class Keys:
    """The session-state keys of one exercise ("exercises.<what>.<slug>"), so each exercise keeps its own code,
    editor version (a new one remounts the editor), last result, hints shown, given-up flag and last editor event."""
    slug: str
    code: str
    version: str
    result: str
    hints: str
    gave_up: str
    editor_event: str

    @classmethod
    def of(cls, slug: str) -> "Keys":
        return cls(slug, *(f"exercises.{what}.{slug}"
                           for what in ("code", "version", "result", "hints", "gave_up", "editor_event")))


def select_exercise(lang: str) -> Exercise:
    """The picker; `?exercise=<slug>` opens an exercise and the URL follows the selection, so a view can be shared."""
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
    related = related_question_ids(exercise, shell.bank_result().questions)
    if related or exercise.sandbox_presets:
        with st.expander(t("exercises.related_links", lang, count=len(related) + len(exercise.sandbox_presets))):
            for qid in related:
                st.page_link(PRACTICE.path, label=qid, query_params={QUESTION_PARAM: qid}, icon=":material/style:")
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
        st.session_state[keys.code] = st.text_area(
            t("exercises.editor", lang), value=st.session_state[keys.code], height=420, label_visibility="collapsed",
            key=f"exercises.text.{keys.slug}.{version}")
        return False
    response = code_editor(st.session_state[keys.code], lang="python", height=[18, 40], response_mode="debounce",
                           key=f"exercises.editor.{keys.slug}.{version}",
                           options={"showLineNumbers": True, "tabSize": 4})
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
    for number in range(shown):
        st.info(f"**{t('exercises.hint_label', lang, number=number + 1)}:** {exercise.hint(number, lang)}")
    return run_clicked


def run_and_save(exercise: Exercise, keys: Keys, lang: str) -> None:
    """Run the tests on the code in the editor, keep the result, save it as an attempt of the profile."""
    code = st.session_state[keys.code]
    with st.spinner(t("exercises.running", lang), show_time=True):
        result = check_solution(exercise, code)
    st.session_state[keys.result] = result
    store, store_error = shell.open_store()
    if store is None:
        st.caption(t("exercises.not_saved", lang, error=store_error))
        return
    try:
        record_attempt(store, shell.profile(), exercise.slug, result, code)
        st.toast(t("exercises.saved", lang, profile=shell.profile()))
    except Exception as exc:  # noqa: BLE001 - a failing save must not hide the test results
        st.warning(t("exercises.not_saved", lang, error=exc))


def draw_result(result: dict, lang: str) -> None:
    """The verdict, a progress bar, and one expander per test in file order with the first failure open."""
    headline = verdict(result)
    if headline["kind"] == "pass":
        st.success(t("exercises.passed_all", lang, total=headline["total"]), icon="✅")
    elif headline["kind"] == "error":
        st.error(f"{t('exercises.status_error', lang, verdict=headline['verdict'])}\n\n"
                 f"```\n{headline['message']}\n```", icon="🛑")
    else:
        st.warning(t("exercises.summary", lang, passed=headline["passed"], total=headline["total"]), icon="❌")
    if result.get("tests"):
        st.progress(headline["passed"] / max(headline["total"], 1))
    for index, test in enumerate(result.get("tests") or []):
        with st.expander(f"{TEST_ICONS[test['status']]} {test['name']}", expanded=index == headline["first_failure"]):
            if test.get("message"):
                st.code(test["message"], language=None)
            if test.get("output"):
                st.caption(t("exercises.test_output", lang))
                st.code(test["output"], language=None)
            st.caption(t("exercises.test_code", lang))
            st.code(test.get("test_code") or "", language="python")


def draw_attempts(slug: str, lang: str) -> None:
    """How often the profile ran this exercise and its best run."""
    store, _error = shell.open_store()
    if store is None:
        return
    try:
        attempts = store.attempts.list(shell.profile(), slug)
    except Exception:  # noqa: BLE001 - the count is a courtesy; the page works without it
        return
    best = best_attempt(attempts)
    if best is not None:
        st.caption(t("exercises.attempts", lang, count=len(attempts), best=best["passed"], total=best["total"]))


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
    exercise = select_exercise(lang)
    keys = Keys.of(exercise.slug)
    st.session_state.setdefault(keys.code, exercise.starter)
    st.session_state.setdefault(keys.version, 0)
    st.session_state.setdefault(keys.hints, 0)
    draw_prompt(exercise, lang)
    submitted = draw_editor(keys, lang)
    if draw_buttons(exercise, keys, lang) or submitted:
        run_and_save(exercise, keys, lang)
    result = st.session_state.get(keys.result)
    if result is not None:
        draw_result(result, lang)
    draw_attempts(exercise.slug, lang)
    if solution_revealed(result, st.session_state.get(keys.gave_up, False)):
        draw_solution(exercise, lang)


main()
