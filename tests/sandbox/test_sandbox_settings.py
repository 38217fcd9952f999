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


def test_training_key_changes_with_any_setting():
    balances, kwargs = widgets.train_settings_from_state({}, seed=0)
    assert balances == DEFAULT_TRAIN["balances"]
    key = widgets.train_key(balances, kwargs)
    assert widgets.train_key(list(reversed(balances)), kwargs) == key  # the order of the methods does not matter
    assert widgets.train_key(balances, {**kwargs, "seed": 1}) != key
    assert widgets.train_key(balances[:1], kwargs) != key


def test_ep_run_uses_setting_a_and_the_hot_bias_only_for_that_input():
    settings = {**DEFAULT_SETTINGS, "capacity_factor": None, "hot_bias": 3.0}
    assert widgets.ep_run_settings(settings) == dict(num_experts=8, top_k=2, router="topk_softmax",
                                                     capacity_factor=None, drop_policy="position", seed=0,
                                                     hot_bias=0.0, router_scale=1.0)
    assert widgets.ep_run_settings({**settings, "skew": "hot-expert"})["hot_bias"] == 3.0
