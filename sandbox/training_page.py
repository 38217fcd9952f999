"""The sandbox's Train and Expert-parallel tabs: live training (Play / Pause / Step / Reset over curves and a heatmap
that grow while a TrainingRun trains in its thread) and the multi-process run of setting A's layer.

Also the sandbox tabs' shared helpers: the URL binding, the chart config, `tr` and translated option names.
"""
from __future__ import annotations

import gc

import streamlit as st

from questions.ui import shell
from questions.ui.i18n import t
from sandbox import display, figures
from sandbox import settings as widgets
from sandbox.parallel_run import EPRunError, local_rank_limit, run_expert_parallel, world_size_for
from sandbox.train import BALANCE_METHODS, TrainingRun, continue_or_restart

URL = {"bind": "query-params"}  # every setting widget writes its value into the URL
CHART = {"config": figures.PLOTLY_CONFIG}
LIVE_REDRAW_S = 0.15  # live training: the curves are redrawn this often while the run trains in its thread
FROZEN: set[str] = set()  # the moments at which this process froze its objects (freeze_loaded_objects)


def tr(key: str, **fmt) -> str:
    return t(f"sandbox.{key}", shell.lang(), **fmt)


def option_names(prefix: str):
    """A format_func showing option `name` as the text sandbox.<prefix>.<name>, in the language of this run (AppTest
    calls it after the run)."""
    lang = shell.lang()
    return lambda name: t(f"sandbox.{prefix}.{name}", lang)


# ---- live training ---------------------------------------------------------------------------------------------------
def draw_training_controls() -> None:
    columns = st.columns([3, 1, 1, 1, 1])
    columns[0].multiselect(tr("train.balances"), list(BALANCE_METHODS), widgets.default("sb.balances"),
                           key="sb.balances", format_func=option_names("balance"),
                           help=tr("help.train.balances"))
    columns[1].select_slider(tr("train.steps"), widgets.STEP_CHOICES, widgets.default("sb.steps"), key="sb.steps",
                             **URL)
    columns[2].slider(tr("train.zipf"), 0.0, 3.0, widgets.default("sb.train_zipf"), step=0.1, key="sb.train_zipf",
                      help=tr("help.train.zipf"), **URL)
    columns[3].slider(tr("train.hot"), 0.0, 4.0, widgets.default("sb.train_hot"), step=0.5, key="sb.train_hot",
                      help=tr("help.train.hot"), **URL)
    columns[4].select_slider(tr("train.aux_coef"), widgets.AUX_COEF_CHOICES, widgets.default("sb.aux_coef"),
                             key="sb.aux_coef", help=tr("help.train.aux_coef"), **URL)


def set_playing(playing: bool) -> None:
    """Play or Pause. It sets the state rather than toggling it: Streamlit may deliver a click twice (a trigger
    replayed after an interrupted fragment run), and a toggle would then pause and play again."""
    st.session_state["sb.playing"] = playing
    if not playing and "sb.live" in st.session_state:
        # stop the thread now, at the start of the rerun: the rest of the rerun then does not share the GIL with it
        st.session_state["sb.live"].pause()


def step_once() -> None:
    st.session_state["sb.playing"] = False
    run = st.session_state["sb.live"]
    run.pause()
    run.step(widgets.STEP_BUTTON_STEPS)


def reset_run() -> None:
    run = st.session_state["sb.live"]
    run.pause()
    st.session_state["sb.live"] = TrainingRun(list(run.lanes), **run.settings)
    st.session_state["sb.live_change"] = "reset"
    st.session_state["sb.playing"] = False


def current_run(seed: int) -> TrainingRun | None:
    """The live run for the training widgets: kept in session state between reruns; a changed setting continues it
    from its current weights where it can, else restarts it (continue_or_restart). None without a balance method."""
    balances, kwargs = widgets.train_settings_from_state(st.session_state, seed)
    if not balances:
        return None
    run, change = continue_or_restart(st.session_state.get("sb.live"), balances, **kwargs)
    if change != "unchanged":
        st.session_state["sb.live_change"] = change
    st.session_state["sb.live"] = run
    return run


def freeze_loaded_objects(moment: str) -> None:
    """Once per process and moment ("loaded": the first page run; "training": the first Play): Streamlit collects
    garbage after every script run (runner.postScriptGC), and over the objects of torch, plotly and pandas a full
    collection takes ~0.2 s holding the GIL: every rerun waits for it, and so does the training thread at every
    redraw. The objects alive at that moment are collected once and then moved out of the collector's sight
    (gc.freeze); what later runs create is collected as before."""
    if moment not in FROZEN:
        FROZEN.add(moment)
        gc.collect()
        gc.freeze()


def draw_training(settings_a: dict, labels: dict) -> None:
    """Live training of a tiny layer, one lane per balance method: Play / Pause, Step and Reset over curves and a
    heatmap that grow while it runs."""
    st.caption(tr("train.intro"))
    draw_training_controls()
    run = current_run(settings_a["seed"])
    if run is None:
        st.info(tr("disabled.no_balances"))
        return
    playing = st.session_state.get("sb.playing", False) and not run.done
    st.session_state["sb.playing"] = playing
    if playing:
        freeze_loaded_objects("training")
        run.start()
    else:
        run.pause()
    columns = st.columns([1, 1, 1, 4])
    columns[0].button(tr("live.pause" if playing else "live.play"), key="sb.pause" if playing else "sb.play",
                      on_click=set_playing, args=(not playing,),
                      icon=":material/pause:" if playing else ":material/play_arrow:",
                      type="primary", disabled=run.done, help=tr("live.done_help") if run.done else None,
                      width="stretch")
    columns[1].button(tr("live.step", n=widgets.STEP_BUTTON_STEPS), key="sb.step", on_click=step_once, disabled=run.done,
                      width="stretch")
    columns[2].button(tr("live.reset"), key="sb.reset", on_click=reset_run, icon=":material/restart_alt:",
                      width="stretch")
    change = st.session_state.pop("sb.live_change", None)
    if change in ("continued", "restarted", "reset"):
        columns[3].caption(tr(f"live.change.{change}"))
    st.fragment(draw_live_figures, run_every=LIVE_REDRAW_S if playing else None)(labels)


def draw_live_figures(labels: dict) -> None:
    """A fragment, rerun every LIVE_REDRAW_S while playing: the curves, the heatmap and the summaries so far."""
    run = st.session_state["sb.live"]
    if st.session_state.get("sb.playing") and run.done:  # a full rerun stops the timer and turns Pause into Play
        st.session_state["sb.playing"] = False
        st.rerun()
    history = run.snapshot()
    status = display.training_status(run, history)
    st.progress(status["step"] / status["total"], text=tr("live.status", **status))
    method_names = {method: tr(f"balance.{method}") for method in BALANCE_METHODS}
    curves, heatmap = st.columns([3, 2])
    curves.plotly_chart(figures.training_figure(history, labels, method_names, run.steps),
                        key="sb_training", **CHART)
    heatmap.plotly_chart(figures.expert_load_heatmap(history, labels, method_names, run.steps),
                         key="sb_heatmap", **CHART)
    summaries = {method: display.training_summary(result) for method, result in history.items()}
    lines = [tr("train.summary", method=method_names[method], **summary)
             for method, summary in summaries.items() if summary]
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))


# ---- the expert-parallel run -----------------------------------------------------------------------------------------
def run_ep(world_size: int, tokens: int, run_settings: dict, key: tuple, cancel_place) -> None:
    """The multi-process run with a progress bar and a Cancel button (a click reruns the page, which stops the run
    at its next progress update; run_local stops every rank on the way out); its result (under its settings' key) in
    session state and a flag in the URL, so the link opens with the run done again. A failure is named on the page."""
    cancel_place.button(tr("cancel"), key="sb.ep_cancel")
    bar = st.progress(0.0, text=tr("ep.starting", n=world_size))
    try:
        result = run_expert_parallel(world_size, tokens=tokens, **run_settings, progress=lambda fraction, message:
                                     bar.progress(min(1.0, fraction), text=message))
    except (ValueError, EPRunError) as error:
        st.error(tr("invalid", error=error), icon="🚫")
        return
    finally:
        bar.empty()
        cancel_place.empty()
    if not result.cancelled:
        st.session_state["sb.ep_result"] = (key, result)
        st.query_params[widgets.EP_RAN_PARAM] = "true"


def draw_expert_parallel(settings_a: dict, error_a: str | None, labels: dict) -> None:
    """Setting A's layer on as many local processes as A has expert-parallel ranks (capped to this machine): the
    real all-to-all traffic, timings and the check against the single-process layer."""
    st.caption(tr("ep.intro"))
    world_size = world_size_for(settings_a["ep_size"])
    st.markdown(tr("ep.setting", experts=settings_a["num_experts"], k=settings_a["top_k"],
                   router=tr(f"opt.router.{settings_a['router']}"), ranks=settings_a["ep_size"], n=world_size)
                + (" " + tr("ep.capped", limit=local_rank_limit()) if world_size < settings_a["ep_size"] else ""))
    columns = st.columns([1, 1, 3], vertical_alignment="bottom")
    ep_tokens = columns[0].selectbox(tr("ep.tokens"), widgets.EP_TOKENS,
                                     widgets.EP_TOKENS.index(widgets.EP_TOKENS_DEFAULT), key="sb.ep_tokens", **URL)
    reason = "invalid_a" if error_a else "one_rank" if world_size < 2 else None
    run_settings = widgets.ep_run_settings(settings_a)
    key = (world_size, ep_tokens, tuple(sorted(run_settings.items())))
    clicked = columns[1].button(tr("ep.run", n=world_size), key="sb.ep_run", type="primary", disabled=bool(reason),
                                help=tr(f"disabled.{reason}") if reason else None)
    if reason:
        st.caption(f"🔒 {tr(f'disabled.{reason}')}")
    stored = st.session_state.get("sb.ep_result")
    url_asks = st.query_params.get(widgets.EP_RAN_PARAM) == "true" and stored is None  # a link opened with the run done
    if not reason and (clicked or url_asks):
        run_ep(world_size, ep_tokens, run_settings, key, columns[2].empty())
        stored = st.session_state.get("sb.ep_result")
    elif st.session_state.get("sb.ep_cancel"):
        st.info(tr("cancelled"))
    if stored is not None:
        stored_key, ep_result = stored
        if stored_key != key:
            st.caption(tr("ep.stale"))
            st.query_params.pop(widgets.EP_RAN_PARAM, None)  # the URL no longer describes the result shown
        draw_ep_result(ep_result, labels)


def draw_ep_result(ep_result, labels: dict) -> None:
    verdict = tr("ep.match" if ep_result.matches else "ep.mismatch", diff=ep_result.max_abs_diff)
    (st.success if ep_result.matches else st.error)(verdict)
    left, right = st.columns(2)
    left.plotly_chart(figures.traffic_figure(ep_result.traffic, labels,
                                             tr("ep.traffic_title", n=ep_result.world_size)), key="sb_ep_traffic",
                      **CHART)
    headers = {"rank": tr("fig.rank"), **{column: tr(f"ep.{column}") for column in display.EP_COLUMNS[1:]}}
    right.dataframe([{headers[column]: value for column, value in row.items()}
                     for row in display.ep_rank_rows(ep_result)], hide_index=True)
    right.caption(tr("ep.wall", seconds=ep_result.wall_seconds))
