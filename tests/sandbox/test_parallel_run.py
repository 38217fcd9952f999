"""The sandbox's multi-process expert-parallel run: real processes over loopback, errors and timeouts, no leftovers."""
import subprocess

import pytest

from sandbox.parallel_run import EPRunError, run_local


def _leftover_ranks() -> list[str]:
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if "moe_core.ep_tool" in line and "--json-out" in line]


def test_two_processes_match_the_full_layer_and_report_traffic():
    steps = []
    result = run_local(2, experts=8, top_k=2, tokens=64, d_model=16, d_ff=32,
                       progress=lambda fraction, message: steps.append(fraction))
    assert result["matches"] and result["max_abs_diff"] < 1e-4
    traffic = result["traffic"]
    assert len(traffic) == 2 and all(len(row) == 2 for row in traffic)
    assert sum(map(sum, traffic)) == 2 * 64 * 2  # dropless: every slot travels once
    for src in range(2):
        for dst in range(2):
            assert traffic[src][dst] == result["ranks"][dst]["tokens_received"][src]
    assert steps[0] == 0.0 and steps[-1] == 1.0
    assert not _leftover_ranks()


def test_a_failing_rank_becomes_an_error_naming_it():
    with pytest.raises(EPRunError, match=r"rank 1 of 3 failed: RuntimeError: rank 1 failed on purpose"):
        run_local(3, experts=8, tokens=16, fail_rank=1)
    assert not _leftover_ranks()


def test_timeout_stops_every_process():
    with pytest.raises(EPRunError, match="timed out after"):
        run_local(2, experts=8, tokens=16, timeout_s=0.5)
    assert not _leftover_ranks()


def test_cancel_stops_every_process():
    with pytest.raises(EPRunError, match="cancelled"):
        run_local(2, experts=8, tokens=16, cancel=lambda: True)
    assert not _leftover_ranks()


def test_bad_settings_are_refused_before_starting():
    with pytest.raises(ValueError, match=r"world_size \(9\) must be <= num_experts \(8\)"):
        run_local(9, experts=8)
