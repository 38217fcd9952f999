"""AppTest of the sandbox's experiments and datacenter-scale tabs: both languages, presets, edits, impossible
clusters, ?experiment= applying its start, the live check and the progress saved per profile."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from questions.languages import LANGUAGES
from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import SANDBOX
from sandbox.experiments import EXPERIMENTS
from sandbox.scale import MODELS, estimate, suggested_cluster
from sandbox.scale_tables import format_count
from tests.helpers.apptest import app_test, open_link, run_ok, texts


def open_page(lang="en", **params):
    return open_link(SANDBOX.path, lang, **params)


def metric(at, key: str, lang: str) -> str:
    return {m.label: m.value for m in at.metric}[t(f"calculator.row.{key}", lang)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_calculator_shows_the_default_preset_with_its_source(lang):
    at = open_page(lang)
    model_id = at.session_state["calc.model"]
    expected = estimate(MODELS[model_id], suggested_cluster(MODELS[model_id]))
    assert metric(at, "total", lang) == format_count(expected.total_params)
    assert metric(at, "active", lang) == format_count(expected.active_params)
    shown = texts(at)
    assert MODELS[model_id].published.url in shown and t("calculator.cluster", lang) in shown
    assert len(at.table) == 2 and not at.error


def test_calculator_loads_a_preset_and_its_cluster_then_marks_edits():
    at = open_page("en")
    at.selectbox(key="calc.model").set_value("deepseek-v3")
    run_ok(at)
    assert metric(at, "total", "en") == "671B" and metric(at, "active_compute", "en") == "36.6B"
    cluster = suggested_cluster(MODELS["deepseek-v3"])
    assert (at.session_state["calc.nodes"], at.session_state["calc.ep"], at.session_state["calc.pp"]) == \
        (cluster.nodes, cluster.ep, cluster.pp)
    # the browser writes the bound picker into ?calc.model=; AppTest has no browser, so check the binding itself
    assert at.selectbox(key="calc.model").proto.query_param_key == "calc.model"
    assert "modified from" not in texts(at)
    at.number_input(key="calc.m.top_k").set_value(4)
    run_ok(at)
    assert "(modified from DeepSeek-V3)" in texts(at)
    assert metric(at, "total", "en") == "671B" and metric(at, "active", "en") != "37.6B"


def test_an_impossible_cluster_names_its_constraint():
    at = open_page("en")
    cluster = suggested_cluster(MODELS[at.session_state["calc.model"]])
    at.number_input(key="calc.dp").set_value(3)
    run_ok(at)
    message = (f"dp x tp x pp (3 x 1 x {cluster.pp} = {3 * cluster.pp}) must equal nodes x gpus_per_node "
               f"({cluster.world})")
    assert any(message in e.value for e in at.error)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_url_opens_an_experiment_and_the_check_follows_the_settings(lang):
    experiment = EXPERIMENTS["capacity-without-drops"]
    at = open_page(lang, experiment=experiment.id)
    assert at.session_state["sb.experts"] == 16 and at.session_state["sb.cf"] == 1.0
    assert at.session_state["sb.skew"] == "clustered" and not at.session_state["sb.dropless"]
    shown = texts(at)
    assert experiment.question[lang] in shown and experiment.goal[lang] in shown
    assert any(t("experiments.not_yet", lang) in w.value for w in at.warning)
    store = Store(Path(os.environ["MOE_LAB_DB"]))
    profile = next(iter(store.profiles.names()))
    assert store.experiments.progress(profile)[experiment.id]["passed_at"] is None
    at.number_input(key="sb.cf").set_value(4.0)
    run_ok(at)
    assert any(t("experiments.passed", lang) in s.value for s in at.success)
    assert store.experiments.progress(profile)[experiment.id]["passed_at"] is not None
    # the run that saved the pass already counts it, and so does the next
    assert t("experiments.intro", lang, passed=1, total=len(EXPERIMENTS)) in texts(at)
    assert t("experiments.intro", lang, passed=1, total=len(EXPERIMENTS)) in texts(run_ok(at))


def test_a_start_button_applies_the_experiment_and_an_unknown_id_is_named():
    at = open_page("en")
    at.button(key="sb.exp.start.node-limited-groups").click()
    run_ok(at)
    assert at.session_state["sb.router"] == "sigmoid_group_limited" and at.session_state["sb.topk_groups"] == 8
    assert at.query_params["experiment"] in (["node-limited-groups"], "node-limited-groups")
    assert any("Not yet" in w.value for w in at.warning)
    unknown = open_page("en", experiment="no-such-experiment")
    assert any("Unknown experiment 'no-such-experiment'" in w.value for w in unknown.warning)


def test_a_training_experiment_waits_for_a_training_run():
    at = open_page("en", experiment="z-loss-is-not-balance")
    assert at.session_state["sb.balances"] == ["none"]
    waiting = t("experiments.waiting.train", "en", tab=t("sandbox.section.train", "en"))
    assert waiting in [i.value for i in at.info] and "in the Train tab" in waiting
