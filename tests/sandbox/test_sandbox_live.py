"""AppTest of the sandbox page's Train and Expert-parallel tabs: live training (Play / Pause / Step / Reset, settings
changed mid-run) and the multi-process run with setting A's ranks, kept in the URL."""
from __future__ import annotations

import pytest

from questions.ui.i18n import t
from questions.ui.routes import SANDBOX
from sandbox.parallel_run import world_size_for
from sandbox.settings import DEFAULT_SETTINGS, EP_RAN_PARAM, STEP_BUTTON_STEPS
from sandbox.train import compare
from tests.helpers.apptest import app_test, run_ok


def open_page(lang="en", **params):
    at = app_test(lang=lang, **params)
    at.run()
    at.switch_page(SANDBOX.path)
    return run_ok(at)


def live(at):
    return at.session_state["sb.live"]


def test_play_trains_in_the_page_until_pause_and_the_curves_are_compares():
    at = open_page("en", **{"sb.steps": "50", "sb.balances": ["none", "aux"]})
    assert live(at).steps_run == 0 and at.button(key="sb.play").label == t("sandbox.live.play", "en")
    at.button(key="sb.play").click()
    run_ok(at)  # one tick of the fragment: some steps, then the figures
    first = live(at).steps_run
    assert 0 < first <= 50 and at.session_state["sb.playing"]
    assert at.button(key="sb.pause").label == t("sandbox.live.pause", "en")
    while at.session_state["sb.playing"]:
        run_ok(at)  # what the fragment's timer does in the browser
    run = live(at)
    assert run.done and run.steps_run == 50
    expected = compare(["none", "aux"], steps=50)
    assert {m: r.load_cv for m, r in run.history.items()} == {m: r.load_cv for m, r in expected.items()}
    assert at.button(key="sb.play").disabled, "a finished run has nothing to play"
    ids = [chart.proto.id for chart in at.get("plotly_chart")]
    assert any(i.endswith("-sb_training") for i in ids) and any(i.endswith("-sb_heatmap") for i in ids)
    assert any("no balancing" in m.value for m in at.markdown)


def test_step_pause_and_reset():
    at = open_page("en", **{"sb.steps": "100", "sb.balances": ["none"]})
    at.button(key="sb.step").click()
    run_ok(at)
    assert live(at).steps_run == STEP_BUTTON_STEPS and not at.session_state["sb.playing"]
    at.button(key="sb.play").click()
    run_ok(at)
    at.button(key="sb.pause").click()
    run_ok(at)
    paused = live(at).steps_run
    assert not at.session_state["sb.playing"] and at.button(key="sb.play").label == t("sandbox.live.play", "en")
    run_ok(at)
    assert live(at).steps_run == paused > STEP_BUTTON_STEPS, "nothing trains while paused"
    at.button(key="sb.reset").click()
    run_ok(at)
    assert live(at).steps_run == 0 and t("sandbox.live.change.reset", "en") in [c.value for c in at.caption]


def test_a_changed_coefficient_continues_and_a_new_seed_restarts():
    at = open_page("en", **{"sb.steps": "100", "sb.balances": ["none", "aux"], "sb.train_hot": "2.0"})
    at.button(key="sb.step").click()
    run_ok(at)
    run = live(at)
    at.select_slider(key="sb.aux_coef").set_value(1.0)
    run_ok(at)
    assert live(at) is run and run.steps_run == STEP_BUTTON_STEPS and run.settings["aux_coef"] == 1.0
    assert t("sandbox.live.change.continued", "en") in [c.value for c in at.caption]
    at.multiselect(key="sb.balances").set_value(["none", "aux", "bias"])  # a new method branches off "none"
    run_ok(at)
    assert live(at).history["bias"].branched_from == ("none", STEP_BUTTON_STEPS)
    at.number_input(key="sb.seed").set_value(5)
    run_ok(at)
    assert live(at) is not run and live(at).steps_run == 0
    assert t("sandbox.live.change.restarted", "en") in [c.value for c in at.caption]


def test_no_balance_method_says_why_nothing_trains():
    at = open_page("zh", **{"sb.balances": [""]})
    assert t("sandbox.disabled.no_balances", "zh") in [i.value for i in at.info]


@pytest.mark.timeout(240)
def test_expert_parallel_run_takes_setting_a_and_stays_in_the_url():
    at = open_page("en", **{"sb.ep_tokens": "64", "sb.experts": "8", "sb.ep": "2"})
    at.button(key="sb.ep_run").click()
    run_ok(at)
    _key, result = at.session_state["sb.ep_result"]
    assert result.matches and result.world_size == world_size_for(2) == 2
    assert result.settings["num_experts"] == 8
    assert at.query_params[EP_RAN_PARAM] in ("true", ["true"])
    assert any("Matches the single-process layer" in s.value for s in at.success)
    # the link opens with the run done again, without a click
    again = open_page("en", **{"sb.ep_tokens": "64", "sb.ep": "2", EP_RAN_PARAM: "true"})
    assert again.session_state["sb.ep_result"][1].traffic == result.traffic
    # a changed setting A: the result is from earlier settings and the URL no longer claims it
    again.number_input(key="sb.top_k").set_value(1)
    run_ok(again)
    assert t("sandbox.ep.stale", "en") in [c.value for c in again.caption]
    assert EP_RAN_PARAM not in again.query_params


def test_one_rank_cannot_run_expert_parallel_and_says_why():
    at = open_page("en", **{"sb.ep": "1"})
    assert at.button(key="sb.ep_run").disabled
    assert any(t("sandbox.disabled.one_rank", "en") in c.value for c in at.caption)
    assert world_size_for(DEFAULT_SETTINGS["ep_size"], limit=3) == 3 and world_size_for(64, limit=3) == 3
