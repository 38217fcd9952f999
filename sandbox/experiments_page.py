"""The sandbox's guided experiments: list them, open one (its starting setting becomes setting A), check the goal live.

`apply_url_experiment()` runs before the sandbox's widgets are drawn (`?experiment=<id>` applies once per session,
settings the URL gives as well win, as with presets); `draw_experiments(simulation, training)` draws the list and the
open experiment, checked against setting A's routing and the training runs. Progress is saved per profile.
"""
from __future__ import annotations

import streamlit as st

from questions.bank.titles import question_title
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.routes import EXPERIMENT_PARAM, PRACTICE, QUESTION_PARAM
from sandbox import settings as widgets
from sandbox.experiments import EXPERIMENTS, Experiment, run_check

APPLIED = "sb.applied_experiment"  # the experiment whose starting setting this session applied last
STATE_ICONS = {"passed": ":green[:material/check_circle:]", "started": ":orange[:material/science:]",
               "new": ":gray[:material/radio_button_unchecked:]"}


def tr(key: str, **fmt) -> str:
    return t(f"experiments.{key}", shell.lang(), **fmt)


def text(bilingual: dict) -> str:
    return bilingual.get(shell.lang()) or bilingual["en"]


def tab_name(experiment: Experiment) -> str:
    """The sandbox tab where the experiment's settings are (its kind names it: Simulate or Train)."""
    return t(f"sandbox.section.{experiment.kind}", shell.lang())


def starting_values(experiment: Experiment) -> dict:
    """Session-state values of setting A's and the training's widgets for the experiment's starting setting."""
    return widgets.widget_values({**widgets.DEFAULT_SETTINGS, **experiment.settings},
                                 {**widgets.DEFAULT_TRAIN, **experiment.train})


def record(action: str, experiment_id: str) -> None:
    """Save a start or a pass in the profile's progress; a broken database shows the store's error box."""
    opened, _error = shell.open_store()
    if opened is not None:
        with shell.store_errors():
            getattr(opened.experiments, action)(shell.profile(), experiment_id)


def start_experiment(experiment_id: str, skip=()) -> None:
    """Apply the starting setting (except the keys in `skip`), name the experiment in the URL, note the start.

    A button's on_click or the URL step before the widgets are drawn: widget values may still change then."""
    values = starting_values(EXPERIMENTS[experiment_id])
    st.session_state.update({key: value for key, value in values.items() if key not in set(skip)})
    st.session_state[APPLIED] = experiment_id
    st.query_params[EXPERIMENT_PARAM] = experiment_id
    record("start", experiment_id)


def apply_url_experiment() -> None:
    """?experiment=<id>: apply its starting setting once per session (call before the sandbox's widgets)."""
    wanted = st.query_params.get(EXPERIMENT_PARAM)
    if not wanted or wanted == st.session_state.get(APPLIED):
        return
    if wanted not in EXPERIMENTS:
        st.warning(tr("unknown", experiment=wanted, known=", ".join(EXPERIMENTS)))
        return
    start_experiment(wanted, skip=set(st.query_params))


def progress() -> dict:
    """The profile's experiment progress ({} when the database cannot be opened)."""
    opened, _error = shell.open_store()
    if opened is None:
        return {}
    with shell.store_errors():
        return opened.experiments.progress(shell.profile())


def draw_check(experiment: Experiment, simulation, training, passed_before: bool) -> bool:
    """The live check of the open experiment; the first pass is saved. True when this run saved it."""
    result = run_check(experiment, simulation, training)
    if result is None:
        st.info(tr(f"waiting.{experiment.kind}", tab=tab_name(experiment)))
        return False
    if not result.passed:
        st.warning(f"{tr('not_yet')} {text(result.explanation)}", icon=":material/science:")
        return False
    st.success(f"{tr('passed')} {text(result.explanation)}", icon=":material/check_circle:")
    if not passed_before:
        record("mark_passed", experiment.id)
    return not passed_before


def draw_open(experiment: Experiment, simulation, training, entry: dict | None) -> bool:
    """The open experiment: its question, goal, live check, related questions and a way back to its start. True when
    it was passed for the first time in this run."""
    st.markdown(f"#### {text(experiment.title)}")
    st.markdown(f"**{text(experiment.question)}**")
    st.markdown(f"{tr('goal')} {text(experiment.goal)}")
    st.caption(tr(f"where.{experiment.kind}", tab=tab_name(experiment)))
    newly_passed = draw_check(experiment, simulation, training, bool(entry and entry.get("passed_at")))
    st.button(tr("restart"), key=f"sb.exp.restart.{experiment.id}", on_click=start_experiment,
              args=(experiment.id,), icon=":material/restart_alt:")
    by_id = shell.bank_index()["by_id"]
    for question_id in experiment.question_ids:
        if question_id in by_id:
            st.page_link(PRACTICE.path, label=question_title(by_id[question_id], shell.lang()),
                         query_params={QUESTION_PARAM: question_id}, icon=PRACTICE.icon)
    return newly_passed


def draw_list(done: dict, open_id: str | None) -> None:
    """Every experiment: its state for this profile, its question and a start button."""
    for experiment in EXPERIMENTS.values():
        entry = done.get(experiment.id) or {}
        state = "passed" if entry.get("passed_at") else "started" if entry else "new"
        mark, words, button = st.columns([0.5, 9, 2], vertical_alignment="center")
        mark.markdown(STATE_ICONS[state])
        words.markdown(f"**{text(experiment.title)}** · {text(experiment.question)}")
        button.button(tr("reopen" if experiment.id == open_id else "start"), key=f"sb.exp.start.{experiment.id}",
                      on_click=start_experiment, args=(experiment.id,), width="stretch")


def draw_experiments(simulation=None, training=None) -> None:
    """The experiments tab: the open experiment checked live (setting A's SimulationResult, the training runs
    {method: TrainResult}), then the list with this profile's progress."""
    done = progress()
    intro = st.empty()  # filled last: a pass saved by this run's check counts
    open_id = st.session_state.get(APPLIED)
    if open_id in EXPERIMENTS:
        with st.container(border=True):
            if draw_open(EXPERIMENTS[open_id], simulation, training, done.get(open_id)):
                done = progress()
    passed = sum(1 for entry in done.values() if entry.get("passed_at"))
    intro.caption(tr("intro", passed=passed, total=len(EXPERIMENTS)))
    draw_list(done, open_id)
