"""Sandbox page: change the routing, see expert load, drops, balance losses, training dynamics and EP traffic."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from moe_core import DROP_POLICIES
from questions.bank.titles import question_title
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.routes import PRACTICE, PRESET_PARAM, QUESTION_PARAM
from sandbox import display, figures
from sandbox import settings as widgets
from sandbox.parallel_run import EPRunError, run_expert_parallel
from sandbox.presets import PRESETS
from sandbox.related import related_questions
from sandbox.simulate import MAX_D_MODEL, MAX_EXPERTS, SKEWS, simulate
from sandbox.train import BALANCE_METHODS, compare

URL = {"bind": "query-params"}  # every setting widget writes its value into the URL


def tr(key: str, **fmt) -> str:
    return t(f"sandbox.{key}", shell.lang(), **fmt)


def help_caption(key: str) -> None:
    st.caption(tr(f"help.{key}"))


# ---- presets ---------------------------------------------------------------------------------------------------------
def apply_preset(preset_id: str, skip=()) -> None:
    for key, value in widgets.preset_values(preset_id, skip).items():
        st.session_state[key] = value
    st.session_state["sb.applied_preset"] = preset_id


def preset_chosen() -> None:
    """on_change of the preset picker: apply the preset and name it in the URL (or drop it from the URL)."""
    chosen = st.session_state.get("sb.preset_pick")
    if chosen in PRESETS:
        apply_preset(chosen)
        st.query_params[PRESET_PARAM] = chosen
    elif PRESET_PARAM in st.query_params:
        del st.query_params[PRESET_PARAM]


def apply_url_preset() -> None:
    """?preset=<id> applies once; settings already in the URL win (a shared, tweaked view reproduces)."""
    url_preset = st.query_params.get(PRESET_PARAM)
    step = widgets.url_preset_step(url_preset, st.session_state.get("sb.applied_preset"))
    if step == "unknown":
        st.warning(tr("unknown_preset", preset=url_preset, presets=", ".join(PRESETS)))
    elif step == "apply":
        apply_preset(url_preset, skip=set(st.query_params))
        st.session_state["sb.preset_pick"] = url_preset


# ---- controls --------------------------------------------------------------------------------------------------------
def number(label: str, key: str, low, high, **kwargs):
    return st.number_input(tr(label), low, high, widgets.default(key), key=key, **URL, **kwargs)


def choice(label: str, options: list, key: str, **kwargs):
    return st.selectbox(tr(label), options, widgets.default_index(options, key), key=key, **URL, **kwargs)


def draw_layer_controls(prefix: str, with_help: bool) -> None:
    """Experts, top-k, router, capacity, drop policy and EP ranks of one setting (prefix "sb." for A, "sb.b." for B)."""
    explain = help_caption if with_help else (lambda key: None)
    number("experts", prefix + "experts", 1, MAX_EXPERTS)
    explain("experts")
    number("top_k", prefix + "top_k", 1, 64)
    explain("top_k")
    choice("router", widgets.ROUTER_NAMES, prefix + "router")
    explain(f"router.{st.session_state[prefix + 'router']}")
    dropless = st.toggle(tr("dropless"), widgets.default(prefix + "dropless"), key=prefix + "dropless", **URL)
    number("capacity_factor", prefix + "cf", 0.0, 16.0, step=0.25, disabled=dropless)
    explain("capacity_factor")
    choice("drop_policy", list(DROP_POLICIES), prefix + "drop", disabled=dropless)
    explain("drop_policy")
    number("ep_size", prefix + "ep", 1, 256)
    explain("ep_size")


def draw_input_controls() -> None:
    """The synthetic input: skew (with its Zipf exponent or hot-expert bias) and the seed."""
    choice("skew", list(SKEWS), "sb.skew")
    help_caption(f"skew.{st.session_state['sb.skew']}")
    if st.session_state["sb.skew"] == "clustered":
        st.slider(tr("zipf"), 0.0, 3.0, widgets.default("sb.zipf"), step=0.1, key="sb.zipf", **URL)
    if st.session_state["sb.skew"] == "hot-expert":
        st.slider(tr("hot_bias"), 0.0, 8.0, widgets.default("sb.hot"), step=0.25, key="sb.hot", **URL)
    number("seed", "sb.seed", 0, 1_000_000)
    help_caption("seed")


def draw_advanced_controls() -> None:
    with st.expander(tr("advanced")):
        number("d_model", "sb.d_model", 1, MAX_D_MODEL)
        st.slider(tr("router_scale"), 0.0, 5.0, widgets.default("sb.scale"), step=0.1, key="sb.scale",
                  help=tr("help.router_scale"), **URL)
        number("num_groups", "sb.groups", 1, 64, help=tr("help.num_groups"))
        number("topk_groups", "sb.topk_groups", 1, 64, help=tr("help.topk_groups"))
        number("rsf", "sb.rsf", 0.1, 10.0, step=0.5, help=tr("help.rsf"))


def draw_controls() -> bool:
    """Every setting of A (and B when A/B is on); returns whether A/B is on."""
    st.selectbox(tr("preset"), [""] + list(PRESETS), key="sb.preset_pick", on_change=preset_chosen,
                 format_func=lambda p: tr("preset_none") if not p else p)
    if st.session_state.get("sb.preset_pick") in PRESETS:
        st.caption(PRESETS[st.session_state["sb.preset_pick"]].description[shell.lang()])
    st.select_slider(tr("tokens"), widgets.TOKEN_CHOICES, value=widgets.default("sb.tokens"), key="sb.tokens", **URL)
    help_caption("tokens")
    draw_layer_controls("sb.", with_help=True)
    draw_input_controls()
    draw_advanced_controls()
    compare_ab = st.toggle(tr("ab"), False, key="sb.ab", help=tr("help.ab"), **URL)
    if compare_ab:
        with st.container(border=True):
            st.markdown(f"**{tr('setting_b')}**")
            draw_layer_controls(widgets.B_PREFIX, with_help=False)
    return compare_ab


# ---- one routing pass: metrics and figures ---------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=128)
def cached_simulate(settings: tuple):
    return simulate(**dict(settings))


def run_simulation(settings: dict):
    """(result, None) or (None, the broken constraint); never a traceback on the page."""
    try:
        return cached_simulate(tuple(sorted(settings.items()))), None
    except ValueError as error:
        return None, str(error)


def draw_metrics(result) -> None:
    values = display.metric_texts(result)
    for row_names in (display.METRICS[:4], display.METRICS[4:]):
        for column, name in zip(st.columns(4), row_names):
            column.metric(tr(f"m.{name}"), values[name], help=tr(f"help.m.{name}"))
    if result.tokens_without_expert:
        st.caption(tr("no_expert", count=result.tokens_without_expert))


def draw_side(tab: str, name: str, result, labels: dict) -> None:
    """One setting's part of a result tab."""
    if tab == "load":
        draw_metrics(result)
        st.plotly_chart(figures.load_figure(result, labels), key=f"sb_load_{name}")
    elif tab == "ep":
        st.caption(tr("ep_caption", groups=display.experts_per_rank(result.expert_groups)))
        st.markdown(f"**{tr('fig.rank_load')}**")
        st.plotly_chart(figures.rank_load_figure(result, labels), key=f"sb_ranks_{name}")
        st.plotly_chart(figures.traffic_figure(result.traffic, labels), key=f"sb_traffic_{name}")
    else:
        st.plotly_chart(figures.weight_figure(result, labels), key=f"sb_weights_{name}")


def draw_result_tabs(sides: list, labels: dict) -> None:
    """Load, expert parallelism and weights tabs; A and B side by side, an impossible setting named in its column."""
    names = ("load", "ep", "weights")
    for tab, tab_name in zip(st.tabs([tr(f"tab.{name}") for name in names]), names):
        with tab:
            for column, (name, result, error) in zip(st.columns(len(sides)), sides):
                with column:
                    if len(sides) > 1:
                        st.markdown(f"**{tr('setting_' + name.lower())}**")
                    if error:
                        st.error(tr("invalid", error=error), icon="🚫")
                    else:
                        draw_side(tab_name, name, result, labels)


# ---- long runs: training and the expert-parallel processes -----------------------------------------------------------
@contextmanager
def progress_with_cancel(cancel_place, cancel_key: str, text: str):
    """A progress bar and a Cancel button for a run; a click reruns the page, which stops the run at its next
    progress update. Both disappear when the run ends."""
    cancel_slot = cancel_place.empty()
    cancel_slot.button(tr("cancel"), key=cancel_key)
    bar = st.progress(0.0, text=text)
    try:
        yield bar
    finally:
        bar.empty()
        cancel_slot.empty()


def draw_training_controls() -> None:
    columns = st.columns([3, 1, 1, 1, 1])
    columns[0].multiselect(tr("train.balances"), list(BALANCE_METHODS), widgets.default("sb.balances"),
                           key="sb.balances", help=tr("help.train.balances"), **URL)
    columns[1].select_slider(tr("train.steps"), widgets.STEP_CHOICES, widgets.default("sb.steps"), key="sb.steps",
                             **URL)
    columns[2].slider(tr("train.zipf"), 0.0, 3.0, widgets.default("sb.train_zipf"), step=0.1, key="sb.train_zipf",
                      help=tr("help.train.zipf"), **URL)
    columns[3].slider(tr("train.hot"), 0.0, 4.0, widgets.default("sb.train_hot"), step=0.5, key="sb.train_hot",
                      help=tr("help.train.hot"), **URL)
    columns[4].select_slider(tr("train.aux_coef"), widgets.AUX_COEF_CHOICES, widgets.default("sb.aux_coef"),
                             key="sb.aux_coef", help=tr("help.train.aux_coef"), **URL)


def draw_training(settings_a: dict, labels: dict) -> None:
    """Train a tiny layer once per balance method (with progress and Cancel) and draw the curves."""
    st.subheader(tr("train.title"))
    st.caption(tr("train.intro"))
    draw_training_controls()
    balances, train_kwargs = widgets.train_settings_from_state(st.session_state, settings_a["seed"])
    key = widgets.train_key(balances, train_kwargs)
    run_col, cancel_col = st.columns([1, 4])
    if run_col.button(tr("train.run"), key="sb.train_run", type="primary", disabled=not balances):
        total = len(balances) * train_kwargs["steps"]
        with progress_with_cancel(cancel_col, "sb.train_cancel", tr("train.progress", step=0, total=total)) as bar:
            trained = compare(balances, progress=lambda step, total: bar.progress(
                step / total, text=tr("train.progress", step=step, total=total)), **train_kwargs)
        st.session_state["sb.trained"] = (key, trained)
    elif st.session_state.get("sb.train_cancel"):
        st.info(tr("cancelled"))
    if st.session_state.get("sb.trained"):
        draw_trained(key, labels)


def draw_trained(current_key: str, labels: dict) -> None:
    key, trained = st.session_state["sb.trained"]
    if key != current_key:
        st.caption(tr("train.stale"))
    method_names = {method: tr(f"balance.{method}") for method in BALANCE_METHODS}
    st.plotly_chart(figures.training_figure(trained, labels, method_names), key="sb_training")
    summaries = {method: display.training_summary(result) for method, result in trained.items()}
    lines = [tr("train.summary", method=method_names[method], **summary)
             for method, summary in summaries.items() if summary]
    st.markdown("\n".join(f"- {line}" for line in lines))


def draw_expert_parallel(settings_a: dict, labels: dict) -> None:
    """Run setting A's layer on N local processes (with progress and Cancel) and draw its traffic and timings."""
    st.subheader(tr("ep.title"))
    st.caption(tr("ep.intro"))
    columns = st.columns([1, 1, 3])
    world_size = columns[0].selectbox(tr("ep.world_size"), widgets.EP_WORLD_SIZES, 0, key="sb.ep_world", **URL)
    ep_tokens = columns[1].selectbox(tr("ep.tokens"), widgets.EP_TOKENS,
                                     widgets.EP_TOKENS.index(widgets.EP_TOKENS_DEFAULT), key="sb.ep_tokens", **URL)
    if columns[0].button(tr("ep.run", n=world_size), key="sb.ep_run", type="primary"):
        # a Cancel click reruns the page; run_local stops every rank on the way out
        with progress_with_cancel(columns[1], "sb.ep_cancel", tr("ep.starting", n=world_size)) as bar:
            try:
                st.session_state["sb.ep_result"] = run_expert_parallel(
                    world_size, tokens=ep_tokens, **widgets.ep_run_settings(settings_a),
                    progress=lambda fraction, message: bar.progress(min(1.0, fraction), text=message))
            except (ValueError, EPRunError) as error:
                st.error(tr("invalid", error=error), icon="🚫")
    elif st.session_state.get("sb.ep_cancel"):
        st.info(tr("cancelled"))
    ep_result = st.session_state.get("sb.ep_result")
    if ep_result is not None and not ep_result.cancelled:
        draw_ep_result(ep_result, labels)


def draw_ep_result(ep_result, labels: dict) -> None:
    verdict = tr("ep.match" if ep_result.matches else "ep.mismatch", diff=ep_result.max_abs_diff)
    (st.success if ep_result.matches else st.error)(verdict)
    left, right = st.columns(2)
    left.plotly_chart(figures.traffic_figure(ep_result.traffic, labels,
                                             tr("ep.traffic_title", n=ep_result.world_size)), key="sb_ep_traffic")
    headers = {"rank": tr("fig.rank"), **{column: tr(f"ep.{column}") for column in display.EP_COLUMNS[1:]}}
    right.dataframe([{headers[column]: value for column, value in row.items()}
                     for row in display.ep_rank_rows(ep_result)], hide_index=True)
    right.caption(tr("ep.wall", seconds=ep_result.wall_seconds))


def draw_related() -> None:
    """Bank questions on the sandbox's topics (the preset's own first), each a link to the practice page."""
    related = related_questions(shell.bank(), st.session_state.get("sb.preset_pick") or None)
    if related:
        with st.expander(tr("related", count=len(related))):
            for question in related:
                st.page_link(PRACTICE.path, label=f"{question_title(question, shell.lang())}  ·  `{question.id}`",
                             query_params={QUESTION_PARAM: question.id}, icon=PRACTICE.icon)


def main() -> None:
    apply_url_preset()
    st.title(tr("title"))
    st.caption(tr("intro"))
    controls, results = st.columns([1, 3], gap="large")
    with controls:
        compare_ab = draw_controls()
    labels = {key: tr(f"fig.{key}") for key in figures.DEFAULT_LABELS}
    settings_a = widgets.settings_from_state(st.session_state)
    sides = [("A", *run_simulation(settings_a))]
    if compare_ab:
        sides.append(("B", *run_simulation(widgets.settings_from_state(st.session_state, b_side=True))))
    with results:
        draw_result_tabs(sides, labels)
        draw_training(settings_a, labels)
        draw_expert_parallel(settings_a, labels)
        draw_related()


main()
