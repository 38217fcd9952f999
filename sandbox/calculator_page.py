"""The sandbox's datacenter-scale tab: pick a model and a cluster, read parameters, memory, FLOPs and all-to-all cost."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from questions.ui import shell
from questions.ui.i18n import t
from sandbox.scale import DTYPE_BYTES, MODELS, Cluster, ModelConfig, estimate, suggested_cluster
from sandbox.scale_tables import cluster_summary, comm_to_compute, memory_rows, parameter_rows, traffic_rows

MODEL_KEY = "calc.model"
# the model fields a user may edit (the rest of the architecture stays the preset's)
EDITABLE = ("num_layers", "num_dense_layers", "d_model", "num_experts", "top_k", "expert_d_ff",
            "num_shared_experts", "dense_d_ff", "vocab_size")
# cluster widgets: key -> (Cluster field, scale from the widget's unit to the field's)
CLUSTER_FIELDS = {"calc.gpus": ("gpus_per_node", 1), "calc.nodes": ("nodes", 1), "calc.ep": ("ep", 1),
                  "calc.tp": ("tp", 1), "calc.pp": ("pp", 1), "calc.dp": ("dp", 1),
                  "calc.intra": ("intra_node_bandwidth", 1e9), "calc.inter": ("inter_node_bandwidth", 1e9),
                  "calc.tflops": ("peak_flops", 1e12), "calc.tokens": ("tokens_per_gpu", 1),
                  "calc.limit": ("node_limit", 1), "calc.context": ("context", 1),
                  "calc.seqs": ("sequences_per_gpu_group", 1), "calc.memory": ("gpu_memory", 1024 ** 3)}


def tr(key: str, **fmt) -> str:
    return t(f"calculator.{key}", shell.lang(), **fmt)


def preset_widget_values(model_id: str) -> dict:
    """Session-state values of every model and cluster widget for a preset and its suggested cluster."""
    model, cluster = MODELS[model_id], suggested_cluster(MODELS[model_id])
    values = {f"calc.m.{name}": getattr(model, name) for name in EDITABLE}
    for key, (name, unit) in CLUSTER_FIELDS.items():
        value = getattr(cluster, name) / unit
        values[key] = int(value) if isinstance(getattr(cluster, name), int) else float(value)
    values["calc.dtype"] = cluster.dtype
    return values


def load_preset() -> None:
    """on_change of the model picker (and the first run): every widget takes the preset's values."""
    model_id = st.session_state.get(MODEL_KEY, next(iter(MODELS)))
    st.session_state.update(preset_widget_values(model_id))
    st.session_state["calc.loaded"] = model_id


def draw_model_picker() -> ModelConfig:
    """The preset picker and the editable architecture; returns the model the widgets describe."""
    # the option values are the preset ids: a bound selectbox writes the shown text into the URL (?calc.model=<id>)
    st.selectbox(tr("model"), list(MODELS), key=MODEL_KEY, on_change=load_preset, bind="query-params")
    if st.session_state.get("calc.loaded") != st.session_state[MODEL_KEY]:
        load_preset()
    preset = MODELS[st.session_state[MODEL_KEY]]
    with st.expander(tr("edit_model")):
        columns = st.columns(3)
        for index, name in enumerate(EDITABLE):
            with columns[index % 3]:
                st.number_input(tr(f"field.{name}"), min_value=0, step=1, key=f"calc.m.{name}")
    model = replace(preset, **{name: int(st.session_state[f"calc.m.{name}"]) for name in EDITABLE})
    if model != preset:
        st.caption(tr("modified_from", preset=preset.name))
    return model


def draw_cluster_input(key: str) -> None:
    name = key.removeprefix("calc.")
    if key == "calc.dtype":
        st.selectbox(tr("field.dtype"), list(DTYPE_BYTES), key=key, help=tr("help.dtype"))
        return
    integer = isinstance(getattr(Cluster(), CLUSTER_FIELDS[key][0]), int)
    st.number_input(tr(f"field.{name}"), min_value=0 if integer else 0.0, step=1 if integer else 10.0, key=key,
                    help=tr(f"help.{name}"))


def draw_cluster_inputs() -> Cluster:
    """GPUs, parallel sizes, bandwidths, dtype and the workload; returns the Cluster they describe."""
    st.markdown(f"**{tr('cluster')}**")
    keys = list(CLUSTER_FIELDS)
    for row in (keys[:6], keys[6:10] + ["calc.memory"], keys[10:13] + ["calc.dtype"]):
        for column, key in zip(st.columns(len(row)), row):
            with column:
                draw_cluster_input(key)
    values = {name: st.session_state[key] * unit for key, (name, unit) in CLUSTER_FIELDS.items()}
    values = {name: int(value) if isinstance(getattr(Cluster(), name), int) else float(value)
              for name, value in values.items()}
    return Cluster(dtype=st.session_state["calc.dtype"], **values)


def draw_results(model: ModelConfig, cluster: Cluster) -> None:
    """Metrics and tables of the estimate, or the broken constraint."""
    try:
        result = estimate(model, cluster)
    except ValueError as error:
        st.error(tr("bad_setting", error=str(error)))
        return
    layout = cluster_summary(cluster, model)
    st.caption(tr("layout", **layout))
    for column, (key, value) in zip(st.columns(5), parameter_rows(result)):
        column.metric(tr(f"row.{key}"), value, help=tr(f"help.row.{key}"))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('memory')}**")
        st.table({tr("col.memory"): [tr(f"row.{row['what']}") for row in memory_rows(result)],
                  tr("col.training"): [row["training"] for row in memory_rows(result)],
                  tr("col.serving"): [row["serving"] for row in memory_rows(result)]})
    with right:
        st.markdown(f"**{tr('traffic', limit=cluster.node_limit)}**")
        rows = traffic_rows(result)
        st.table({tr("col.traffic"): [tr(f"row.{row['what']}") for row in rows],
                  tr("col.plain"): [row["plain"] for row in rows],
                  tr("col.limited", limit=cluster.node_limit): [row["limited"] for row in rows]})
    over = [tr(f"col.{mode}") for mode, fits in (("training", result.train_fits), ("serving", result.serve_fits))
            if not fits]
    if over:
        st.warning(tr("over_memory", modes=" / ".join(over), memory=f"{cluster.gpu_memory / 1024 ** 3:g}"))
    plain, limited = comm_to_compute(result)
    st.info(tr("ratio", plain=f"{plain:.2f}", limited=f"{limited:.2f}", limit=cluster.node_limit))


def draw_source(model_id: str) -> None:
    published = MODELS[model_id].published
    st.caption(tr("source", name=MODELS[model_id].name, source=published.source, url=published.url,
                  total=f"{published.total / 1e9:g}", active=f"{published.active / 1e9:g}"))
    for note in MODELS[model_id].notes:
        st.caption(tr(f"note.{note}"))
    st.caption(tr("assumptions"))


def draw_calculator() -> None:
    """The calculator tab: model, cluster, results, the model's source."""
    st.caption(tr("intro"))
    model = draw_model_picker()
    cluster = draw_cluster_inputs()
    draw_results(model, cluster)
    draw_source(st.session_state[MODEL_KEY])
