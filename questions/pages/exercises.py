"""Exercises page: pick an exercise, edit the starter code, run its tests in the sandbox, reveal hints and the solution."""
from __future__ import annotations

import streamlit as st

from questions.exercises import check_solution, default_isolation, exercises, get_exercise, related_question_ids
from questions.exercises.catalog import reference_sources
from questions.exercises.runner import LIMITS_ONLY_WARNING, result_summary
from questions.ui.i18n import t

from questions.ui import shell as common
from questions.ui.routes import EXERCISE_PARAM, PRACTICE, PRESET_PARAM, QUESTION_PARAM, SANDBOX

try:
    from code_editor import code_editor
except ImportError:  # pragma: no cover - the text area below is the fallback
    code_editor = None


lang = common.lang()
st.title(t("exercises.title", lang))
st.caption(t("exercises.intro", lang))

all_exercises = exercises()
slugs = [e.slug for e in all_exercises]
titles = {e.slug: f"{e.text('title', lang)}  {'★' * e.difficulty}" for e in all_exercises}
# ?exercise=<slug> opens an exercise (links from the bank); the URL follows the selection so a view can be shared
from_url = st.query_params.get(EXERCISE_PARAM)
if from_url in slugs and st.session_state.get("exercises.url_slug") != from_url:
    st.session_state["exercises.slug"] = st.session_state["exercises.url_slug"] = from_url
slug = st.selectbox(t("exercises.choose", lang), slugs, format_func=titles.get, key="exercises.slug")
if st.query_params.get(EXERCISE_PARAM) != slug:
    st.query_params[EXERCISE_PARAM] = st.session_state["exercises.url_slug"] = slug
exercise = get_exercise(slug)

code_key, version_key = f"exercises.code.{slug}", f"exercises.version.{slug}"
result_key, hints_key, gave_up_key = f"exercises.result.{slug}", f"exercises.hints.{slug}", f"exercises.gave_up.{slug}"
st.session_state.setdefault(code_key, exercise.starter)
st.session_state.setdefault(version_key, 0)
st.session_state.setdefault(hints_key, 0)

st.markdown(exercise.text("prompt", lang))
meta = [t("exercises.difficulty", lang, stars="★" * exercise.difficulty),
        t("exercises.define", lang, names=", ".join(f"`{name}`" for name in exercise.functions))]
st.caption(" · ".join(meta))
related = related_question_ids(exercise, common.bank_result().questions)
if related or exercise.sandbox_presets:
    with st.expander(t("exercises.related_links", lang, count=len(related) + len(exercise.sandbox_presets))):
        for qid in related:
            st.page_link(PRACTICE.path, label=qid, query_params={QUESTION_PARAM: qid}, icon=":material/style:")
        for preset in exercise.sandbox_presets:
            st.page_link(SANDBOX.path, label=t("exercises.open_preset", lang, preset=preset),
                         query_params={PRESET_PARAM: preset}, icon=":material/science:")

if default_isolation() == "limits-only":
    st.warning(f"**{t('exercises.isolation_warning', lang)}** {LIMITS_ONLY_WARNING}", icon="⚠️")

# ---- the editor -------------------------------------------------------------------------------------------------------
st.subheader(t("exercises.editor", lang))
plain = st.toggle(t("exercises.plain_editor", lang), key="exercises.plain_editor", value=code_editor is None,
                  disabled=code_editor is None)
submitted_from_editor = False
if plain or code_editor is None:
    st.session_state[code_key] = st.text_area(
        t("exercises.editor", lang), value=st.session_state[code_key], height=420, label_visibility="collapsed",
        key=f"exercises.text.{slug}.{st.session_state[version_key]}")
else:
    response = code_editor(st.session_state[code_key], lang="python", height=[18, 40], response_mode="debounce",
                           key=f"exercises.editor.{slug}.{st.session_state[version_key]}",
                           options={"showLineNumbers": True, "tabSize": 4})
    if response and response.get("id"):
        st.session_state[code_key] = response.get("text", st.session_state[code_key])
        seen_key = f"exercises.editor_event.{slug}"
        if response.get("type") == "submit" and st.session_state.get(seen_key) != response["id"]:
            submitted_from_editor = True  # Ctrl+Enter inside the editor
        st.session_state[seen_key] = response["id"]
    st.caption(t("exercises.editor_help", lang))

col_run, col_reset, col_hint, col_give_up = st.columns(4)
run_clicked = col_run.button(t("exercises.run", lang), type="primary", shortcut="Ctrl+Enter", key="exercises.run",
                             width="stretch")
if col_reset.button(t("exercises.reset", lang), key="exercises.reset", width="stretch"):
    st.session_state[code_key] = exercise.starter
    st.session_state[version_key] += 1  # a new editor key remounts it with the starter code
    st.session_state.pop(result_key, None)
    st.rerun()
shown = st.session_state[hints_key]
if col_hint.button(t("exercises.hint", lang, shown=shown, total=len(exercise.hints)), key="exercises.hint",
                   width="stretch", disabled=shown >= len(exercise.hints)):
    st.session_state[hints_key] = shown = min(shown + 1, len(exercise.hints))
if col_give_up.button(t("exercises.give_up", lang), key="exercises.give_up", width="stretch"):
    st.session_state[gave_up_key] = True

for number in range(shown):
    st.info(f"**{t('exercises.hint_label', lang, number=number + 1)}:** {exercise.hint(number, lang)}")

# ---- running the tests --------------------------------------------------------------------------------------------------
store, store_error = common.open_store()
if run_clicked or submitted_from_editor:
    code = st.session_state[code_key]
    with st.spinner(t("exercises.running", lang), show_time=True):
        result = check_solution(exercise, code)
    st.session_state[result_key] = result
    summary = result_summary(result)
    if store is not None:
        try:
            store.record_exercise_attempt(common.profile(), slug, result["status"], summary["passed"], summary["total"], code)
            st.toast(t("exercises.saved", lang, profile=common.profile()))
        except Exception as exc:  # noqa: BLE001 - a failing save must not hide the test results
            st.warning(t("exercises.not_saved", lang, error=exc))
    else:
        st.caption(t("exercises.not_saved", lang, error=store_error))

result = st.session_state.get(result_key)
if result is not None:
    summary = result_summary(result)
    if result["status"] == "pass":
        st.success(t("exercises.passed_all", lang, total=summary["total"]), icon="✅")
    elif result["status"] == "error":
        st.error(f"{t('exercises.status_error', lang, verdict=result.get('verdict', 'error'))}\n\n"
                 f"```\n{result.get('message') or ''}\n```", icon="🛑")
    else:
        st.warning(t("exercises.summary", lang, passed=summary["passed"], total=summary["total"]), icon="❌")
    if result.get("tests"):
        st.progress(summary["passed"] / max(summary["total"], 1))
    for index, test in enumerate(result.get("tests") or []):
        icon = {"pass": "✅", "fail": "❌", "error": "⚠️"}[test["status"]]
        with st.expander(f"{icon} {test['name']}", expanded=index == summary["first_failure"]):
            if test.get("message"):
                st.code(test["message"], language=None)
            if test.get("output"):
                st.caption(t("exercises.test_output", lang))
                st.code(test["output"], language=None)
            st.caption(t("exercises.test_code", lang))
            st.code(test.get("test_code") or "", language="python")

if store is not None:
    try:
        attempts = store.exercise_attempts(common.profile(), slug)
    except Exception:  # noqa: BLE001
        attempts = []
    if attempts:
        best = max(attempts, key=lambda a: (a["passed"], -a["total"]))
        st.caption(t("exercises.attempts", lang, count=len(attempts), best=best["passed"], total=best["total"]))

if (result is not None and result["status"] == "pass") or st.session_state.get(gave_up_key):
    st.subheader(t("exercises.solution", lang))
    for title, source in reference_sources(exercise):
        st.caption(title)
        st.code(source, language="python")
