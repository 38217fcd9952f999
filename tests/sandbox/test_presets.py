"""Presets run and say what they are in both languages; figures are built from results without Streamlit."""
from __future__ import annotations

import plotly.graph_objects as go
import pytest

from sandbox import figures
from sandbox.presets import PRESETS
from sandbox.simulate import simulate
from sandbox.train import compare

from questions.bank.schema import SANDBOX_PRESETS

# The bank links questions to these ids; the issue names them; the page must have each.
REQUIRED_PRESETS = {"switch-top1", "gshard-top2", "mixtral-8x7b", "deepseek-v3", "seed000-grouping", "collapse-no-balance"}


def test_every_required_preset_exists_with_both_descriptions():
    assert set(PRESETS) == REQUIRED_PRESETS == set(SANDBOX_PRESETS)
    for preset in PRESETS.values():
        assert preset.description["en"].strip() and preset.description["zh"].strip()
        assert "\n" not in preset.description["en"]


@pytest.mark.parametrize("preset_id", sorted(REQUIRED_PRESETS))
def test_every_preset_simulates(preset_id):
    result = simulate(**{**PRESETS[preset_id].simulate_settings(), "num_tokens": 1024})
    assert sum(result.tokens_per_expert) + result.dropped_tokens == result.num_slots


def test_preset_facts():
    switch = PRESETS["switch-top1"].simulate_settings()
    assert (switch["router"], switch["top_k"], switch["capacity_factor"]) == ("switch", 1, 1.25)
    mixtral = PRESETS["mixtral-8x7b"].simulate_settings()
    assert (mixtral["num_experts"], mixtral["top_k"], mixtral["capacity_factor"]) == (8, 2, None)
    deepseek = PRESETS["deepseek-v3"].simulate_settings()
    assert (deepseek["router"], deepseek["num_experts"], deepseek["top_k"], deepseek["num_groups"],
            deepseek["topk_groups"], deepseek["routed_scaling_factor"]) == ("sigmoid_group_limited", 256, 8, 8, 4, 2.5)
    grouping = simulate(**PRESETS["seed000-grouping"].simulate_settings())
    assert [len(g) for g in grouping.expert_groups] == [3, 3, 2, 2]


def test_deepseek_preset_sends_each_token_to_at_most_four_ranks():
    # 8 groups on 8 ranks, 4 groups per token: group-limited routing bounds the ranks a token reaches
    result = simulate(**{**PRESETS["deepseek-v3"].simulate_settings(), "num_tokens": 512})
    assert all(len(g) == 32 for g in result.expert_groups)
    assert result.remote_slots > 0


def test_figures_are_built_from_results():
    result = simulate(num_tokens=1024, skew="hot-expert", capacity_factor=1.0, ep_size=4)
    load = figures.load_figure(result, {"kept": "保留"})
    assert isinstance(load, go.Figure)
    assert [trace.name for trace in load.data] == ["保留", "dropped"]
    assert list(load.data[0].y) == result.tokens_per_expert and list(load.data[1].y) == result.dropped_per_expert
    assert any(shape.y0 == result.capacity for shape in load.layout.shapes)
    traffic = figures.traffic_figure(result.traffic)
    assert [list(row) for row in traffic.data[0].z] == result.traffic
    ranks = figures.rank_load_figure(result)
    assert [a + b for a, b in zip(ranks.data[0].y, ranks.data[1].y)] == result.tokens_per_rank
    weights = figures.weight_figure(result)
    assert sum(weights.data[0].y) == result.num_slots
    dropless = figures.load_figure(simulate(num_tokens=256, capacity_factor=None))
    assert len(dropless.data) == 1 and all(shape.y0 != None for shape in dropless.layout.shapes)


def test_training_figure_has_both_curves_per_method():
    results = compare(["none", "aux"], steps=5)
    figure = figures.training_figure(results, method_names={"none": "no balancing"})
    assert [trace.name for trace in figure.data] == ["no balancing", "no balancing", "aux", "aux"]
    assert list(figure.data[0].y) == results["none"].load_cv and list(figure.data[1].y) == results["none"].task_loss
