"""AppTest of the sandbox page: both languages, every preset, URL state, impossible settings, A/B, train, EP run."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from questions.ui.i18n import t
from sandbox.presets import PRESETS
from sandbox.simulate import simulate

URL_KEYS = ["sb.tokens", "sb.experts", "sb.top_k", "sb.router", "sb.dropless", "sb.cf", "sb.drop", "sb.ep", "sb.skew",
            "sb.seed", "sb.zipf", "sb.hot", "sb.d_model", "sb.scale", "sb.groups", "sb.topk_groups", "sb.rsf", "sb.ab",
            "sb.b.experts", "sb.b.top_k", "sb.b.router", "sb.b.dropless", "sb.b.cf", "sb.b.drop", "sb.b.ep",
            "sb.balances", "sb.steps", "sb.train_zipf", "sb.train_hot", "sb.aux_coef", "sb.ep_world", "sb.ep_tokens"]
from tests.helpers.paths import APP  # noqa: E402
PAGE = "sandbox/page.py"


def open_page(lang="en", **params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.context = {"locale": "en-US", "timezone": "UTC"}
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE)
    return run_ok(at)


def run_ok(at) -> AppTest:
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_with_metrics_and_charts(lang):
    at = open_page(lang)
    assert at.title[0].value == t("sandbox.title", lang)
    result = simulate(**{name: at.session_state[key] for key, name in (
        ("sb.tokens", "num_tokens"), ("sb.experts", "num_experts"), ("sb.top_k", "top_k"), ("sb.ep", "ep_size"))})
    shown = metrics(at)
    assert shown[t("sandbox.m.capacity", lang)] == str(result.capacity)
    assert shown[t("sandbox.m.aux", lang)] == f"{result.aux_loss:.3f}"
    assert len(at.get("plotly_chart")) >= 4  # load, ranks, traffic, weights
    assert not at.error
    assert at.get("page_link"), "related bank questions are linked to the practice page"
    assert all(link.proto.query_string.startswith("q=") for link in at.get("page_link"))


@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_every_preset_from_the_url(preset_id):
    at = open_page("en", preset=preset_id)
    settings = PRESETS[preset_id].simulate_settings()
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
    ({"sb.cf": "0.0"}, "capacity_factor (0.0) must be > 0"),
    ({"sb.router": "switch"}, "top_k (2) must be 1 for the switch router"),
])
def test_impossible_setting_shows_the_constraint(params, message):
    at = open_page("en", **params)
    errors = [e.value for e in at.error]
    assert errors and all(message in e for e in errors), errors
    assert not at.metric


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


def test_ab_compares_two_settings_on_the_same_tokens():
    at = open_page("en", **{"sb.ab": "true"})
    at.number_input(key="sb.b.experts").set_value(16)
    run_ok(at)
    shown = [m.value for m in at.metric if m.label == "Capacity / expert"]
    a = simulate(num_tokens=4096, num_experts=8).capacity
    b = simulate(num_tokens=4096, num_experts=16).capacity
    assert shown == [str(a), str(b)]
    at.number_input(key="sb.b.ep").set_value(32)  # B impossible, A still drawn
    run_ok(at)
    assert any("ep_size (32) must be <= num_experts (16)" in e.value for e in at.error)
    assert [m.value for m in at.metric if m.label == "Capacity / expert"] == [str(a)]


def test_training_runs_with_progress_and_draws_the_curves():
    at = open_page("en", **{"sb.steps": "50"})
    at.multiselect(key="sb.balances").set_value(["none", "aux"])
    run_ok(at)
    at.button(key="sb.train_run").click()
    run_ok(at)
    key, trained = at.session_state["sb.trained"]
    assert list(trained) == ["none", "aux"] and trained["none"].steps_run == 50
    assert len(at.get("plotly_chart")) >= 5
    assert any("no balancing" in m.value for m in at.markdown)


@pytest.mark.timeout(180)
def test_expert_parallel_run_from_the_page():
    at = open_page("en", **{"sb.ep_tokens": "64"})
    at.button(key="sb.ep_run").click()
    run_ok(at)
    result = at.session_state["sb.ep_result"]
    assert result.matches and result.world_size == 2
    assert any("Matches the single-process layer" in s.value for s in at.success)
