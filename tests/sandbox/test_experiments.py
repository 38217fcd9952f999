"""sandbox.experiments: the table (settings that run, real bank ids, both languages) and every check on real
simulate / train results, a passing and a failing setting each (the failing one is the experiment's start)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sandbox.experiments import (EXPERIMENTS, KINDS, experiments_for_question, padding_share, run_check,
                                 steps_to_balance)
from sandbox.settings import DEFAULT_SETTINGS, DEFAULT_TRAIN
from sandbox.simulate import simulate
from sandbox.train import TrainResult, compare

BANK = Path(__file__).resolve().parents[2] / "questions" / "bank"


def bank_ids() -> set[str]:
    ids = set()
    for path in BANK.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions = data.get("questions", []) if isinstance(data, dict) else data
        ids |= {question["id"] for question in questions}
    return ids


def test_the_table_holds_at_least_eight_complete_experiments():
    assert len(EXPERIMENTS) >= 8
    known = bank_ids()
    for experiment_id, experiment in EXPERIMENTS.items():
        assert experiment.id == experiment_id and experiment.kind in KINDS
        for text in (experiment.title, experiment.question, experiment.goal):
            assert text["en"].strip() and text["zh"].strip() and text["en"] != text["zh"]
        assert set(experiment.settings) <= set(DEFAULT_SETTINGS), experiment_id
        assert set(experiment.train) <= set(DEFAULT_TRAIN), experiment_id
        assert experiment.question_ids and set(experiment.question_ids) <= known, experiment_id
    assert {e.kind for e in EXPERIMENTS.values()} == set(KINDS)


def test_experiments_for_question_links_back_from_the_bank():
    linked = experiments_for_question("load-balancing-aux-free-bias-update")
    assert [e.id for e in linked] == ["hot-expert-balance", "bias-balancing"]
    assert experiments_for_question("no-such-question") == []
    for experiment in EXPERIMENTS.values():
        for question_id in experiment.question_ids:
            assert experiment in experiments_for_question(question_id)


def _simulated(experiment_id: str, **change):
    return simulate(**{**DEFAULT_SETTINGS, **EXPERIMENTS[experiment_id].settings, **change})


def _check(experiment_id: str, simulation=None, training=None):
    return run_check(EXPERIMENTS[experiment_id], simulation, training)


def test_nothing_to_check_before_there_is_a_result():
    assert _check("capacity-without-drops") is None
    assert _check("hot-expert-balance", simulation=_simulated("capacity-without-drops")) is None
    not_started = {"none": TrainResult(settings={}), "z": TrainResult(settings={})}  # a live run before its first step
    assert _check("z-loss-is-not-balance", training=not_started) is None


@pytest.mark.parametrize("experiment_id, passing", [
    ("capacity-without-drops", dict(capacity_factor=4.0)),
    ("top1-even-load-drops", dict(capacity_factor=1.25)),
    ("node-limited-groups", dict(topk_groups=4)),
    ("expert-choice-coverage", dict(router="expert_choice", capacity_factor=2.0)),
    ("dropless-vs-padding", dict(capacity_factor=None)),
])
def test_routing_checks_fail_at_the_start_and_pass_once_the_goal_is_reached(experiment_id, passing):
    start = _check(experiment_id, _simulated(experiment_id))
    assert start is not None and not start.passed
    reached = _check(experiment_id, _simulated(experiment_id, **passing))
    assert reached.passed, reached.explanation["en"]
    for result in (start, reached):
        assert result.explanation["en"] and result.explanation["zh"] != result.explanation["en"]


def test_capacity_check_reports_the_padding_it_costs():
    result = _simulated("capacity-without-drops", capacity_factor=4.0)
    assert result.dropped_tokens == 0
    share = padding_share(result)
    assert share == pytest.approx(1 - sum(result.tokens_per_expert) / (result.capacity * 16)) and share > 0.5
    assert f"{share:.0%}" in _check("capacity-without-drops", result).explanation["en"]
    assert not _check("capacity-without-drops", _simulated("capacity-without-drops", capacity_factor=None)).passed


def test_top1_check_wants_a_tight_factor_and_top1():
    too_generous = _check("top1-even-load-drops", _simulated("top1-even-load-drops", capacity_factor=3.0))
    assert not too_generous.passed and "enough" in too_generous.explanation["en"]
    top2 = _check("top1-even-load-drops", _simulated("top1-even-load-drops", router="topk_softmax", top_k=2,
                                                     capacity_factor=1.25))
    assert not top2.passed


def test_node_limit_check_wants_the_most_groups_within_four_ranks():
    fewer = _check("node-limited-groups", _simulated("node-limited-groups", topk_groups=2))
    assert not fewer.passed and "At most 2 ranks" in fewer.explanation["en"]


@pytest.fixture(scope="module")
def runs():
    """Real training runs (seed 0, hot expert): strong aux loss and every method; a weak aux loss; a short bias run."""
    full = compare(["none", "aux", "z", "bias", "capacity"], steps=200, hot_bias=2.0, aux_coef=0.1)
    weak = compare(["aux"], steps=200, hot_bias=2.0, aux_coef=1e-2)
    short = compare(["bias"], steps=20, hot_bias=2.0)
    return {"full": full, "weak_aux": weak["aux"], "short_bias": short["bias"]}


@pytest.mark.timeout(1800)
def test_training_checks_pass_and_fail_on_real_runs(runs):
    full = runs["full"]
    balanced = _check("hot-expert-balance", training={m: full[m] for m in ("none", "aux", "bias")})
    assert balanced.passed and "fastest" in balanced.explanation["en"]
    weak = _check("hot-expert-balance", training={"none": full["none"], "aux": runs["weak_aux"], "bias": full["bias"]})
    assert not weak.passed and "aux: -" in weak.explanation["en"]
    assert steps_to_balance(full["none"].load_cv) is None
    assert steps_to_balance(full["aux"].load_cv) <= 200

    assert _check("z-loss-is-not-balance", training={m: full[m] for m in ("none", "z")}).passed
    assert not _check("z-loss-is-not-balance", training={"none": full["none"]}).passed  # the start: no z run

    assert _check("bias-balancing", training={"none": full["none"], "bias": full["bias"]}).passed
    assert not _check("bias-balancing", training={"none": full["none"]}).passed  # the start: no bias run
    short = _check("bias-balancing", training={"none": full["none"], "bias": runs["short_bias"]})
    assert not short.passed and "train longer" in short.explanation["en"]

    both = {m: full[m] for m in ("capacity", "aux")}
    assert _check("capacity-is-not-balancing", training=both).passed
    assert not _check("capacity-is-not-balancing", training={"capacity": full["capacity"], "aux": runs["weak_aux"]}).passed
    # the checks read the runs' to_dict() form as well (what a cache or the URL state holds)
    as_dicts = {m: run.to_dict() for m, run in both.items()}
    assert _check("capacity-is-not-balancing", training=as_dicts) == _check("capacity-is-not-balancing", training=both)
