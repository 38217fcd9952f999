"""Plotly figures of sandbox results: pure functions from a result (and labels) to a go.Figure."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .display import expert_span
from .simulate import SimulationResult

# English axis and legend texts; the page passes its own translations with the same keys.
DEFAULT_LABELS = {
    "expert": "expert", "slots": "token slots", "kept": "kept", "dropped": "dropped", "capacity": "capacity",
    "mean": "mean load", "rank": "rank", "source_rank": "from rank", "dest_rank": "to rank",
    "rank_load": "slots processed per rank", "traffic": "slots sent between ranks", "weight": "combine weight",
    "count": "slots", "step": "step", "load_cv": "load CV (std / mean)", "task_loss": "task loss (MSE)",
    "local": "stays on its rank", "remote": "crosses ranks",
}
COLOURS = {"kept": "#4C78A8", "dropped": "#E45756", "capacity": "#222222", "mean": "#999999"}
METHOD_COLOURS = {"none": "#E45756", "aux": "#4C78A8", "z": "#F58518", "bias": "#54A24B", "capacity": "#B279A2"}
# the title sits top left, the legend top right above the plot, so the two never overlap
LAYOUT = dict(margin=dict(l=10, r=10, t=70, b=10), height=340, title_x=0.0, title_y=0.97,
              legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1.0, xanchor="right"))


def _labels(labels: dict | None) -> dict:
    return {**DEFAULT_LABELS, **(labels or {})}


def load_figure(result: SimulationResult, labels: dict | None = None, title: str = "") -> go.Figure:
    """Kept slots per expert with the dropped slots stacked on top, the capacity line and the mean load."""
    text = _labels(labels)
    experts = list(range(len(result.tokens_per_expert)))
    figure = go.Figure()
    figure.add_bar(x=experts, y=result.tokens_per_expert, name=text["kept"], marker_color=COLOURS["kept"])
    if result.dropped_tokens:
        figure.add_bar(x=experts, y=result.dropped_per_expert, name=text["dropped"], marker_color=COLOURS["dropped"])
    mean = sum(result.routed_per_expert) / len(experts)
    figure.add_hline(y=mean, line_dash="dot", line_color=COLOURS["mean"], annotation_text=text["mean"],
                     annotation_position="bottom right")
    if result.capacity is not None:
        figure.add_hline(y=result.capacity, line_dash="dash", line_color=COLOURS["capacity"],
                         annotation_text=f"{text['capacity']} = {result.capacity}", annotation_position="top right")
    figure.update_layout(barmode="stack", title=title, xaxis_title=text["expert"], yaxis_title=text["slots"],
                         bargap=0.1 if len(experts) <= 64 else 0.0, **LAYOUT)
    return figure


def rank_load_figure(result: SimulationResult, labels: dict | None = None) -> go.Figure:
    """Slots processed by each rank's experts, split into those that stayed on their rank and those that crossed."""
    text = _labels(labels)
    ranks = list(range(len(result.traffic)))
    local = [result.traffic[r][r] for r in ranks]
    remote = [result.tokens_per_rank[r] - local[r] for r in ranks]
    experts = [f"{text['rank']} {rank}<br>{expert_span(group)}" for rank, group in enumerate(result.expert_groups)]
    figure = go.Figure()
    figure.add_bar(x=experts, y=local, name=text["local"], marker_color=COLOURS["kept"])
    figure.add_bar(x=experts, y=remote, name=text["remote"], marker_color="#72B7B2")
    # no title: Streamlit's chart theme puts the legend where a title would be; the page writes the title above
    figure.update_layout(barmode="stack", yaxis_title=text["slots"], **LAYOUT)
    return figure


def traffic_figure(traffic: list[list[int]], labels: dict | None = None, title: str | None = None) -> go.Figure:
    """Heatmap of slots sent from rank i (row) to rank j (column); the diagonal never leaves its rank."""
    text = _labels(labels)
    ranks = [str(r) for r in range(len(traffic))]
    figure = go.Figure(go.Heatmap(z=traffic, x=ranks, y=ranks, colorscale="Blues", texttemplate="%{z}",
                                  hovertemplate=f"{text['source_rank']} %{{y}} → {text['dest_rank']} %{{x}}: "
                                                f"%{{z}}<extra></extra>"))
    figure.update_layout(title=title or text["traffic"], xaxis_title=text["dest_rank"],
                         yaxis_title=text["source_rank"], yaxis_autorange="reversed", **LAYOUT)
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    return figure


def weight_figure(result: SimulationResult, labels: dict | None = None) -> go.Figure:
    """Histogram of the combine weights of the routed slots (1/k for hash, renormalised top-k, x scaling factor)."""
    text = _labels(labels)
    edges = result.weight_edges
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    figure = go.Figure(go.Bar(x=centres, y=result.weight_counts, width=edges[1] - edges[0],
                              marker_color=COLOURS["kept"], name=text["count"]))
    figure.update_layout(xaxis_title=text["weight"], yaxis_title=text["count"], bargap=0.0,
                         title=text["weight"], **LAYOUT)
    return figure


def training_figure(results: dict, labels: dict | None = None, method_names: dict | None = None) -> go.Figure:
    """Load CV (top) and task loss (bottom) per step, one colour per balance method, all methods on one plot."""
    text = _labels(labels)
    names = method_names or {}
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for method, result in results.items():
        steps = list(range(1, len(result.load_cv) + 1))
        colour = METHOD_COLOURS.get(method)
        name = names.get(method, method)
        figure.add_scatter(x=steps, y=result.load_cv, name=name, line_color=colour, legendgroup=method, row=1, col=1)
        figure.add_scatter(x=steps, y=result.task_loss, name=name, line_color=colour, legendgroup=method,
                           showlegend=False, row=2, col=1)
    figure.update_yaxes(title_text=text["load_cv"], row=1, col=1)
    figure.update_yaxes(type="log", dtick=1, title_text=text["task_loss"], row=2, col=1)  # one tick per decade
    figure.update_xaxes(title_text=text["step"], row=2, col=1)
    figure.update_layout(**{**LAYOUT, "height": 540, "margin": dict(l=10, r=10, t=40, b=10)})
    return figure
