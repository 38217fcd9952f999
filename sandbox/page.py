"""Sandbox page: change the routing, see expert load, drops, balance losses, training dynamics and EP traffic."""
from __future__ import annotations

import streamlit as st

from moe_core import DROP_POLICIES, ROUTERS
from questions.ui.i18n import t
from questions.ui import shell as common
from questions.ui.routes import PRACTICE, PRESET_PARAM, QUESTION_PARAM
from sandbox import figures
from sandbox.parallel_run import EPRunError, run_expert_parallel
from sandbox.presets import DEFAULT_SETTINGS, DEFAULT_TRAIN, PRESETS
from sandbox.simulate import SKEWS, simulate
from sandbox.train import BALANCE_METHODS, compare

lang = common.lang()
TOKEN_CHOICES = [256, 1024, 4096, 16384]
ROUTER_NAMES = sorted(ROUTERS)
# widget key -> (simulate argument, default); keys are the URL's query parameters (bind="query-params")
A_KEYS = {"sb.tokens": "num_tokens", "sb.experts": "num_experts", "sb.top_k": "top_k", "sb.router": "router",
          "sb.cf": "capacity_factor", "sb.drop": "drop_policy", "sb.ep": "ep_size", "sb.skew": "skew", "sb.seed": "seed",
          "sb.zipf": "zipf_exponent", "sb.hot": "hot_bias", "sb.d_model": "d_model", "sb.scale": "router_scale",
          "sb.groups": "num_groups", "sb.topk_groups": "topk_groups", "sb.rsf": "routed_scaling_factor"}
B_KEYS = {"sb.b.experts": "num_experts", "sb.b.top_k": "top_k", "sb.b.router": "router", "sb.b.cf": "capacity_factor",
          "sb.b.drop": "drop_policy", "sb.b.ep": "ep_size"}
TRAIN_KEYS = {"sb.balances": "balances", "sb.steps": "steps", "sb.train_zipf": "zipf_exponent",
              "sb.train_hot": "hot_bias", "sb.aux_coef": "aux_coef"}
RELATED_TAGS = {"routing": {"router", "softmax", "top-k", "top-1", "top-2", "noisy-topk", "expert-choice"},
                "capacity": {"capacity", "token-dropping"},
                "balance": {"aux-loss", "load-balance", "load-balancing", "z-loss", "aux-loss-free", "dead-experts"},
                "parallel": {"all-to-all", "expert-parallelism", "expert-groups", "placement"}}


def tr(key: str, **fmt) -> str:
    return t(f"sandbox.{key}", lang, **fmt)


def _widget_values(settings: dict, train: dict) -> dict:
    """Session-state values of every widget for simulate/train settings (capacity None -> the dropless toggle)."""
    values = {}
    for key, name in A_KEYS.items():
        values[key] = settings[name]
    values["sb.dropless"] = settings["capacity_factor"] is None
    values["sb.cf"] = settings["capacity_factor"] if settings["capacity_factor"] is not None else 1.25
    for key, name in TRAIN_KEYS.items():
        values[key] = train[name]
    return values


def apply_preset(preset_id: str, skip=()) -> None:
    preset = PRESETS[preset_id]
    for key, value in _widget_values(preset.simulate_settings(), preset.train_settings()).items():
        if key not in skip:
            st.session_state[key] = value
    st.session_state["sb.applied_preset"] = preset_id


def _preset_chosen() -> None:
    chosen = st.session_state.get("sb.preset_pick")
    if chosen in PRESETS:
        apply_preset(chosen)
        st.query_params[PRESET_PARAM] = chosen
    elif PRESET_PARAM in st.query_params:
        del st.query_params[PRESET_PARAM]


# Every widget's default is the default setting: a bound widget leaves the URL when it holds its default, so the URL
# carries exactly what differs from the defaults (option names, not translated labels, so links work in any language).
DEFAULTS = _widget_values(DEFAULT_SETTINGS, DEFAULT_TRAIN)


def index_of(options: list, key: str) -> int:
    return options.index(DEFAULTS[key.replace(".b.", ".")])


# ---- presets: ?preset=<id> applies once; settings already in the URL win (a shared, tweaked view reproduces) --------
url_preset = st.query_params.get(PRESET_PARAM)
if url_preset and url_preset not in PRESETS:
    st.warning(tr("unknown_preset", preset=url_preset, presets=", ".join(PRESETS)))
elif url_preset and st.session_state.get("sb.applied_preset") != url_preset:
    apply_preset(url_preset, skip=set(st.query_params))
    st.session_state["sb.preset_pick"] = url_preset

st.title(tr("title"))
st.caption(tr("intro"))


@st.cache_data(show_spinner=False, max_entries=128)
def cached_simulate(settings: tuple):
    return simulate(**dict(settings))


def run_simulation(settings: dict):
    """(result, None) or (None, the broken constraint); never a traceback on the page."""
    try:
        return cached_simulate(tuple(sorted(settings.items()))), None
    except ValueError as error:
        return None, str(error)


def caption(key: str) -> None:
    st.caption(tr(f"help.{key}"))


# ---- controls ---------------------------------------------------------------------------------------------------------
controls, results = st.columns([1, 3], gap="large")
with controls:
    options = [""] + list(PRESETS)
    st.selectbox(tr("preset"), options, key="sb.preset_pick", on_change=_preset_chosen,
                 format_func=lambda p: tr("preset_none") if not p else p)
    if st.session_state.get("sb.preset_pick") in PRESETS:
        st.caption(common.local_text(PRESETS[st.session_state["sb.preset_pick"]].description, lang))
    st.select_slider(tr("tokens"), TOKEN_CHOICES, value=DEFAULTS["sb.tokens"], key="sb.tokens", bind="query-params")
    caption("tokens")
    st.number_input(tr("experts"), 1, 1024, DEFAULTS["sb.experts"], key="sb.experts", bind="query-params")
    caption("experts")
    st.number_input(tr("top_k"), 1, 64, DEFAULTS["sb.top_k"], key="sb.top_k", bind="query-params")
    caption("top_k")
    st.selectbox(tr("router"), ROUTER_NAMES, index_of(ROUTER_NAMES, "sb.router"), key="sb.router",
                 bind="query-params")
    caption(f"router.{st.session_state['sb.router']}")
    dropless = st.toggle(tr("dropless"), DEFAULTS["sb.dropless"], key="sb.dropless", bind="query-params")
    st.number_input(tr("capacity_factor"), 0.0, 16.0, DEFAULTS["sb.cf"], step=0.25, key="sb.cf",
                    bind="query-params", disabled=dropless)
    caption("capacity_factor")
    st.selectbox(tr("drop_policy"), list(DROP_POLICIES), index_of(list(DROP_POLICIES), "sb.drop"), key="sb.drop",
                 bind="query-params", disabled=dropless)
    caption("drop_policy")
    st.number_input(tr("ep_size"), 1, 256, DEFAULTS["sb.ep"], key="sb.ep", bind="query-params")
    caption("ep_size")
    st.selectbox(tr("skew"), list(SKEWS), index_of(list(SKEWS), "sb.skew"), key="sb.skew", bind="query-params")
    caption(f"skew.{st.session_state['sb.skew']}")
    if st.session_state["sb.skew"] == "clustered":
        st.slider(tr("zipf"), 0.0, 3.0, DEFAULTS["sb.zipf"], step=0.1, key="sb.zipf", bind="query-params")
    if st.session_state["sb.skew"] == "hot-expert":
        st.slider(tr("hot_bias"), 0.0, 8.0, DEFAULTS["sb.hot"], step=0.25, key="sb.hot", bind="query-params")
    st.number_input(tr("seed"), 0, 1_000_000, DEFAULTS["sb.seed"], key="sb.seed", bind="query-params")
    caption("seed")
    with st.expander(tr("advanced")):
        st.number_input(tr("d_model"), 1, 1024, DEFAULTS["sb.d_model"], key="sb.d_model", bind="query-params")
        st.slider(tr("router_scale"), 0.0, 5.0, DEFAULTS["sb.scale"], step=0.1, key="sb.scale", bind="query-params",
                  help=tr("help.router_scale"))
        st.number_input(tr("num_groups"), 1, 64, DEFAULTS["sb.groups"], key="sb.groups", bind="query-params",
                        help=tr("help.num_groups"))
        st.number_input(tr("topk_groups"), 1, 64, DEFAULTS["sb.topk_groups"], key="sb.topk_groups", bind="query-params",
                        help=tr("help.topk_groups"))
        st.number_input(tr("rsf"), 0.1, 10.0, DEFAULTS["sb.rsf"], step=0.5, key="sb.rsf", bind="query-params",
                        help=tr("help.rsf"))
    compare_ab = st.toggle(tr("ab"), False, key="sb.ab", bind="query-params", help=tr("help.ab"))
    if compare_ab:
        with st.container(border=True):
            st.markdown(f"**{tr('setting_b')}**")
            st.number_input(tr("experts"), 1, 1024, DEFAULTS["sb.experts"], key="sb.b.experts", bind="query-params")
            st.number_input(tr("top_k"), 1, 64, DEFAULTS["sb.top_k"], key="sb.b.top_k", bind="query-params")
            st.selectbox(tr("router"), ROUTER_NAMES, index_of(ROUTER_NAMES, "sb.b.router"), key="sb.b.router",
                         bind="query-params")
            b_dropless = st.toggle(tr("dropless"), DEFAULTS["sb.dropless"], key="sb.b.dropless", bind="query-params")
            st.number_input(tr("capacity_factor"), 0.0, 16.0, DEFAULTS["sb.cf"], step=0.25, key="sb.b.cf",
                            bind="query-params", disabled=b_dropless)
            st.selectbox(tr("drop_policy"), list(DROP_POLICIES), index_of(list(DROP_POLICIES), "sb.b.drop"),
                         key="sb.b.drop", bind="query-params", disabled=b_dropless)
            st.number_input(tr("ep_size"), 1, 256, DEFAULTS["sb.ep"], key="sb.b.ep", bind="query-params")


def settings_from_state(overrides: dict | None = None, b_side: bool = False) -> dict:
    state = st.session_state  # a widget that is not drawn (the Zipf slider of uniform input) has no state: default
    settings = {name: state.get(key, DEFAULTS[key]) for key, name in A_KEYS.items()}
    settings["capacity_factor"] = None if state["sb.dropless"] else float(state["sb.cf"])
    if b_side:
        settings.update({name: state[key] for key, name in B_KEYS.items()})
        settings["capacity_factor"] = None if state["sb.b.dropless"] else float(state["sb.b.cf"])
    for name in ("zipf_exponent", "hot_bias", "router_scale", "routed_scaling_factor"):
        settings[name] = float(settings[name])
    return settings


def related_questions(questions, preset_id: str | None, tags: set[str], limit: int = 10) -> list:
    """Questions linked to the preset first, then those sharing a tag with the controls, in bank order."""
    linked = [q for q in questions if preset_id and preset_id in (q.sandbox_presets or [])]
    tagged = [q for q in questions if q not in linked and tags & set(q.tags)]
    return (linked + tagged)[:limit]


def question_title(question) -> str:
    first = question.text("prompt", lang).strip().splitlines()[0] if question.text("prompt", lang).strip() else ""
    first = first.replace("**", "").replace("#", "").strip()
    return (first[:90] + "…") if len(first) > 90 else first


def draw_metrics(result) -> None:
    row = st.columns(4)
    row[0].metric(tr("m.capacity"), "∞" if result.capacity is None else result.capacity,
                  help=tr("help.m.capacity"))
    dropped = f"{result.dropped_tokens:,}" + (f" ({result.drop_rate:.1%})" if result.dropped_tokens else "")
    row[1].metric(tr("m.dropped"), dropped, help=tr("help.m.dropped"))
    row[2].metric(tr("m.aux"), f"{result.aux_loss:.3f}", help=tr("help.m.aux"))
    row[3].metric(tr("m.z"), f"{result.z_loss:.2f}", help=tr("help.m.z"))
    row = st.columns(4)
    row[0].metric(tr("m.cv"), f"{result.load_cv:.2f}", help=tr("help.m.cv"))
    row[1].metric(tr("m.max_mean"), f"{result.max_mean_load:.2f}", help=tr("help.m.max_mean"))
    row[2].metric(tr("m.entropy"), f"{result.entropy:.2f} / {result.max_entropy:.2f}", help=tr("help.m.entropy"))
    row[3].metric(tr("m.remote"), f"{result.remote_slots:,}", help=tr("help.m.remote"))
    if result.tokens_without_expert:
        st.caption(tr("no_expert", count=result.tokens_without_expert))


labels = {key: tr(f"fig.{key}") for key in figures.DEFAULT_LABELS}
settings_a = settings_from_state()
sides = [("A", *run_simulation(settings_a))]
if compare_ab:
    sides.append(("B", *run_simulation(settings_from_state(b_side=True))))

with results:
    tab_load, tab_ep, tab_weights = st.tabs([tr("tab.load"), tr("tab.ep"), tr("tab.weights")])
    for tab, draw in ((tab_load, "load"), (tab_ep, "ep"), (tab_weights, "weights")):
        with tab:
            columns = st.columns(len(sides))
            for column, (name, result, error) in zip(columns, sides):
                with column:
                    if len(sides) > 1:
                        st.markdown(f"**{tr('setting_' + name.lower())}**")
                    if error:
                        st.error(tr("invalid", error=error), icon="🚫")
                        continue
                    if draw == "load":
                        draw_metrics(result)
                        st.plotly_chart(figures.load_figure(result, labels), key=f"sb_load_{name}")
                    elif draw == "ep":
                        st.caption(tr("ep_caption", groups=" · ".join(
                            f"{r}: E{g[0]}–E{g[-1]}" if len(g) > 1 else f"{r}: E{g[0]}"
                            for r, g in enumerate(result.expert_groups))))
                        st.markdown(f"**{tr('fig.rank_load')}**")
                        st.plotly_chart(figures.rank_load_figure(result, labels), key=f"sb_ranks_{name}")
                        st.plotly_chart(figures.traffic_figure(result.traffic, labels), key=f"sb_traffic_{name}")
                    else:
                        st.plotly_chart(figures.weight_figure(result, labels), key=f"sb_weights_{name}")

    # ---- training dynamics ----------------------------------------------------------------------------------------
    st.subheader(tr("train.title"))
    st.caption(tr("train.intro"))
    train_cols = st.columns([3, 1, 1, 1, 1])
    balances = train_cols[0].multiselect(tr("train.balances"), list(BALANCE_METHODS), DEFAULTS["sb.balances"],
                                         key="sb.balances", bind="query-params", help=tr("help.train.balances"))
    steps = train_cols[1].select_slider(tr("train.steps"), [50, 100, 200, 300, 500], DEFAULTS["sb.steps"],
                                        key="sb.steps", bind="query-params")
    train_cols[2].slider(tr("train.zipf"), 0.0, 3.0, DEFAULTS["sb.train_zipf"], step=0.1, key="sb.train_zipf",
                         bind="query-params", help=tr("help.train.zipf"))
    train_cols[3].slider(tr("train.hot"), 0.0, 4.0, DEFAULTS["sb.train_hot"], step=0.5, key="sb.train_hot",
                         bind="query-params", help=tr("help.train.hot"))
    train_cols[4].select_slider(tr("train.aux_coef"), [1e-3, 1e-2, 1e-1, 1.0], DEFAULTS["sb.aux_coef"],
                                key="sb.aux_coef", bind="query-params", help=tr("help.train.aux_coef"))
    train_kwargs = dict(steps=steps, seed=int(settings_a["seed"]),
                        zipf_exponent=float(st.session_state["sb.train_zipf"]),
                        hot_bias=float(st.session_state["sb.train_hot"]),
                        aux_coef=float(st.session_state["sb.aux_coef"]))
    train_key = repr((sorted(balances), sorted(train_kwargs.items())))
    run_col, cancel_col = st.columns([1, 4])
    start_training = run_col.button(tr("train.run"), key="sb.train_run", type="primary", disabled=not balances)
    if start_training:
        cancel_slot = cancel_col.empty()  # a click reruns the page, which stops the run at its next progress update
        cancel_slot.button(tr("cancel"), key="sb.train_cancel")
        bar = st.progress(0.0, text=tr("train.progress", step=0, total=len(balances) * steps))

        def report(step, total):
            bar.progress(step / total, text=tr("train.progress", step=step, total=total))

        trained = compare(balances, progress=report, **train_kwargs)
        bar.empty()
        cancel_slot.empty()
        st.session_state["sb.trained"] = (train_key, trained)
    elif st.session_state.get("sb.train_cancel"):
        st.info(tr("cancelled"))
    stored = st.session_state.get("sb.trained")
    if stored:
        key, trained = stored
        if key != train_key:
            st.caption(tr("train.stale"))
        st.plotly_chart(figures.training_figure(trained, labels, {m: tr(f"balance.{m}") for m in BALANCE_METHODS}),
                        key="sb_training")
        summary = [tr("train.summary", method=tr(f"balance.{m}"), first=r.load_cv[0], last=sum(r.load_cv[-20:]) /
                      len(r.load_cv[-20:]), loss=r.task_loss[-1]) for m, r in trained.items() if r.load_cv]
        st.markdown("\n".join(f"- {line}" for line in summary))

    # ---- a real expert-parallel run ---------------------------------------------------------------------------------
    st.subheader(tr("ep.title"))
    st.caption(tr("ep.intro"))
    ep_cols = st.columns([1, 1, 3])
    world_size = ep_cols[0].selectbox(tr("ep.world_size"), [2, 3, 4], 0, key="sb.ep_world", bind="query-params")
    ep_tokens = ep_cols[1].selectbox(tr("ep.tokens"), [64, 128, 256, 512], index=1, key="sb.ep_tokens",
                                     bind="query-params")
    if ep_cols[0].button(tr("ep.run", n=world_size), key="sb.ep_run", type="primary"):
        cancel_slot = ep_cols[1].empty()
        cancel_slot.button(tr("cancel"), key="sb.ep_cancel")  # a click reruns the page; run_local stops every rank
        bar = st.progress(0.0, text=tr("ep.starting", n=world_size))
        try:
            ep_result = run_expert_parallel(
                world_size, tokens=ep_tokens, num_experts=settings_a["num_experts"], top_k=settings_a["top_k"],
                router=settings_a["router"], capacity_factor=settings_a["capacity_factor"],
                drop_policy=settings_a["drop_policy"], seed=settings_a["seed"],
                hot_bias=settings_a["hot_bias"] if settings_a["skew"] == "hot-expert" else 0.0,
                progress=lambda fraction, message: bar.progress(min(1.0, fraction), text=message))
            st.session_state["sb.ep_result"] = ep_result
        except (ValueError, EPRunError) as error:
            st.error(tr("invalid", error=error), icon="🚫")
        bar.empty()
        cancel_slot.empty()
    elif st.session_state.get("sb.ep_cancel"):
        st.info(tr("cancelled"))
    ep_result = st.session_state.get("sb.ep_result")
    if ep_result is not None and not ep_result.cancelled:
        verdict = tr("ep.match" if ep_result.matches else "ep.mismatch", diff=ep_result.max_abs_diff)
        (st.success if ep_result.matches else st.error)(verdict)
        left, right = st.columns(2)
        left.plotly_chart(figures.traffic_figure(ep_result.traffic, labels, tr("ep.traffic_title",
                                                                               n=ep_result.world_size)),
                          key="sb_ep_traffic")
        right.dataframe([{tr("fig.rank"): rank["rank"], tr("ep.experts"): str(rank["local_experts"]),
                          tr("ep.sent"): str(rank["tokens_sent"]), tr("ep.received"): str(rank["tokens_received"]),
                          tr("ep.step_ms"): round(step, 1), tr("ep.comm_ms"): round(comm, 2),
                          tr("ep.compute_ms"): round(compute, 2)}
                         for rank, step, comm, compute in zip(ep_result.ranks, ep_result.step_ms, ep_result.comm_ms,
                                                              ep_result.compute_ms)], hide_index=True)
        right.caption(tr("ep.wall", seconds=ep_result.wall_seconds))

    # ---- related bank questions -------------------------------------------------------------------------------------
    tags = set().union(*RELATED_TAGS.values())
    related = related_questions(common.bank_result().questions, st.session_state.get("sb.preset_pick") or None, tags)
    if related:
        with st.expander(tr("related", count=len(related))):
            for question in related:
                st.page_link(PRACTICE.path, label=f"{question_title(question)}  ·  `{question.id}`",
                             query_params={QUESTION_PARAM: question.id}, icon=":material/style:")
