"""Plotly figures of sandbox results: pure functions from a result (and labels) to a go.Figure."""
from __future__ import annotations

import plotly.graph_objects as go

from .display import expert_span
from .simulate import SimulationResult

# English axis and legend texts; the page passes its own translations with the same keys.
DEFAULT_LABELS = {
    "expert": "expert", "slots": "token slots", "kept": "kept", "dropped": "dropped", "capacity": "capacity",
    "mean": "mean load", "rank": "rank", "source_rank": "from rank", "dest_rank": "to rank",
    "rank_load": "slots processed per rank", "traffic": "slots sent between ranks", "weight": "combine weight",
    "count": "slots", "step": "step", "load_cv": "load CV (std / mean)", "task_loss": "task loss (MSE)",
    "local": "stays on its rank", "remote": "crosses ranks", "bias": "selection bias", "tokens": "slots",
}
COLOURS = {"kept": "#4C78A8", "dropped": "#E45756", "capacity": "#222222", "mean": "#999999"}
METHOD_COLOURS = {"none": "#E45756", "aux": "#4C78A8", "z": "#F58518", "bias": "#54A24B", "capacity": "#B279A2"}
# The title sits top left and the legend under the plot: Streamlit's chart toolbar shows at the top right on hover,
# so neither is ever under it. Plotly's own mode bar is off (the page passes PLOTLY_CONFIG).
LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=95), height=380, title_x=0.0, title_y=0.98,
              legend=dict(orientation="h", y=-0.3, yanchor="top", x=0.0, xanchor="left"))
PLOTLY_CONFIG = {"displayModeBar": False}
HEADROOM = 1.08  # a shared axis goes this far above the largest value


def _labels(labels: dict | None) -> dict:
    return {**DEFAULT_LABELS, **(labels or {})}


def shared_ranges(results: list[SimulationResult]) -> dict[str, float]:
    """Axis maxima that fit every result, so A and B are drawn on the same scale: "load" (routed slots per expert or
    the capacity), "ranks" (slots per rank), "traffic" (slots between two ranks)."""
    return {"load": HEADROOM * max(max(r.routed_per_expert + [r.capacity or 0]) for r in results),
            "ranks": HEADROOM * max(max(r.tokens_per_rank) for r in results),
            "traffic": max(max(max(row) for row in r.traffic) for r in results)}


def _level_line(figure: go.Figure, value: float, width: int, name: str, colour: str, dash: str) -> None:
    """A horizontal line across every bar, named in the legend (no annotation lies on the bars)."""
    figure.add_scatter(x=[-0.5, width - 0.5], y=[value, value], mode="lines", name=name, hoverinfo="name+y",
                       line=dict(color=colour, dash=dash, width=1.5))


def load_figure(result: SimulationResult, labels: dict | None = None, title: str = "",
                y_max: float | None = None) -> go.Figure:
    """Kept slots per expert with the dropped slots stacked on top, the capacity line and the mean load; y_max fixes
    the y-axis (A and B on one scale)."""
    text = _labels(labels)
    experts = list(range(len(result.tokens_per_expert)))
    figure = go.Figure()
    figure.add_bar(x=experts, y=result.tokens_per_expert, name=text["kept"], marker_color=COLOURS["kept"])
    if result.dropped_tokens:
        figure.add_bar(x=experts, y=result.dropped_per_expert, name=text["dropped"], marker_color=COLOURS["dropped"])
    mean = sum(result.routed_per_expert) / len(experts)
    _level_line(figure, mean, len(experts), text["mean"], COLOURS["mean"], "dot")
    if result.capacity is not None:
        _level_line(figure, result.capacity, len(experts), f"{text['capacity']} = {result.capacity}",
                    COLOURS["capacity"], "dash")
    figure.update_layout(barmode="stack", title=title, xaxis_title=text["expert"], yaxis_title=text["slots"],
                         bargap=0.1 if len(experts) <= 64 else 0.0, **LAYOUT)
    figure.update_xaxes(range=[-0.5, len(experts) - 0.5])
    if y_max:
        figure.update_yaxes(range=[0, y_max])
    return figure


def rank_load_figure(result: SimulationResult, labels: dict | None = None, y_max: float | None = None) -> go.Figure:
    """Slots processed by each rank's experts, split into those that stayed on their rank and those that crossed."""
    text = _labels(labels)
    ranks = list(range(len(result.traffic)))
    local = [result.traffic[r][r] for r in ranks]
    remote = [result.tokens_per_rank[r] - local[r] for r in ranks]
    experts = [f"{text['rank']} {rank}<br>{expert_span(group)}" for rank, group in enumerate(result.expert_groups)]
    figure = go.Figure()
    figure.add_bar(x=experts, y=local, name=text["local"], marker_color=COLOURS["kept"])
    figure.add_bar(x=experts, y=remote, name=text["remote"], marker_color="#72B7B2")
    figure.update_layout(barmode="stack", yaxis_title=text["slots"], **LAYOUT)
    if y_max:
        figure.update_yaxes(range=[0, y_max])
    return figure


def traffic_figure(traffic: list[list[int]], labels: dict | None = None, title: str | None = None,
                   z_max: float | None = None) -> go.Figure:
    """Heatmap of slots sent from rank i (row) to rank j (column); the diagonal never leaves its rank."""
    text = _labels(labels)
    ranks = [str(r) for r in range(len(traffic))]
    figure = go.Figure(go.Heatmap(z=traffic, x=ranks, y=ranks, colorscale="Blues", texttemplate="%{z}",
                                  zmin=0, zmax=z_max or None,
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


def _stacked(rows: int, heights: list[float], gap: float) -> dict:
    """Layout axes of `rows` panels stacked top to bottom on one shared x-axis (the bottom one shows its ticks)."""
    free = 1.0 - gap * (rows - 1)
    total = sum(heights)
    layout, top = {}, 1.0
    for row in range(1, rows + 1):
        bottom = top - free * heights[row - 1] / total
        suffix = "" if row == 1 else str(row)
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, bottom), top], anchor=f"x{suffix}")
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", showticklabels=row == rows,
                                        **({} if row == 1 else {"matches": "x"}))
        top = bottom - gap
    return layout


def _axes(row: int) -> dict:
    return {"xaxis": f"x{row if row > 1 else ''}", "yaxis": f"y{row if row > 1 else ''}"}


class SpecFigure(go.Figure):
    """A figure given as its finished plotly spec (`spec`, a dict; to_dict() returns it as is, and .data / .layout
    stay empty). The live training charts are redrawn several times a second while the run trains: plotly's object
    model (validation, deep copies: ~60 ms for both charts) would take that time from the training."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec  # plotly figures take no public attributes but their own

    @property
    def spec(self) -> dict:
        return self._spec

    def to_dict(self) -> dict:
        return self._spec


def training_figure(results: dict, labels: dict | None = None, method_names: dict | None = None,
                    total_steps: int | None = None) -> SpecFigure:
    """Load CV and task loss per step, one colour per balance method, and the aux-loss-free method's selection bias
    per expert (when it runs). total_steps fixes the x-axis, so live curves grow left to right; a method that branched
    off another mid-run starts at a dotted line."""
    text = _labels(labels)
    names = method_names or {}
    bias_run = results.get("bias")
    rows = 3 if bias_run is not None else 2
    layout = _stacked(rows, [0.4, 0.3, 0.3][:rows], 0.06)
    data, shapes = [], []
    for method, result in results.items():
        steps = list(range(1, len(result.load_cv) + 1))
        line = dict(type="scatter", mode="lines", x=steps, name=names.get(method, method), legendgroup=method,
                    line=dict(color=METHOD_COLOURS.get(method)))
        data.append({**line, "y": result.load_cv, **_axes(1)})
        data.append({**line, "y": result.task_loss, "showlegend": False, **_axes(2)})
        if result.branched_from:
            shapes.append(dict(type="line", xref="x", yref="paper", x0=result.branched_from[1],
                               x1=result.branched_from[1], y0=0, y1=1,
                               line=dict(dash="dot", color=METHOD_COLOURS.get(method), width=1)))
    if bias_run is not None and bias_run.expert_bias:
        steps = list(range(1, len(bias_run.expert_bias) + 1))
        for expert, bias in enumerate(zip(*bias_run.expert_bias)):
            data.append(dict(type="scatter", mode="lines", x=steps, y=list(bias), name=f"E{expert}",
                             showlegend=False, opacity=1.0 if expert == 0 else 0.35,
                             line=dict(width=1, color=METHOD_COLOURS["bias"]),
                             hovertemplate=f"E{expert}: %{{y:.3f}}<extra></extra>", **_axes(3)))
        layout["yaxis3"]["title"] = dict(text=text["bias"])
    layout["yaxis"].update(title=dict(text=text["load_cv"]), rangemode="tozero")
    layout["yaxis2"].update(title=dict(text=text["task_loss"]), type="log", dtick=1)  # one tick per decade
    bottom = "xaxis" + (str(rows) if rows > 1 else "")
    layout[bottom]["title"] = dict(text=text["step"])
    if total_steps:
        layout["xaxis"]["range"] = [1, total_steps]
    layout.update(LAYOUT, height=560 if rows == 3 else 460, shapes=shapes)
    return SpecFigure(dict(data=data, layout=layout))


def expert_load_heatmap(results: dict, labels: dict | None = None, method_names: dict | None = None,
                        total_steps: int | None = None) -> SpecFigure:
    """Routed slots per expert (y) over the steps (x), one panel per balance method on one colour scale: a collapse is
    one bright row, a recovery the row fading into an even band."""
    text = _labels(labels)
    names = method_names or {}
    methods = list(results)
    layout = _stacked(len(methods), [1.0] * len(methods), 0.1)
    z_max = max((max(map(max, result.tokens_per_expert)) for result in results.values() if result.tokens_per_expert),
                default=1)
    data, titles = [], []
    for row, method in enumerate(methods, start=1):
        load = results[method].tokens_per_expert                                   # [steps][E]
        data.append(dict(type="heatmap", z=[list(column) for column in zip(*load)],  # [E][steps]
                         x=list(range(1, len(load) + 1)), coloraxis="coloraxis",
                         hovertemplate=f"{text['step']} %{{x}} · E%{{y}}: %{{z}}<extra></extra>", **_axes(row)))
        axis = layout["yaxis" + (str(row) if row > 1 else "")]
        axis["title"] = dict(text=text["expert"])
        if results[method].settings["num_experts"] <= 16:
            axis["dtick"] = 1  # a tick per expert while they fit
        titles.append(dict(text=f"<b>{names.get(method, method)}</b>", xref="paper", yref="paper", x=0.0,
                           y=axis["domain"][1], xanchor="left", yanchor="bottom", showarrow=False))
    bottom = "xaxis" + (str(len(methods)) if len(methods) > 1 else "")
    layout[bottom]["title"] = dict(text=text["step"])
    if total_steps:
        layout["xaxis"]["range"] = [0.5, total_steps + 0.5]
    layout.update(LAYOUT, height=140 + 150 * len(methods), annotations=titles,
                  coloraxis=dict(colorscale="Viridis", cmin=0, cmax=z_max,
                                 colorbar=dict(title=dict(text=text["tokens"]), thickness=12)))
    return SpecFigure(dict(data=data, layout=layout))
