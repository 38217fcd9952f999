"""Sandbox page: change the routing, see expert load, drops, balance losses, training dynamics and EP traffic."""
from __future__ import annotations

import streamlit as st

from moe_core import DROP_POLICIES
from questions.bank.titles import question_title
from questions.ui import shell
from questions.ui.i18n import t
from questions.ui.routes import PRACTICE, PRESET_PARAM, QUESTION_PARAM
from sandbox import display, figures
from sandbox import settings as widgets
from sandbox.calculator_page import draw_calculator
from sandbox.experiments_page import apply_url_experiment, draw_experiments
from sandbox.presets import PRESETS
from sandbox.related import related_questions
from sandbox.simulate import MAX_D_MODEL, MAX_EXPERTS, SKEWS, simulate
from sandbox.training_page import (CHART, URL, draw_expert_parallel, draw_training, freeze_loaded_objects,
                                   option_names, tr)

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


def draw_preset_picker() -> None:
    """The preset picker; once a setting differs from the preset it reads "(modified from <preset>)"."""
    picked = st.session_state.get("sb.preset_pick")
    modified = bool(widgets.preset_changes(st.session_state, picked))
    none_text, modified_text = tr("preset_none"), tr("preset_modified", preset=picked)

    def preset_label(preset_id: str) -> str:
        if not preset_id:
            return none_text
        return modified_text if modified and preset_id == picked else preset_id
    picker, description = st.columns([1, 2], vertical_alignment="center")
    picker.selectbox(tr("preset"), [""] + list(PRESETS), key="sb.preset_pick", on_change=preset_chosen,
                     format_func=preset_label)
    if picked in PRESETS and not modified:
        description.caption(PRESETS[picked].description[shell.lang()])


# ---- controls --------------------------------------------------------------------------------------------------------
def number(label: str, key: str, low, high, **kwargs):
    return st.number_input(tr(label), low, high, widgets.default(key), key=key, **URL, **kwargs)


def choice(label: str, options: list, key: str, **kwargs):
    """A selectbox of option names (they go into the URL), shown translated (sandbox.opt.<label>.<name>)."""
    return st.selectbox(tr(label), options, widgets.default_index(options, key), key=key,
                        format_func=option_names(f"opt.{label}"), **kwargs)


def read_option_urls() -> None:
    """Once per session, before the widgets: the option widgets' values named in the URL (widgets.OPTION_KEYS)."""
    for key, value in widgets.options_from_url(st.query_params.get_all).items():
        st.session_state[key] = value
    st.session_state["sb.options_read"] = True


def write_option_urls() -> None:
    """After the widgets: each option widget's value into the URL by name; a default value leaves the URL."""
    for key, names in widgets.option_params(st.session_state).items():
        if names is None:
            st.query_params.pop(key, None)
        elif st.query_params.get_all(key) != names:
            st.query_params[key] = names


def start_b_as_a() -> None:
    """Setting B starts as a copy of A: when A/B is switched on, and once in a session opened with A/B on in the URL
    (B's values in the URL win)."""
    if st.session_state.get("sb.ab", st.query_params.get("sb.ab") == "true"):
        skip = set() if "sb.ab" in st.session_state else set(st.query_params)
        for key, value in widgets.b_copy_of_a(st.session_state, skip).items():
            st.session_state[key] = value
    st.session_state["sb.b_started"] = True


def draw_layer_controls(prefix: str, compact: bool) -> None:
    """Experts, top-k, router, capacity, drop policy and EP ranks of one setting (prefix "sb." for A, "sb.b." for B).

    Help is a caption under each control, or a tooltip when compact (A and B side by side: the columns stay aligned).
    A control that does nothing in this setting is disabled and says why, under it.
    """
    reasons: dict = {}

    def show(draw, help_key: str, setting: str = "") -> None:
        reason = reasons.get(setting)
        draw(**({"disabled": True, "help": tr(f"disabled.{reason}")} if reason
                else {"help": tr(f"help.{help_key}")} if compact else {}))
        if reason:
            st.caption(f"🔒 {tr(f'disabled.{reason}')}")
        elif not compact:
            help_caption(help_key)
    show(lambda **kw: number("experts", prefix + "experts", 1, MAX_EXPERTS, **kw), "experts")
    show(lambda **kw: number("top_k", prefix + "top_k", 1, 64, **kw), "top_k")
    router = st.session_state.get(prefix + "router", widgets.default(prefix + "router"))
    show(lambda **kw: choice("router", widgets.ROUTER_NAMES, prefix + "router", **kw), f"router.{router}")
    dropless = st.toggle(tr("dropless_short" if compact else "dropless"), widgets.default(prefix + "dropless"),
                         key=prefix + "dropless", help=tr("dropless") if compact else None, **URL)
    reasons.update(widgets.disabled_reasons(st.session_state[prefix + "router"], dropless))
    show(lambda **kw: number("capacity_factor", prefix + "cf", 0.0, 16.0, step=0.25, **kw), "capacity_factor",
         "capacity_factor")
    show(lambda **kw: choice("drop_policy", list(DROP_POLICIES), prefix + "drop", **kw), "drop_policy", "drop_policy")
    show(lambda **kw: number("ep_size", prefix + "ep", 1, 256, **kw), "ep_size")


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
    """Model width, router scale and DeepSeek-V3's group settings (disabled, saying why, for the other routers)."""
    reason = widgets.disabled_reasons(st.session_state.get("sb.router", widgets.default("sb.router")),
                                      False).get("num_groups")
    group_state = {"disabled": True, "help": tr(f"disabled.{reason}")} if reason else {}
    with st.expander(tr("advanced")):
        number("d_model", "sb.d_model", 1, MAX_D_MODEL)
        st.slider(tr("router_scale"), 0.0, 5.0, widgets.default("sb.scale"), step=0.1, key="sb.scale",
                  help=tr("help.router_scale"), **URL)
        number("num_groups", "sb.groups", 1, 64, **(group_state or {"help": tr("help.num_groups")}))
        number("topk_groups", "sb.topk_groups", 1, 64, **(group_state or {"help": tr("help.topk_groups")}))
        number("rsf", "sb.rsf", 0.1, 10.0, step=0.5, **(group_state or {"help": tr("help.rsf")}))
        if reason:
            st.caption(f"🔒 {tr(f'disabled.{reason}')}")


def draw_controls() -> bool:
    """Every setting of A (and B beside it when A/B is on); returns whether A/B is on."""
    st.select_slider(tr("tokens"), widgets.TOKEN_CHOICES, value=widgets.default("sb.tokens"), key="sb.tokens", **URL)
    help_caption("tokens")
    compare_ab = st.toggle(tr("ab"), False, key="sb.ab", help=tr("help.ab"), on_change=start_b_as_a, **URL)
    if compare_ab:
        for column, prefix, name in zip(st.columns(2), ("sb.", widgets.B_PREFIX), ("a", "b")):
            with column:
                st.markdown(f"**{tr('short_' + name)}**")
                draw_layer_controls(prefix, compact=True)
    else:
        draw_layer_controls("sb.", compact=False)
    draw_input_controls()
    draw_advanced_controls()
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
    """Four metrics per row; a metric's context (the drops' share, the entropy's maximum) in small text under it."""
    values, notes = display.metric_texts(result), display.metric_notes(result)
    for row_names in (display.METRICS[:4], display.METRICS[4:]):
        for column, name in zip(st.columns(4), row_names):
            note = tr(f"note.{name}", **notes[name]) if name in notes else None
            column.metric(tr(f"m.{name}"), values[name], note, delta_color="off", delta_arrow="off",
                          help=tr(f"help.m.{name}"))
    if result.tokens_without_expert:
        st.caption(tr("no_expert", count=result.tokens_without_expert))


def draw_comparison(result_a, result_b) -> None:
    """A | B | B − A for every metric: one table stays readable where eight metrics twice would not."""
    rows = display.comparison_rows(result_a, result_b)
    st.table({tr("metric"): [tr(f"m.{row['metric']}") for row in rows], tr("short_a"): [row["a"] for row in rows],
              tr("short_b"): [row["b"] for row in rows], tr("delta"): [row["delta"] for row in rows]})


def draw_side(tab: str, name: str, result, labels: dict, ranges: dict | None, metrics: bool) -> None:
    """One setting's part of a result tab; `ranges` puts A and B on the same axes."""
    if tab == "load":
        if metrics:
            draw_metrics(result)
        st.plotly_chart(figures.load_figure(result, labels, y_max=ranges and ranges["load"]),
                        key=f"sb_load_{name}", **CHART)
    elif tab == "ep":
        st.caption(tr("ep_caption", groups=display.experts_per_rank(result.expert_groups)))
        st.markdown(f"**{tr('fig.rank_load')}**")
        st.plotly_chart(figures.rank_load_figure(result, labels, y_max=ranges and ranges["ranks"]),
                        key=f"sb_ranks_{name}", **CHART)
        st.plotly_chart(figures.traffic_figure(result.traffic, labels, z_max=ranges and ranges["traffic"]),
                        key=f"sb_traffic_{name}", **CHART)
    else:
        st.plotly_chart(figures.weight_figure(result, labels), key=f"sb_weights_{name}", **CHART)


def draw_results(sides: list, labels: dict) -> None:
    """With A/B: the comparison table, then load, expert parallelism and weights tabs with A and B side by side on
    shared axes; an impossible setting is named in its column."""
    results = [result for _name, result, _error in sides if result is not None]
    ranges = figures.shared_ranges(results) if len(sides) > 1 and results else None
    if len(results) == 2:
        draw_comparison(*results)
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
                        draw_side(tab_name, name, result, labels, ranges, metrics=len(results) < 2)


def draw_simulate(labels: dict) -> dict:
    """The controls beside the results of one routing pass (A, or A and B); returns setting A."""
    compare_ab = st.session_state.get("sb.ab", st.query_params.get("sb.ab") == "true")
    controls, results = st.columns([1.6, 3] if compare_ab else [1, 3], gap="medium")
    with controls:
        compare_ab = draw_controls()
    settings_a = widgets.settings_from_state(st.session_state)
    sides = [("A", *run_simulation(settings_a))]
    if compare_ab:
        sides.append(("B", *run_simulation(widgets.settings_from_state(st.session_state, b_side=True))))
    with results:
        draw_results(sides, labels)
    return settings_a


def draw_related() -> None:
    """Bank questions on the sandbox's topics (the preset's own first), each a link to the practice page."""
    related = related_questions(shell.bank(), st.session_state.get("sb.preset_pick") or None)
    if related:
        with st.expander(tr("related", count=len(related))):
            for question in related:
                st.page_link(PRACTICE.path, label=f"{question_title(question, shell.lang())}  ·  `{question.id}`",
                             query_params={QUESTION_PARAM: question.id}, icon=PRACTICE.icon)


def main() -> None:
    freeze_loaded_objects("loaded")
    if "sb.options_read" not in st.session_state:
        read_option_urls()
    apply_url_preset()
    apply_url_experiment()
    if "sb.b_started" not in st.session_state:
        start_b_as_a()
    st.title(tr("title"))
    st.caption(tr("intro"))
    draw_preset_picker()
    labels = {key: tr(f"fig.{key}") for key in figures.DEFAULT_LABELS}
    simulate_tab, train_tab, ep_tab, experiments_tab, calculator_tab = st.tabs(
        [tr("section.simulate"), tr("section.train"), tr("section.ep"), t("experiments.tab", shell.lang()),
         t("calculator.tab", shell.lang())])
    with simulate_tab:
        settings_a = draw_simulate(labels)
    with train_tab:
        draw_training(settings_a, labels)
    with ep_tab:
        draw_expert_parallel(settings_a, run_simulation(settings_a)[1], labels)
    with experiments_tab:
        live = st.session_state.get("sb.live")
        draw_experiments(run_simulation(settings_a)[0], live.history if live is not None else None)
    with calculator_tab:
        draw_calculator()
    write_option_urls()
    draw_related()


main()
