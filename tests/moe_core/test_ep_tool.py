"""The EP check command (python -m moe_core.ep_tool): per-rank JSON results and errors, the printed tables."""
from __future__ import annotations

import json
import subprocess

import pytest

from moe_core.ep_check import EPCheckConfig, format_report
from moe_core.ep_tool import build_parser, config_from_args
from sandbox.parallel_run import start_ranks, stop_ranks

pytestmark = pytest.mark.timeout(300)


def launch(world_size: int, flags: list[str], timeout_s: float = 240.0) -> list[subprocess.CompletedProcess]:
    """One `python -m moe_core.ep_tool` process per rank over loopback, as torchrun would start them."""
    processes = start_ranks(world_size, flags)
    try:
        outputs = [p.communicate(timeout=timeout_s) for p in processes]
        return [subprocess.CompletedProcess(p.args, p.returncode, *out) for p, out in zip(processes, outputs)]
    finally:
        stop_ranks(processes)


def test_flags_map_onto_the_config():
    config = config_from_args(build_parser().parse_args(["--experts", "4", "--capacity-factor", "1.5",
                                                         "--router", "sigmoid_group_limited", "--num-groups", "2"]))
    assert config == EPCheckConfig(experts=4, capacity_factor=1.5, router="sigmoid_group_limited", num_groups=2)
    assert config.router_config().num_groups == 2
    assert EPCheckConfig(num_groups=2).router_config().num_groups == 1  # only the sigmoid router reads groups


def test_json_out_writes_one_result_per_rank(tmp_path):
    runs = launch(2, ["--experts", "8", "--tokens", "24", "--d-model", "16", "--d-ff", "32",
                      "--capacity-factor", "1.0", "--json-out", str(tmp_path)])
    assert [run.returncode for run in runs] == [0, 0], [run.stderr[-800:] for run in runs]
    assert all("EP_RESULT" not in run.stdout and "rank |" not in run.stdout for run in runs)  # nothing to parse
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(2)]
    assert [r["rank"] for r in results] == [0, 1] and [r["world_size"] for r in results] == [2, 2]
    assert [r["local_experts"] for r in results] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert max(max(r["max_abs_diff"].values()) for r in results) < 1e-4
    for src in range(2):
        assert sum(results[src]["tokens_sent"]) + results[src]["dropped_slots"] == 24 * 2
        for dst in range(2):
            assert results[src]["tokens_sent"][dst] == results[dst]["tokens_received"][src]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank0.json", "rank1.json"]  # no partial files left
    report = format_report(results)
    assert "check against the single-process layer: OK" in report and report.count("\n") >= 6


def test_a_failing_rank_writes_its_error(tmp_path):
    runs = launch(2, ["--experts", "8", "--tokens", "16", "--fail-rank", "1", "--json-out", str(tmp_path)])
    assert runs[1].returncode == 1
    assert json.loads((tmp_path / "rank1.json").read_text()) == {
        "rank": 1, "error": "RuntimeError: rank 1 failed on purpose (--fail-rank)"}
    assert "rank 1: RuntimeError: rank 1 failed on purpose" in runs[1].stderr
    assert runs[0].returncode == 1 and "error" in json.loads((tmp_path / "rank0.json").read_text())


def test_without_json_out_rank_0_prints_the_tables():
    runs = launch(1, ["--experts", "4", "--tokens", "16", "--d-model", "8", "--d-ff", "16", "--bench", "2"])
    assert runs[0].returncode == 0, runs[0].stderr[-800:]
    out = runs[0].stdout
    assert "expert parallelism: world_size=1 backend=gloo tokens/rank=16" in out
    assert "check against the single-process layer: OK" in out and "bench: 2 fwd+bwd steps" in out
