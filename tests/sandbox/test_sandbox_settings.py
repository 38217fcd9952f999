"""Widget state <-> settings: every setting has a URL key, presets become widget values, state becomes settings."""
from __future__ import annotations

import pytest

from sandbox import settings as widgets
from sandbox.presets import PRESETS
from sandbox.settings import DEFAULT_SETTINGS, DEFAULT_TRAIN, simulate_settings, train_settings
from sandbox.simulate import simulate


def test_every_simulate_and_train_setting_has_a_widget_key():
    assert set(widgets.A_KEYS.values()) == set(DEFAULT_SETTINGS)
    assert set(widgets.TRAIN_KEYS.values()) == set(DEFAULT_TRAIN)
    # setting B's keys are A's with the B prefix, for the layer's settings
    for key, name in widgets.B_KEYS.items():
        assert key.startswith(widgets.B_PREFIX) and widgets.A_KEYS[key.replace(widgets.B_PREFIX, "sb.")] == name
    assert set(widgets.DEFAULTS) == set(widgets.A_KEYS) | set(widgets.TRAIN_KEYS) | {"sb.dropless"}


def test_defaults_are_the_default_settings():
    assert widgets.settings_from_state({}) == {**DEFAULT_SETTINGS, "zipf_exponent": 1.2, "hot_bias": 2.0}
    assert widgets.DEFAULTS["sb.dropless"] is False and widgets.DEFAULTS["sb.cf"] == 1.25
    assert widgets.default("sb.b.experts") == widgets.default("sb.experts") == 8
    assert widgets.default_index(widgets.ROUTER_NAMES, "sb.b.router") == widgets.ROUTER_NAMES.index("topk_softmax")


def test_dropless_maps_to_the_toggle_and_back():
    values = widgets.widget_values({**DEFAULT_SETTINGS, "capacity_factor": None}, DEFAULT_TRAIN)
    assert values["sb.dropless"] is True and values["sb.cf"] == widgets.DROPLESS_CAPACITY_FACTOR
    assert widgets.settings_from_state(values)["capacity_factor"] is None
    assert widgets.settings_from_state({**values, "sb.dropless": False, "sb.cf": 2})["capacity_factor"] == 2.0


@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_a_preset_round_trips_through_the_widgets(preset_id):
    preset = PRESETS[preset_id]
    values = widgets.preset_values(preset_id)
    assert widgets.settings_from_state(values) == {**simulate_settings(preset),
                                                   **{name: float(simulate_settings(preset)[name])
                                                      for name in widgets.FLOAT_SETTINGS}}
    balances, kwargs = widgets.train_settings_from_state(values, seed=3)
    train = train_settings(preset)
    assert balances == train["balances"] and kwargs["steps"] == train["steps"] and kwargs["seed"] == 3
    assert (kwargs["zipf_exponent"], kwargs["hot_bias"], kwargs["aux_coef"]) == (
        train["zipf_exponent"], train["hot_bias"], train["aux_coef"])


def test_a_preset_skips_the_keys_the_url_gives():
    values = widgets.preset_values("mixtral-8x7b", skip={"sb.experts", "lang"})
    assert "sb.experts" not in values and values["sb.dropless"] is True and values["sb.ep"] == 2


def test_url_preset_applies_once_and_names_unknown_ones():
    assert widgets.url_preset_step(None, None) is None
    assert widgets.url_preset_step("", "deepseek-v3") is None
    assert widgets.url_preset_step("nope", None) == "unknown"
    assert widgets.url_preset_step("deepseek-v3", None) == "apply"
    assert widgets.url_preset_step("deepseek-v3", "mixtral-8x7b") == "apply"
    assert widgets.url_preset_step("deepseek-v3", "deepseek-v3") is None


def test_setting_b_changes_only_the_layer_settings():
    state = {"sb.seed": 7, "sb.skew": "clustered", "sb.zipf": 2, "sb.experts": 8, "sb.dropless": True,
             "sb.b.experts": 16, "sb.b.top_k": 1, "sb.b.router": "switch", "sb.b.dropless": False, "sb.b.cf": 1.5,
             "sb.b.drop": "probs", "sb.b.ep": 4}
    a = widgets.settings_from_state(state)
    b = widgets.settings_from_state(state, b_side=True)
    assert (a["num_experts"], a["capacity_factor"], a["zipf_exponent"]) == (8, None, 2.0)
    assert (b["num_experts"], b["top_k"], b["router"], b["capacity_factor"], b["drop_policy"], b["ep_size"]) == (
        16, 1, "switch", 1.5, "probs", 4)
    assert {k: v for k, v in b.items() if k not in widgets.B_KEYS.values()} == {
        k: v for k, v in a.items() if k not in widgets.B_KEYS.values()}  # same tokens: same seed and input
    simulate(**{**b, "num_tokens": 256})  # B's settings are simulate()'s


def test_training_settings_from_the_widgets():
    balances, kwargs = widgets.train_settings_from_state({"sb.steps": 300, "sb.aux_coef": 1.0}, seed=4)
    assert balances == DEFAULT_TRAIN["balances"]
    assert kwargs == dict(steps=300, seed=4, zipf_exponent=DEFAULT_TRAIN["zipf_exponent"],
                          hot_bias=DEFAULT_TRAIN["hot_bias"], aux_coef=1.0)


def test_ep_run_uses_setting_a_and_the_hot_bias_only_for_that_input():
    settings = {**DEFAULT_SETTINGS, "capacity_factor": None, "hot_bias": 3.0}
    assert widgets.ep_run_settings(settings) == dict(num_experts=8, top_k=2, router="topk_softmax",
                                                     capacity_factor=None, drop_policy="position", seed=0,
                                                     hot_bias=0.0, router_scale=1.0)
    assert widgets.ep_run_settings({**settings, "skew": "hot-expert"})["hot_bias"] == 3.0


def test_b_starts_as_a_copy_of_a_except_what_the_url_gives():
    state = widgets.preset_values("deepseek-v3")
    copied = widgets.b_copy_of_a(state)
    assert set(copied) == {*widgets.B_KEYS, widgets.B_PREFIX + "dropless"}
    assert copied["sb.b.experts"] == 256 and copied["sb.b.router"] == "sigmoid_group_limited"
    assert copied["sb.b.dropless"] is True and copied["sb.b.ep"] == 8
    assert "sb.b.router" not in widgets.b_copy_of_a(state, skip={"sb.b.router", "lang"})
    assert widgets.b_copy_of_a({})["sb.b.experts"] == widgets.DEFAULTS["sb.experts"]


def test_preset_changes_name_the_widgets_that_left_the_preset():
    state = widgets.preset_values("mixtral-8x7b")
    assert widgets.preset_changes(state, "mixtral-8x7b") == []
    assert widgets.preset_changes({**state, "sb.experts": 16, "sb.seed": 4}, "mixtral-8x7b") == ["sb.experts", "sb.seed"]
    assert widgets.preset_changes({"sb.experts": 8}, "mixtral-8x7b") == [], "widgets without state do not count"
    assert widgets.preset_changes({**state, "sb.experts": 16}, None) == []


@pytest.mark.parametrize("router, dropless, reasons", [
    ("topk_softmax", True, {"capacity_factor": "dropless", "drop_policy": "dropless", "num_groups": "group_router",
                            "topk_groups": "group_router", "routed_scaling_factor": "group_router"}),
    ("expert_choice", False, {"drop_policy": "expert_choice", "num_groups": "group_router",
                              "topk_groups": "group_router", "routed_scaling_factor": "group_router"}),
    ("sigmoid_group_limited", False, {}),
])
def test_disabled_reasons(router, dropless, reasons):
    assert widgets.disabled_reasons(router, dropless) == reasons


def test_option_widgets_travel_in_the_url_by_name():
    params = {"sb.router": ["switch"], "sb.skew": ["no-such-skew"], "sb.balances": ["none", "bogus", "bias"]}
    values = widgets.options_from_url(lambda key: params.get(key, []))
    assert values == {"sb.router": "switch", "sb.balances": ["none", "bias"]}
    assert widgets.options_from_url(lambda key: [""] if key == "sb.balances" else []) == {"sb.balances": []}
    written = widgets.option_params({"sb.router": "switch", "sb.drop": "position", "sb.balances": []})
    assert written == {"sb.router": ["switch"], "sb.drop": None, "sb.balances": [""]}
    assert set(widgets.OPTION_KEYS) <= set(widgets.A_KEYS) | set(widgets.B_KEYS) | set(widgets.TRAIN_KEYS)
