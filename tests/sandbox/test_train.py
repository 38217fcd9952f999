"""train(): collapse without balancing, the aux loss and the aux-loss-free bias spread the load; seeded; cancel."""
from __future__ import annotations

import statistics

import pytest
import torch

from sandbox.presets import PRESETS
from sandbox.settings import train_settings
from sandbox.train import BALANCE_METHODS, TrainingRun, compare, continue_or_restart, train

COLLAPSE = {k: v for k, v in train_settings(PRESETS["collapse-no-balance"]).items() if k != "balances"}
COLLAPSE["steps"] = 150


def tail_cv(result, last=20) -> float:
    return statistics.mean(result.load_cv[-last:])


@pytest.fixture(scope="module")
def collapse_runs():
    return compare(["none", "aux", "bias", "capacity"], **COLLAPSE)


def test_no_balancing_collapses_and_aux_loss_or_bias_spread_the_load(collapse_runs):
    none, aux, bias = (tail_cv(collapse_runs[m]) for m in ("none", "aux", "bias"))
    assert none > 0.7, none                       # a few experts take most tokens
    assert aux < none / 2 and aux < 0.4, (aux, none)
    assert bias < none / 2 and bias < 0.4, (bias, none)
    final = collapse_runs["none"].final_tokens_per_expert
    assert max(final) > 2.5 * statistics.mean(final)


def test_curves_have_one_entry_per_step_and_the_bias_moves_only_with_the_bias_method(collapse_runs):
    for method, result in collapse_runs.items():
        assert result.steps_run == COLLAPSE["steps"] and not result.cancelled
        for name in ("task_loss", "load_cv", "max_mean_load", "drop_rate", "aux_loss", "z_loss", "expert_bias"):
            assert len(getattr(result, name)) == COLLAPSE["steps"], (method, name)
        assert result.task_loss[-1] < result.task_loss[0]   # it learns
    assert any(b != 0 for b in collapse_runs["bias"].expert_bias[-1])
    assert all(b == 0 for b in collapse_runs["none"].expert_bias[-1])
    assert max(collapse_runs["capacity"].drop_rate) > 0 and max(collapse_runs["none"].drop_rate) == 0


def test_same_seed_gives_identical_curves_and_another_seed_differs():
    first = train("aux", steps=30, seed=7)
    again = train("aux", steps=30, seed=7)
    assert first.to_dict() == again.to_dict()
    assert train("aux", steps=30, seed=8).load_cv != first.load_cv


def test_progress_and_cancel():
    seen = []
    result = train("none", steps=50, progress=lambda step, total: seen.append((step, total)),
                   cancel=lambda: len(seen) >= 10)
    assert result.cancelled and result.steps_run == 10 and len(result.load_cv) == 10
    assert seen[:2] == [(1, 50), (2, 50)]


def test_compare_reports_progress_over_all_runs_and_stops_on_cancel():
    seen = []
    results = compare(["none", "z"], steps=5, progress=lambda step, total: seen.append((step, total)))
    assert list(results) == ["none", "z"] and seen[-1] == (10, 10)
    stopped = compare(list(BALANCE_METHODS), steps=5, cancel=lambda: True)
    assert list(stopped) == ["none"] and stopped["none"].cancelled


@pytest.mark.parametrize("kwargs, message", [
    (dict(balance="dropout"), "balance ('dropout') must be one of"),
    (dict(top_k=9, num_experts=8), "top_k (9) must be <= num_experts (8)"),
    (dict(steps=0), "steps (0) must be >= 1"),
    (dict(steps=5001), "steps (5001) must be <= 5000"),
    (dict(steps=2.5), "steps must be an int, got 2.5"),
    (dict(num_clusters=1025), "num_clusters (1025) must be <= 1024"),
    (dict(capacity_factor=0), "capacity_factor (0) must be a finite number > 0"),
    (dict(lr=float("inf")), "lr (inf) must be a finite number > 0"),
    (dict(aux_coef=-1.0), "aux_coef (-1.0) must be >= 0"),
    (dict(zipf_exponent=float("nan")), "zipf_exponent must be a finite number"),
    (dict(hot_bias=51.0), "hot_bias (51.0) must be <= 50.0"),
])
def test_bad_settings_name_the_constraint(kwargs, message):
    with pytest.raises(ValueError) as error:
        train(**kwargs)
    assert message in str(error.value)


def test_a_training_run_steps_in_chunks_to_exactly_compares_curves():
    settings = dict(steps=40, seed=3, hot_bias=2.0)
    run = TrainingRun(["none", "bias", "capacity"], **settings)
    assert run.step(7) == 7 and run.steps_run == 7 and not run.done
    run.step(1)
    run.step(100)
    assert run.done and run.steps_run == 40 and run.step(5) == 0, "never past the steps"
    expected = compare(["none", "bias", "capacity"], **settings)
    assert {m: r.to_dict() for m, r in run.history.items()} == {m: r.to_dict() for m, r in expected.items()}
    for result in run.history.values():  # every step's routed slots: batch 256 x top-2
        assert len(result.tokens_per_expert) == 40 and {sum(row) for row in result.tokens_per_expert} == {512}


def test_turning_balancing_on_mid_run_branches_from_the_collapsed_weights_and_undoes_the_collapse():
    run = TrainingRun(["none"], **COLLAPSE)
    run.step(60)
    collapsed = tail_cv(run.history["none"])
    run.set_balances(["none", "aux"])
    aux = run.history["aux"]
    assert aux.branched_from == ("none", 60) and aux.load_cv[:60] == run.history["none"].load_cv
    run.step(90)
    assert collapsed > 0.7 and tail_cv(run.history["none"]) > 0.7
    assert tail_cv(aux) < tail_cv(run.history["none"]) / 2, (tail_cv(aux), tail_cv(run.history["none"]))


def test_a_branch_to_the_other_router_keeps_the_shared_weights():
    run = TrainingRun(["aux"], steps=10)
    run.step(3)
    run.set_balances(["bias", "aux"])
    bias_layer, aux_layer = run.lanes["bias"].layer, run.lanes["aux"].layer
    assert bias_layer.router_config.kind == "sigmoid_group_limited"
    assert torch.equal(bias_layer.router.weight, aux_layer.router.weight)
    assert torch.equal(bias_layer.experts.w1, aux_layer.experts.w1)
    assert list(run.lanes) == ["bias", "aux"] and run.step(2) == 2


def test_continue_or_restart():
    run, change = continue_or_restart(None, ["none", "aux"], 50, 0, hot_bias=1.0)
    assert change == "started"
    run.step(5)
    assert continue_or_restart(run, ["none", "aux"], 50, 0, hot_bias=1.0) == (run, "unchanged")
    same, change = continue_or_restart(run, ["aux", "none"], 80, 0, hot_bias=1.0, aux_coef=1.0)
    assert (same, change) == (run, "continued") and run.steps == 80 and run.steps_run == 5
    assert run.lanes["aux"].settings["aux_coef"] == 1.0 and list(run.lanes) == ["aux", "none"]
    for changed in (dict(seed=1), dict(hot_bias=2.0), dict(zipf_exponent=0.5)):
        arguments = {"balances": ["none"], "steps": 50, "seed": 0, "hot_bias": 1.0, **changed}
        new, change = continue_or_restart(run, **arguments)
        assert change == "restarted" and new is not run and new.steps_run == 0
    new, change = continue_or_restart(run, ["z"], 50, 0, hot_bias=1.0, aux_coef=1.0)
    assert change == "restarted", "no method left to continue from"


def test_a_coefficient_changed_mid_run_acts_from_the_next_step():
    kept = TrainingRun(["aux"], steps=20, hot_bias=2.0)
    changed = TrainingRun(["aux"], steps=20, hot_bias=2.0)
    kept.step(10)
    changed.step(10)
    changed.set_live(aux_coef=10.0)
    kept.step(10)
    changed.step(10)
    assert kept.history["aux"].load_cv[:11] == changed.history["aux"].load_cv[:11]
    assert kept.history["aux"].load_cv[11:] != changed.history["aux"].load_cv[11:]


@pytest.mark.parametrize("call, message", [
    (lambda: TrainingRun([]), "balances must name at least one balance method"),
    (lambda: TrainingRun(["dropout"]), "balance ('dropout') must be one of"),
    (lambda: TrainingRun(["none"]).set_live(seed=3), "set_live takes steps, aux_coef, z_coef, bias_rate"),
    (lambda: TrainingRun(["none"]).set_live(aux_coef=-1.0), "aux_coef (-1.0) must be >= 0"),
    (lambda: TrainingRun(["none"]).set_balances(["aux"]), "set_balances needs at least one method the run"),
])
def test_bad_run_changes_name_the_constraint(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)
