"""What the page shows as text: metric values, experts per rank, training summaries and EP rank rows."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sandbox import display
from sandbox.simulate import simulate
from sandbox.train import train


def test_metric_texts_of_a_run_with_drops():
    result = simulate(num_tokens=1024, skew="hot-expert", hot_bias=3.0, capacity_factor=1.0)
    texts = display.metric_texts(result)
    assert list(texts) == list(display.METRICS)
    assert texts["capacity"] == str(result.capacity)
    assert texts["dropped"] == f"{result.dropped_tokens:,}" and result.dropped_tokens
    assert texts["aux"] == f"{result.aux_loss:.3f}" and texts["z"] == f"{result.z_loss:.2f}"
    assert texts["entropy"] == f"{result.entropy:.2f}"
    assert texts["remote"] == f"{result.remote_slots:,}"
    notes = display.metric_notes(result)  # the context under a value, so four values fit in a row
    assert notes == {"dropped": {"share": f"{result.drop_rate:.1%}"}, "entropy": {"max": f"{result.max_entropy:.2f}"}}


def test_dropless_shows_infinite_capacity_and_no_share():
    result = simulate(num_tokens=256, capacity_factor=None)
    texts = display.metric_texts(result)
    assert texts["capacity"] == "∞" and texts["dropped"] == "0"
    assert "dropped" not in display.metric_notes(result)


def test_comparison_rows_give_a_b_and_the_signed_change():
    a = simulate(num_tokens=1024, num_experts=8, capacity_factor=1.0, skew="hot-expert")
    b = simulate(num_tokens=1024, num_experts=16, capacity_factor=None, skew="hot-expert")
    rows = {row["metric"]: row for row in display.comparison_rows(a, b)}
    assert list(rows) == list(display.METRICS)
    assert rows["capacity"] == {"metric": "capacity", "a": str(a.capacity), "b": "∞", "delta": "∞"}
    assert rows["dropped"]["delta"] == f"{-a.dropped_tokens:+,}" and a.dropped_tokens > 0
    assert rows["cv"]["delta"] == f"{b.load_cv - a.load_cv:+.2f}"
    same = {row["metric"]: row["delta"] for row in display.comparison_rows(a, a)}
    assert set(same.values()) == {"0"}


@pytest.mark.parametrize("name, a, b, delta", [
    ("capacity", None, None, "0"), ("capacity", 640, 1280, "+640"), ("aux", 1.5, 1.25, "-0.250"),
    ("remote", 1000, 12000, "+11,000"), ("capacity", 640, None, "∞"),
])
def test_metric_delta(name, a, b, delta):
    assert display.metric_delta(name, a, b) == delta


@pytest.mark.parametrize("groups, text", [
    ([[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]], "0: E0–E2 · 1: E3–E5 · 2: E6–E7 · 3: E8–E9"),
    ([[0], [1]], "0: E0 · 1: E1"),
])
def test_experts_per_rank(groups, text):
    assert display.experts_per_rank(groups) == text


def test_training_summary_is_first_and_late_load_cv_and_final_loss():
    result = train("none", steps=25, seed=0)
    summary = display.training_summary(result)
    assert summary["first"] == result.load_cv[0] and summary["loss"] == result.task_loss[-1]
    assert summary["last"] == pytest.approx(sum(result.load_cv[-20:]) / 20)
    assert display.training_summary(train("none", steps=5, cancel=lambda: True)) is None


def test_ep_rank_rows():
    run = SimpleNamespace(
        ranks=[{"rank": 0, "local_experts": [0, 1], "tokens_sent": [5, 3], "tokens_received": [5, 2]},
               {"rank": 1, "local_experts": [2, 3], "tokens_sent": [2, 6], "tokens_received": [3, 6]}],
        step_ms=[12.345, 11.0], comm_ms=[1.234, 0.5], compute_ms=[3.456, 2.0])
    rows = display.ep_rank_rows(run)
    assert [list(row) for row in rows] == [list(display.EP_COLUMNS)] * 2
    assert rows[0] == {"rank": 0, "experts": "[0, 1]", "sent": "[5, 3]", "received": "[5, 2]", "step_ms": 12.3,
                       "comm_ms": 1.23, "compute_ms": 3.46}
