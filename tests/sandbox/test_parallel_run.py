"""sandbox.parallel_run: real ep_tool processes over loopback (run_local) and the sandbox's view of a run
(run_expert_parallel): the check against the single-process layer, traffic, errors, timeouts, no leftovers."""
from __future__ import annotations

import subprocess

import pytest

from moe_core import create_expert_groups
from sandbox.parallel_run import EPRunCancelled, EPRunError, run_expert_parallel, run_local

pytestmark = pytest.mark.timeout(180)


def _leftover_ranks() -> list[str]:
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if "moe_core.ep_tool" in line and "--json-out" in line]


@pytest.mark.parametrize("capacity_factor", [None, 1.25])
def test_two_processes_match_the_single_process_layer_and_report_traffic(capacity_factor):
    seen = []
    result = run_expert_parallel(2, tokens=64, d_model=16, d_ff=32, num_experts=8, top_k=2,
                                 capacity_factor=capacity_factor,
                                 progress=lambda fraction, message: seen.append(fraction))
    assert not result.cancelled and result.matches and result.max_abs_diff < 1e-4
    assert [r["local_experts"] for r in result.ranks] == create_expert_groups(8, 2)
    traffic = result.traffic
    assert len(traffic) == 2 and all(len(row) == 2 for row in traffic)
    kept = sum(sum(r["tokens_per_expert"]) for r in result.ranks)
    dropped = sum(r["dropped_slots"] for r in result.ranks)
    assert sum(map(sum, traffic)) == kept and kept + dropped == 2 * 64 * 2
    if capacity_factor is None:
        assert dropped == 0  # dropless: every slot travels once
    # what rank i sends to j is what j receives from i
    assert [[r["tokens_received"][i] for r in result.ranks] for i in range(2)] == traffic
    assert result.tokens_per_rank == [traffic[0][j] + traffic[1][j] for j in range(2)]
    assert len(result.step_ms) == 2 and seen[0] == 0.0 and seen[-1] == 1.0
    assert not _leftover_ranks()


def test_the_hot_expert_bias_and_router_scale_reach_every_rank():
    result = run_expert_parallel(2, tokens=32, d_model=16, d_ff=32, top_k=1, hot_bias=20.0, router_scale=1.0)
    assert result.matches and result.settings["hot_bias"] == 20.0 and result.settings["router_scale"] == 1.0
    # expert 0 (rank 0's) takes every token: rank 1's experts receive nothing
    assert result.tokens_per_rank == [64, 0]


def test_a_failing_rank_becomes_an_error_naming_it():
    with pytest.raises(EPRunError, match=r"rank 1 of 3 failed: RuntimeError: rank 1 failed on purpose"):
        run_local(3, experts=8, tokens=16, fail_rank=1)
    assert not _leftover_ranks()
    with pytest.raises(EPRunError) as error:
        run_expert_parallel(2, tokens=16, router="switch", top_k=2)  # every rank rejects the setting
    assert "top_k (2) must be 1 for the switch router" in str(error.value)


def test_timeout_stops_every_process():
    with pytest.raises(EPRunError, match="timed out after"):
        run_local(2, experts=8, tokens=16, timeout_s=0.5)
    assert not _leftover_ranks()


def test_cancel_stops_every_process():
    with pytest.raises(EPRunCancelled, match="cancelled"):
        run_local(2, experts=8, tokens=16, cancel=lambda: True)
    assert not _leftover_ranks()
    result = run_expert_parallel(2, tokens=32, cancel=lambda: True)
    assert result.cancelled and result.ranks == []
    assert not _leftover_ranks()


@pytest.mark.parametrize("run, kwargs, message", [
    (run_local, dict(world_size=9, experts=8), "world_size (9) must be <= num_experts (8)"),
    (run_expert_parallel, dict(world_size=9, num_experts=8), "world_size (9) must be <= 8"),
    (run_expert_parallel, dict(world_size=4, num_experts=3), "world_size (4) must be <= num_experts (3)"),
    (run_expert_parallel, dict(world_size=2, top_k=9, num_experts=8), "top_k (9) must be <= num_experts (8)"),
    (run_expert_parallel, dict(world_size=2, capacity_factor=0.0), "capacity_factor (0.0) must be a finite number > 0"),
    (run_expert_parallel, dict(world_size=2, tokens=-1), "tokens (-1) must be >= 0"),
    (run_expert_parallel, dict(world_size=True), "world_size must be an int, got True"),
    (run_expert_parallel, dict(world_size=2, router="top3"), "router ('top3') must be one of"),
    (run_expert_parallel, dict(world_size=2, hot_bias=51.0), "hot_bias (51.0) must be <= 50.0"),
    (run_expert_parallel, dict(world_size=2, router_scale=-1.0), "router_scale (-1.0) must be >= 0.0"),
])
def test_bad_settings_name_the_constraint_before_starting(run, kwargs, message):
    with pytest.raises(ValueError) as error:
        run(**kwargs)
    assert message in str(error.value)
    assert not _leftover_ranks()
