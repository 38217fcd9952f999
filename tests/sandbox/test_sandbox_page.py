"""AppTest of the sandbox page's Simulate tab: both languages, every preset, URL state, impossible settings, A/B,
translated options, disabled controls that say why, charts without the mode bar."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from questions.languages import LANGUAGES
from questions.ui.i18n import catalog, t
from questions.ui.routes import SANDBOX
from moe_core import DROP_POLICIES
from sandbox import display, figures
from sandbox.presets import PRESETS
from sandbox.settings import (A_KEYS, B_KEYS, B_PREFIX, OPTION_KEYS, ROUTER_NAMES, TRAIN_KEYS, preset_values,
                              simulate_settings)
from sandbox.simulate import SKEWS, simulate
from sandbox.train import BALANCE_METHODS
from tests.helpers.apptest import app_test, open_link, run_ok

# every widget that holds a setting: simulate's (A and B), train's, the dropless and A/B toggles, the EP run's; the
# option widgets (shown translated) are written into the URL by name by the page itself
URL_KEYS = [key for key in (*A_KEYS, "sb.dropless", "sb.ab", *B_KEYS, B_PREFIX + "dropless", *TRAIN_KEYS, "sb.ep_tokens")
            if key not in OPTION_KEYS]


def url_values(at, key: str) -> list:
    value = at.query_params[key]
    return value if isinstance(value, list) else [value]


def comparison_tables(at) -> list:
    return [table.value for table in at.table if t("sandbox.delta", "en") in table.value.columns]


def open_page(lang="en", **params):
    return open_link(SANDBOX.path, lang, **params)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_the_page_builds_a_key_for_is_in_the_catalog(lang):
    built = ([f"m.{name}" for name in display.METRICS] + [f"help.m.{name}" for name in display.METRICS]
             + [f"help.router.{name}" for name in ROUTER_NAMES] + [f"help.skew.{name}" for name in SKEWS]
             + [f"balance.{name}" for name in BALANCE_METHODS] + [f"fig.{name}" for name in figures.DEFAULT_LABELS]
             + [f"ep.{name}" for name in display.EP_COLUMNS[1:]] + ["setting_a", "setting_b"]
             + [f"opt.router.{name}" for name in ROUTER_NAMES] + [f"opt.skew.{name}" for name in SKEWS]
             + [f"opt.drop_policy.{name}" for name in DROP_POLICIES]
             + [f"disabled.{reason}" for reason in ("dropless", "expert_choice", "group_router")]
             + [f"note.{name}" for name in ("dropped", "entropy")])
    missing = [key for key in built if f"sandbox.{key}" not in catalog(lang)]
    assert not missing, missing


def metrics(at, lang="en") -> dict:
    """The sandbox's own metrics (the page's other tabs have metrics of their own)."""
    names = {t(f"sandbox.m.{name}", lang) for name in display.METRICS}
    return {m.label: m.value for m in at.metric if m.label in names}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_renders_with_metrics_and_charts(lang):
    at = open_page(lang)
    assert at.title[0].value == t("sandbox.title", lang)
    result = simulate(**{name: at.session_state[key] for key, name in (
        ("sb.tokens", "num_tokens"), ("sb.experts", "num_experts"), ("sb.top_k", "top_k"), ("sb.ep", "ep_size"))})
    shown = metrics(at, lang)
    assert shown[t("sandbox.m.capacity", lang)] == str(result.capacity)
    assert shown[t("sandbox.m.aux", lang)] == f"{result.aux_loss:.3f}"
    assert len(at.get("plotly_chart")) >= 4  # load, ranks, traffic, weights
    assert not at.error
    assert at.get("page_link"), "related bank questions are linked to the practice page"
    assert all(link.proto.query_string.startswith("q=") for link in at.get("page_link"))


@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_every_preset_from_the_url(preset_id):
    at = open_page("en", preset=preset_id)
    settings = simulate_settings(PRESETS[preset_id])
    assert at.session_state["sb.experts"] == settings["num_experts"]
    assert at.session_state["sb.top_k"] == settings["top_k"]
    assert at.session_state["sb.router"] == settings["router"]
    assert at.session_state["sb.dropless"] == (settings["capacity_factor"] is None)
    assert not at.error
    assert PRESETS[preset_id].description["en"] in [c.value for c in at.caption]
    links = [link.proto.query_string for link in at.get("page_link")]
    assert links, "a preset lists its related questions"


def test_preset_picker_applies_the_preset_and_writes_the_url():
    at = open_page("zh")
    at.selectbox(key="sb.preset_pick").set_value("deepseek-v3")
    run_ok(at)
    assert at.session_state["sb.experts"] == 256 and at.session_state["sb.router"] == "sigmoid_group_limited"
    assert at.query_params["preset"] == ["deepseek-v3"] or at.query_params["preset"] == "deepseek-v3"
    assert PRESETS["deepseek-v3"].description["zh"] in [c.value for c in at.caption]


@pytest.mark.parametrize("params, message", [
    ({"sb.top_k": "9"}, "top_k (9) must be <= num_experts (8)"),
    ({"sb.ep": "16"}, "ep_size (16) must be <= num_experts (8)"),
    ({"sb.cf": "0.0"}, "capacity_factor (0.0) must be a finite number > 0"),
    ({"sb.router": "switch"}, "top_k (2) must be 1 for the switch router"),
])
def test_impossible_setting_shows_the_constraint(params, message):
    at = open_page("en", **params)
    errors = [e.value for e in at.error]
    assert errors and all(message in e for e in errors), errors
    assert not metrics(at)


def test_url_parameters_restore_every_setting():
    params = {"sb.experts": "16", "sb.top_k": "1", "sb.router": "switch", "sb.seed": "7", "sb.skew": "clustered",
              "sb.zipf": "2.0", "sb.cf": "1.5", "sb.ep": "4", "sb.tokens": "1024", "sb.drop": "probs"}
    at = open_page("en", **params)
    assert at.session_state["sb.experts"] == 16 and at.session_state["sb.seed"] == 7
    assert at.session_state["sb.router"] == "switch" and at.session_state["sb.skew"] == "clustered"
    expected = simulate(num_tokens=1024, num_experts=16, top_k=1, router="switch", seed=7, skew="clustered",
                        zipf_exponent=2.0, capacity_factor=1.5, drop_policy="probs", ep_size=4)
    shown = metrics(at)
    assert shown["Dropped slots"].startswith(f"{expected.dropped_tokens:,}")
    assert shown["Load CV"] == f"{expected.load_cv:.2f}"


def test_url_preset_keeps_the_settings_the_url_overrides():
    at = open_page("en", preset="mixtral-8x7b", **{"sb.experts": "16"})
    assert at.session_state["sb.experts"] == 16 and at.session_state["sb.dropless"] is True


def test_every_setting_is_bound_to_the_url():
    # the browser writes a bound widget's value into ?<key>=; AppTest has no browser, so check the binding itself
    at = open_page("en", **{"sb.skew": "clustered", "sb.ab": "true"})
    bound = {}
    for kind in ("number_input", "selectbox", "select_slider", "slider", "toggle", "multiselect"):
        for widget in at.get(kind):
            if getattr(widget.proto, "query_param_key", ""):
                bound[widget.proto.query_param_key] = widget.key
    missing = set(URL_KEYS) - set(bound) - {"sb.hot"}  # the hot-expert slider is drawn only for that input
    assert not missing, missing
    assert all(param == key for param, key in bound.items())
    assert not set(OPTION_KEYS) & set(bound), "a bound option widget would put its translated label in the URL"


def test_option_widgets_show_translated_names_and_keep_option_names_in_the_url():
    at = open_page("zh", **{"sb.router": "switch", "sb.top_k": "1", "sb.balances": ["none", "bias"]})
    router = at.selectbox(key="sb.router")
    assert router.value == "switch" and router.options == [t(f"sandbox.opt.router.{name}", "zh")
                                                            for name in ROUTER_NAMES]
    assert at.session_state["sb.balances"] == ["none", "bias"]
    assert at.multiselect(key="sb.balances").options == [t(f"sandbox.balance.{name}", "zh") for name in BALANCE_METHODS]
    at.selectbox(key="sb.drop").set_value("probs")
    at.selectbox(key="sb.skew").set_value("clustered")
    run_ok(at)
    assert url_values(at, "sb.drop") == ["probs"] and url_values(at, "sb.skew") == ["clustered"]
    assert url_values(at, "sb.router") == ["switch"]
    at.selectbox(key="sb.skew").set_value("uniform")  # back to the default: the parameter leaves the URL
    run_ok(at)
    assert "sb.skew" not in at.query_params


def test_metrics_stay_short_enough_for_four_in_a_row():
    at = open_page("zh", **{"sb.tokens": "16384", "sb.experts": "64", "sb.skew": "hot-expert", "sb.cf": "1.0"})
    shown = metrics(at, "zh")
    assert len(shown) == len(display.METRICS)
    assert all(len(value) <= 8 for value in shown.values()), shown  # the drops' share is a note under the value
    dropped = [m for m in at.metric if m.label == t("sandbox.m.dropped", "zh")][0]
    assert "%" in dropped.proto.delta


def test_charts_have_no_plotly_mode_bar():
    at = open_page("en", **{"sb.ab": "true"})
    configs = [json.loads(chart.proto.config) for chart in at.get("plotly_chart") if "-sb_" in chart.proto.id]
    assert configs and all(config.get("displayModeBar") is False for config in configs)


def test_disabled_controls_say_why():
    at = open_page("en", preset="mixtral-8x7b")
    capacity = at.number_input(key="sb.cf")
    assert capacity.disabled and capacity.help == t("sandbox.disabled.dropless", "en")
    assert at.selectbox(key="sb.drop").disabled
    captions = [c.value for c in at.caption]
    assert any(t("sandbox.disabled.dropless", "en") in c for c in captions)
    assert at.number_input(key="sb.groups").disabled  # group settings need the sigmoid group-limited router
    assert any(t("sandbox.disabled.group_router", "en") in c for c in captions)
    at.toggle(key="sb.dropless").set_value(False)
    run_ok(at)
    assert not at.number_input(key="sb.cf").disabled


def test_preset_label_turns_into_modified_once_a_setting_changes():
    at = open_page("en", preset="mixtral-8x7b")
    description = PRESETS["mixtral-8x7b"].description["en"]
    assert "mixtral-8x7b" in at.selectbox(key="sb.preset_pick").options
    at.number_input(key="sb.experts").set_value(16)
    run_ok(at)
    assert t("sandbox.preset_modified", "en", preset="mixtral-8x7b") in at.selectbox(key="sb.preset_pick").options
    assert description not in [c.value for c in at.caption]
    at.number_input(key="sb.experts").set_value(8)  # back to the preset's value: the preset is whole again
    run_ok(at)
    assert description in [c.value for c in at.caption]


def element_path(node, key: str, path=()):
    """Child indices from the root to the widget with `key` (None when absent)."""
    if getattr(node, "key", None) == key:
        return path
    for index, child in getattr(node, "children", {}).items():
        found = element_path(child, key, (*path, index))
        if found is not None:
            return found
    return None


def test_ab_compares_two_settings_on_the_same_tokens_in_a_table_with_deltas():
    at = open_page("en", **{"sb.ab": "true"})
    at.number_input(key="sb.b.experts").set_value(16)
    run_ok(at)
    a = simulate(num_tokens=4096, num_experts=8)
    b = simulate(num_tokens=4096, num_experts=16)
    table = comparison_tables(at)[0]
    rows = display.comparison_rows(a, b)
    assert list(table.iloc[:, 0]) == [t(f"sandbox.m.{row['metric']}", "en") for row in rows]
    assert [list(table.iloc[i, 1:]) for i in range(len(rows))] == [[r["a"], r["b"], r["delta"]] for r in rows]
    assert rows[0]["delta"] == f"{b.capacity - a.capacity:+d}"
    at.number_input(key="sb.b.ep").set_value(32)  # B impossible, A still drawn with its metrics
    run_ok(at)
    assert any("ep_size (32) must be <= num_experts (16)" in e.value for e in at.error)
    assert metrics(at)["Capacity / expert"] == str(a.capacity) and not comparison_tables(at)


def test_b_starts_as_a_copy_of_a_beside_a():
    at = open_page("en", preset="gshard-top2")
    at.toggle(key="sb.ab").set_value(True)
    run_ok(at)
    assert at.session_state["sb.b.experts"] == 32 and at.session_state["sb.b.cf"] == 1.0
    assert at.session_state["sb.b.ep"] == 8
    a_path, b_path = element_path(at._tree, "sb.experts"), element_path(at._tree, "sb.b.experts")
    shared = next(index for index, (x, y) in enumerate(zip(a_path, b_path)) if x != y)
    assert (a_path[shared], b_path[shared]) == (0, 1), "A's controls in the first column of a row, B's in the second"
    assert len(a_path) == len(b_path) and a_path[shared + 1:] == b_path[shared + 1:], "at the same place in each"
    # the same shared axes: both load charts end at the same height
    ranges = [json.loads(chart.proto.spec)["layout"]["yaxis"]["range"] for chart in at.get("plotly_chart")
              if "-sb_load_" in chart.proto.id]
    assert len(ranges) == 2 and ranges[0] == ranges[1]


def test_a_link_with_ab_on_copies_a_into_what_b_does_not_name():
    at = open_page("en", preset="deepseek-v3", **{"sb.ab": "true", "sb.b.router": "topk_softmax"})
    assert at.session_state["sb.b.experts"] == 256 and at.session_state["sb.b.top_k"] == 8
    assert at.session_state["sb.b.router"] == "topk_softmax" and at.session_state["sb.b.dropless"] is True


def test_unknown_preset_in_the_url_is_named_with_the_known_ones():
    at = open_page("zh", preset="mixtral-8x22b")
    warnings = [w.value for w in at.warning]
    assert any("mixtral-8x22b" in w and "deepseek-v3" in w for w in warnings), warnings
    assert at.metric, "the default settings are still simulated"
