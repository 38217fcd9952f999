"""Figures are built from results without Streamlit: each trace carries the numbers of the result it draws."""
from __future__ import annotations

import plotly.graph_objects as go

from sandbox import figures
from sandbox.simulate import simulate
from sandbox.train import compare


def test_figures_are_built_from_results():
    result = simulate(num_tokens=1024, skew="hot-expert", capacity_factor=1.0, ep_size=4)
    load = figures.load_figure(result, {"kept": "保留"})
    assert isinstance(load, go.Figure)
    assert [trace.name for trace in load.data] == ["保留", "dropped"]
    assert list(load.data[0].y) == result.tokens_per_expert and list(load.data[1].y) == result.dropped_per_expert
    mean = sum(result.routed_per_expert) / len(result.routed_per_expert)
    assert sorted(shape.y0 for shape in load.layout.shapes) == sorted([mean, result.capacity])
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
    assert len(dropless.data) == 1 and [shape.y0 for shape in dropless.layout.shapes] == [256 * 2 / 8]
    assert all(shape.y0 is not None for shape in dropless.layout.shapes)


def test_rank_load_labels_name_each_ranks_experts():
    result = simulate(num_tokens=256, num_experts=10, ep_size=4)
    labels = list(figures.rank_load_figure(result, {"rank": "rank"}).data[0].x)
    assert labels == ["rank 0<br>E0–E2", "rank 1<br>E3–E5", "rank 2<br>E6–E7", "rank 3<br>E8–E9"]
    single = simulate(num_tokens=256, num_experts=4, ep_size=4)
    assert list(figures.rank_load_figure(single).data[0].x)[1] == "rank 1<br>E1"


def test_training_figure_has_both_curves_per_method():
    results = compare(["none", "aux"], steps=5)
    figure = figures.training_figure(results, method_names={"none": "no balancing"})
    assert [trace.name for trace in figure.data] == ["no balancing", "no balancing", "aux", "aux"]
    assert list(figure.data[0].y) == results["none"].load_cv and list(figure.data[1].y) == results["none"].task_loss
