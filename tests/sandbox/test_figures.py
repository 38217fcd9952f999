"""Figures are built from results without Streamlit: each trace carries the numbers of the result it draws."""
from __future__ import annotations

import plotly.graph_objects as go

from sandbox import figures
from sandbox.simulate import simulate
from sandbox.train import TrainingRun, compare


def lines(figure) -> dict:
    """{legend name: y} of the horizontal lines (capacity, mean) drawn as legend entries."""
    return {trace.name: trace.y[0] for trace in figure.data if trace.type == "scatter"}


def test_figures_are_built_from_results():
    result = simulate(num_tokens=1024, skew="hot-expert", capacity_factor=1.0, ep_size=4)
    load = figures.load_figure(result, {"kept": "保留"})
    assert isinstance(load, go.Figure)
    assert [trace.name for trace in load.data if trace.type == "bar"] == ["保留", "dropped"]
    assert list(load.data[0].y) == result.tokens_per_expert and list(load.data[1].y) == result.dropped_per_expert
    mean = sum(result.routed_per_expert) / len(result.routed_per_expert)
    assert lines(load) == {"mean load": mean, f"capacity = {result.capacity}": result.capacity}
    assert not load.layout.annotations, "no label is drawn on the bars: the lines are named in the legend"
    traffic = figures.traffic_figure(result.traffic)
    assert [list(row) for row in traffic.data[0].z] == result.traffic
    ranks = figures.rank_load_figure(result)
    assert [a + b for a, b in zip(ranks.data[0].y, ranks.data[1].y)] == result.tokens_per_rank
    assert list(ranks.data[0].y) == [result.traffic[r][r] for r in range(4)]  # local: the traffic's diagonal
    weights = figures.weight_figure(result)
    assert sum(weights.data[0].y) == result.num_slots
    dropless_result = simulate(num_tokens=256, capacity_factor=None)
    dropless = figures.load_figure(dropless_result)
    # dropless: only kept slots and the mean line, no capacity line
    assert len(dropless.data) == 2 and lines(dropless) == {"mean load": 256 * 2 / 8}


def test_legends_sit_under_the_plot_away_from_the_toolbar_and_titles():
    result = simulate(num_tokens=256)
    for figure in (figures.load_figure(result, title="t"), figures.rank_load_figure(result)):
        assert figure.layout.legend.y < 0 and figure.layout.legend.yanchor == "top"
    legend = figures.training_figure(compare(["none"], steps=3)).spec["layout"]["legend"]
    assert legend["y"] < 0 and legend["yanchor"] == "top"
    assert figures.PLOTLY_CONFIG["displayModeBar"] is False


def test_shared_ranges_put_a_and_b_on_one_scale():
    a = simulate(num_tokens=1024, num_experts=8, capacity_factor=1.0, ep_size=2)
    b = simulate(num_tokens=1024, num_experts=16, capacity_factor=2.0, ep_size=4, skew="hot-expert")
    ranges = figures.shared_ranges([a, b])
    assert ranges["load"] >= max(a.routed_per_expert + b.routed_per_expert + [a.capacity, b.capacity])
    assert ranges["traffic"] == max(max(map(max, a.traffic)), max(map(max, b.traffic)))
    charts = [figures.load_figure(r, y_max=ranges["load"]) for r in (a, b)]
    assert charts[0].layout.yaxis.range == charts[1].layout.yaxis.range == (0, ranges["load"])
    assert figures.traffic_figure(a.traffic, z_max=ranges["traffic"]).data[0].zmax == ranges["traffic"]


def test_rank_load_labels_name_each_ranks_experts():
    result = simulate(num_tokens=256, num_experts=10, ep_size=4)
    labels = list(figures.rank_load_figure(result, {"rank": "rank"}).data[0].x)
    assert labels == ["rank 0<br>E0–E2", "rank 1<br>E3–E5", "rank 2<br>E6–E7", "rank 3<br>E8–E9"]
    single = simulate(num_tokens=256, num_experts=4, ep_size=4)
    assert list(figures.rank_load_figure(single).data[0].x)[1] == "rank 1<br>E1"


def test_training_figure_has_both_curves_per_method():
    results = compare(["none", "aux"], steps=5)
    spec = figures.training_figure(results, method_names={"none": "no balancing"}, total_steps=50).spec
    assert [trace["name"] for trace in spec["data"]] == ["no balancing", "no balancing", "aux", "aux"]
    assert spec["data"][0]["y"] == results["none"].load_cv and spec["data"][1]["y"] == results["none"].task_loss
    assert (spec["data"][0]["yaxis"], spec["data"][1]["yaxis"]) == ("y", "y2")
    assert spec["layout"]["xaxis"]["range"] == [1, 50], "live curves grow into a fixed axis"
    assert spec["layout"]["yaxis2"]["type"] == "log"


def test_training_figure_draws_the_bias_per_expert_and_marks_a_branch():
    run = TrainingRun(["none"], steps=20)
    run.step(4)
    run.set_balances(["none", "bias"])
    run.step(3)
    spec = figures.training_figure(run.history).spec
    bias = [trace for trace in spec["data"] if trace["yaxis"] == "y3"]
    assert len(bias) == 8 and bias[0]["y"] == [step[0] for step in run.history["bias"].expert_bias]
    assert [shape["x0"] for shape in spec["layout"]["shapes"]] == [4]
    go.Figure(spec)  # a valid plotly figure, though built without plotly's checks


def test_expert_load_heatmap_is_one_panel_per_method_on_one_scale():
    results = compare(["none", "aux"], steps=6, hot_bias=2.0)
    spec = figures.expert_load_heatmap(results, method_names={"none": "no balancing"}, total_steps=6).spec
    assert [trace["type"] for trace in spec["data"]] == ["heatmap", "heatmap"]
    assert spec["data"][0]["z"] == [list(c) for c in zip(*results["none"].tokens_per_expert)]
    assert spec["layout"]["coloraxis"]["cmax"] == max(max(map(max, r.tokens_per_expert)) for r in results.values())
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["<b>no balancing</b>", "<b>aux</b>"]
    go.Figure(spec)
