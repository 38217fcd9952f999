"""run_expert_parallel: the real 2-process gloo run of moe_core.ep_tool, as the sandbox sees it."""
from __future__ import annotations

import pytest

from moe_core import create_expert_groups
from sandbox.parallel_run import EPRunError, run_expert_parallel

pytestmark = pytest.mark.timeout(180)


def test_two_processes_match_the_single_process_layer():
    seen = []
    result = run_expert_parallel(2, tokens=64, num_experts=8, top_k=2, capacity_factor=1.25,
                                 progress=lambda fraction, message: seen.append(fraction))
    assert not result.cancelled and result.matches and result.max_abs_diff < 1e-4
    assert [r["local_experts"] for r in result.ranks] == create_expert_groups(8, 2)
    kept = sum(sum(r["tokens_per_expert"]) for r in result.ranks)
    assert sum(map(sum, result.traffic)) == kept
    dropped = sum(r["dropped_slots"] for r in result.ranks)
    assert kept + dropped == 2 * 64 * 2
    # what rank i sends to j is what j receives from i
    assert [[r["tokens_received"][i] for r in result.ranks] for i in range(2)] == result.traffic
    assert len(result.step_ms) == 2 and seen and seen[-1] == 1.0


def test_cancel_stops_the_run():
    result = run_expert_parallel(2, tokens=32, cancel=lambda: True)
    assert result.cancelled and result.ranks == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(world_size=9, num_experts=8), "world_size (9) must be <= 8"),
    (dict(world_size=4, num_experts=3), "world_size (4) must be <= num_experts (3)"),
    (dict(world_size=2, top_k=9, num_experts=8), "top_k (9) must be <= num_experts (8)"),
    (dict(world_size=2, capacity_factor=0.0), "capacity_factor (0.0) must be a finite number > 0"),
    (dict(world_size=2, tokens=-1), "tokens (-1) must be >= 0"),
    (dict(world_size=True), "world_size must be an int, got True"),
    (dict(world_size=2, router="top3"), "router ('top3') must be one of"),
])
def test_bad_settings_name_the_constraint(kwargs, message):
    with pytest.raises(ValueError) as error:
        run_expert_parallel(**kwargs)
    assert message in str(error.value)


def test_a_failing_rank_becomes_an_error():
    with pytest.raises(EPRunError) as error:
        run_expert_parallel(2, tokens=16, router="switch", top_k=2)  # every rank rejects the setting
    assert "top_k (2) must be 1 for the switch router" in str(error.value)
