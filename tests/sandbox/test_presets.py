"""Presets: the six named settings exist, say what they are in both languages, and simulate as their sources say."""
from __future__ import annotations

import pytest

from moe_core import expert_capacity
from sandbox.presets import PRESETS
from sandbox.settings import DEFAULT_SETTINGS, simulate_settings
from sandbox.simulate import simulate

# The settings the bank's questions and the docs name; the page must offer each.
REQUIRED_PRESETS = {"switch-top1", "gshard-top2", "mixtral-8x7b", "deepseek-v3", "uneven-grouping",
                    "collapse-no-balance"}


def test_every_required_preset_exists_with_both_descriptions():
    assert set(PRESETS) == REQUIRED_PRESETS
    for preset_id, preset in PRESETS.items():
        assert preset.id == preset_id
        assert preset.description["en"].strip() and preset.description["zh"].strip()
        assert "\n" not in preset.description["en"]
        assert set(preset.settings) <= set(DEFAULT_SETTINGS), "a preset sets only simulate()'s settings"


@pytest.mark.parametrize("preset_id", sorted(REQUIRED_PRESETS))
def test_every_preset_simulates(preset_id):
    settings = {**simulate_settings(PRESETS[preset_id]), "num_tokens": 1024}
    result = simulate(**settings)
    assert {name: result.settings[name] for name in settings} == settings  # it ran with the preset's settings
    assert len(result.routed_per_expert) == settings["num_experts"]
    assert len(result.expert_groups) == settings["ep_size"]
    assert result.num_slots == 1024 * settings["top_k"]
    assert sum(result.tokens_per_expert) + result.dropped_tokens == result.num_slots
    if settings["capacity_factor"] is None:
        assert result.capacity is None and result.dropped_tokens == 0
    else:
        assert result.capacity == expert_capacity(1024, settings["num_experts"], settings["top_k"],
                                                  settings["capacity_factor"])
        assert max(result.tokens_per_expert) <= result.capacity


def test_preset_facts():
    switch = simulate_settings(PRESETS["switch-top1"])
    assert (switch["router"], switch["top_k"], switch["capacity_factor"]) == ("switch", 1, 1.25)
    mixtral = simulate_settings(PRESETS["mixtral-8x7b"])
    assert (mixtral["num_experts"], mixtral["top_k"], mixtral["capacity_factor"]) == (8, 2, None)
    deepseek = simulate_settings(PRESETS["deepseek-v3"])
    assert (deepseek["router"], deepseek["num_experts"], deepseek["top_k"], deepseek["num_groups"],
            deepseek["topk_groups"], deepseek["routed_scaling_factor"]) == ("sigmoid_group_limited", 256, 8, 8, 4, 2.5)
    grouping = simulate(**simulate_settings(PRESETS["uneven-grouping"]))
    assert [len(g) for g in grouping.expert_groups] == [3, 3, 2, 2]


def test_deepseek_preset_sends_each_token_to_at_most_four_ranks():
    # 8 groups on 8 ranks, 4 groups per token: group-limited routing bounds the ranks a token reaches
    settings = {**simulate_settings(PRESETS["deepseek-v3"]), "num_tokens": 512}
    result = simulate(**settings)
    assert all(len(g) == 32 for g in result.expert_groups)
    assert result.remote_slots > 0
    reached = result.tokens_by_ranks_reached
    assert sum(reached) == 512 and len(reached) == 9
    assert sum(reached[5:]) == 0 and reached[4] > 0  # at most 4 ranks, and the bound is reached
    # without the group limit the same top-8 spreads over more ranks: the bound comes from the groups
    unlimited = simulate(**{**settings, "topk_groups": 8}).tokens_by_ranks_reached
    assert sum(unlimited[5:]) > 0
