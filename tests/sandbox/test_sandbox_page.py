"""AppTest of the sandbox page: both languages, every preset, URL state, impossible settings, A/B, train, EP run."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from questions.languages import LANGUAGES
from questions.ui.i18n import catalog, t
from questions.ui.routes import SANDBOX
from sandbox import display, figures
from sandbox.presets import PRESETS
from sandbox.settings import A_KEYS, B_KEYS, B_PREFIX, ROUTER_NAMES, TRAIN_KEYS, simulate_settings
from sandbox.simulate import SKEWS, simulate
from sandbox.train import BALANCE_METHODS
from tests.helpers.apptest import app_test, run_ok

# every widget that holds a setting: simulate's (A and B), train's, the dropless and A/B toggles, the EP run's
URL_KEYS = [*A_KEYS, "sb.dropless", "sb.ab", *B_KEYS, B_PREFIX + "dropless", *TRAIN_KEYS, "sb.ep_world", "sb.ep_tokens"]


def open_page(lang="en", **params) -> AppTest:
    """The sandbox opened by a link carrying `params` (the landing page drops link parameters it does not read)."""
    at = app_test(lang=lang)
    at.run()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(SANDBOX.path)
    return run_ok(at)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_the_page_builds_a_key_for_is_in_the_catalog(lang):
    built = ([f"m.{name}" for name in display.METRICS] + [f"help.m.{name}" for name in display.METRICS]
             + [f"help.router.{name}" for name in ROUTER_NAMES] + [f"help.skew.{name}" for name in SKEWS]
             + [f"balance.{name}" for name in BALANCE_METHODS] + [f"fig.{name}" for name in figures.DEFAULT_LABELS]
             + [f"ep.{name}" for name in display.EP_COLUMNS[1:]] + ["setting_a", "setting_b"])
    missing = [key for key in built if f"sandbox.{key}" not in catalog(lang)]
    assert not missing, missing


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", LANGUAGES)
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


def test_unknown_preset_in_the_url_is_named_with_the_known_ones():
    at = open_page("zh", preset="mixtral-8x22b")
    warnings = [w.value for w in at.warning]
    assert any("mixtral-8x22b" in w and "deepseek-v3" in w for w in warnings), warnings
    assert at.metric, "the default settings are still simulated"
