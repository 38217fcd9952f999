"""Expert parallelism on real torch.distributed (gloo, CPU): spawned processes, checked against the full layer."""
from __future__ import annotations

import multiprocessing
import os
import traceback

import pytest
import torch
import torch.distributed as dist

from moe_core import Experts, MoELayer, permute
from moe_core.ep_check import run_check
from moe_core.ep_tool import build_parser, config_from_args
from moe_core.parallel import ExpertParallelExperts, ExpertParallelMoE
from sandbox.parallel_run import free_port

TOLERANCE = 1e-4


def _worker(rank: int, world_size: int, port: int, job, results) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
        results.put((rank, "ok", job(rank, world_size)))
    except BaseException as error:  # noqa: BLE001 - every rank's outcome goes back to the test
        results.put((rank, "error", f"{type(error).__name__}: {error}\n{traceback.format_exc()[-1500:]}"))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def spawn(world_size: int, job, timeout_s: float = 120.0) -> dict[int, tuple[str, object]]:
    """Run job(rank, world_size) on world_size spawned processes; {rank: ("ok", value) | ("error", message)}.

    A rank that hangs fails the test at the timeout and every process is killed: nothing is left behind.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    port = free_port()
    processes = [context.Process(target=_worker, args=(rank, world_size, port, job, results), daemon=True)
                 for rank in range(world_size)]
    for process in processes:
        process.start()
    outcomes = {}
    try:
        for _ in range(world_size):
            rank, status, value = results.get(timeout=timeout_s)
            outcomes[rank] = (status, value)
    except Exception:  # queue.Empty: some rank hung
        pytest.fail(f"ranks {sorted(set(range(world_size)) - set(outcomes))} did not finish within {timeout_s} s "
                    f"(finished: {outcomes})")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
    return outcomes


# ---- jobs (module level so spawn can pickle them) ------------------------------------------------------------------

class CheckJob:
    """moe_core.ep_check.run_check with the tool's command-line flags: EP vs the full layer on every rank's tokens."""

    def __init__(self, argv: list[str]):
        self.argv = argv

    def __call__(self, rank, world_size):
        return run_check(config_from_args(build_parser().parse_args(self.argv)))


def _layer(top_k=2, seed=0, num_experts=8, d_model=16, dtype=torch.float32):
    torch.manual_seed(seed)
    return MoELayer(d_model, 32, num_experts, top_k).to(dtype)


def mismatched_layer_job(rank, world_size):
    ExpertParallelMoE(_layer(seed=rank))  # different weights on each rank


def mismatched_top_k_job(rank, world_size):
    ExpertParallelMoE(_layer(top_k=1 if rank == 1 else 2))


def too_many_ranks_job(rank, world_size):
    ExpertParallelMoE(_layer(num_experts=2, top_k=1))


def wrong_width_job(rank, world_size):
    ep = ExpertParallelMoE(_layer())
    width = 15 if rank == 1 else 16
    ep(torch.randn(8, width))


def bf16_job(rank, world_size):
    layer = _layer(dtype=torch.bfloat16)
    torch.manual_seed(100 + rank)
    x = torch.randn(32, 16, dtype=torch.bfloat16)
    x_ref = x.clone().requires_grad_()
    expected, _ = layer(x_ref)
    expected.float().square().sum().backward()
    x_ep = x.clone().requires_grad_()
    y, info = ExpertParallelMoE(_layer(dtype=torch.bfloat16))(x_ep)
    y.float().square().sum().backward()  # bf16 through both all-to-alls and back
    return {"dtype": str(y.dtype), "grad_dtype": str(x_ep.grad.dtype),
            "max_diff": float((y.float() - expected.float()).abs().max()),
            "max_grad_diff": float((x_ep.grad.float() - x_ref.grad.float()).abs().max()),
            "received": info.tokens_received}


def traffic_job(rank, world_size):
    """Token slots sent and received must mirror each other across ranks: sent[r][s] == received[s][r]."""
    layer = _layer()
    ep = ExpertParallelMoE(layer)
    torch.manual_seed(rank)
    _, info = ep(torch.randn(40, 16))
    return {"sent": info.tokens_sent, "received": info.tokens_received, "dropped": info.dropped_tokens,
            "local": ep.local_expert_ids, "comm": info.comm_seconds, "compute": info.compute_seconds}


def caller_layer_job(rank, world_size):
    """Wrapping a layer must leave it whole: same modules, same output after wrapping and after an EP step."""
    layer = _layer()
    experts, router = layer.experts, layer.router
    x = torch.randn(24, 16, generator=torch.Generator().manual_seed(rank))
    before, _ = layer(x)
    ep = ExpertParallelMoE(layer)
    after_wrap, _ = layer(x)
    y_ep, _ = ep(x)
    y_ep.sum().backward()
    after_step, _ = layer(x)
    return {"same_experts": layer.experts is experts and isinstance(layer.experts, Experts)
            and layer.experts.w1.shape[0] == 8,
            "shares_router": ep.router is router and ep.experts is not experts,
            "after_wrap": float((after_wrap - before).abs().max()),
            "after_step": float((after_step - before).abs().max()),
            "ep_vs_layer": float((y_ep.detach() - before).abs().max())}


def experts_module_job(rank, world_size):
    """ExpertParallelExperts alone is a drop-in for Experts on tokens sorted by expert."""
    experts = _layer().experts
    generator = torch.Generator().manual_seed(10 + rank)
    x = torch.randn(30, 16, generator=generator)
    indices = torch.randint(0, 8, (30, 2), generator=generator)
    x_sorted, _, _, tokens_per_expert = permute(x, indices, num_experts=8)
    expected = experts(x_sorted, tokens_per_expert)
    module = ExpertParallelExperts(experts)
    y = module(x_sorted, tokens_per_expert)
    return {"diff": float((y - expected).abs().max()), "local": module.local_expert_ids,
            "local_w1": tuple(module.local.w1.shape), "sent": module.last_step.tokens_sent}


# ---- tests ---------------------------------------------------------------------------------------------------------

SCENARIOS = {
    "k1-dropless": ["--top-k", "1"],
    "k2-dropless": ["--top-k", "2"],
    "k1-capacity-position": ["--top-k", "1", "--router", "switch", "--capacity-factor", "1.0"],
    "k2-capacity-probs": ["--top-k", "2", "--capacity-factor", "0.75", "--drop-policy", "probs"],
    "rank-receives-no-token": ["--top-k", "1", "--hot-expert-bias", "3", "--capacity-factor", "1.0"],
    "empty-input-on-rank-1": ["--top-k", "2", "--empty-rank", "1"],
    "expert-choice": ["--router", "expert_choice", "--capacity-factor", "1.0"],
    "hash": ["--router", "hash", "--top-k", "2"],
    "deepseek-v3-groups": ["--router", "sigmoid_group_limited", "--top-k", "2", "--num-groups", "4",
                           "--topk-groups", "2"],
}


@pytest.mark.parametrize("world_size", [2, 3])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_expert_parallel_equals_the_full_layer(world_size, scenario):
    argv = ["--experts", "8", "--tokens", "48", "--d-model", "16", "--d-ff", "32", "--seed", "3"] + SCENARIOS[scenario]
    outcomes = spawn(world_size, CheckJob(argv))
    for rank, (status, result) in outcomes.items():
        assert status == "ok", f"rank {rank}: {result}"
        assert max(result["max_abs_diff"].values()) < TOLERANCE, (rank, result["max_abs_diff"])
    groups = [outcomes[rank][1]["local_experts"] for rank in range(world_size)]
    assert sum(groups, []) == list(range(8))  # uneven for 3 ranks: [[0,1,2],[3,4,5],[6,7]]
    if scenario == "rank-receives-no-token":
        assert any(sum(outcomes[r][1]["tokens_received"]) == 0 for r in range(world_size))
    if scenario == "empty-input-on-rank-1":
        assert sum(outcomes[1][1]["tokens_sent"]) == 0


def test_traffic_is_consistent_between_ranks():
    outcomes = spawn(3, traffic_job)
    infos = {rank: value for rank, (status, value) in outcomes.items() if status == "ok"}
    assert len(infos) == 3, outcomes
    for src in range(3):
        for dst in range(3):
            assert infos[src]["sent"][dst] == infos[dst]["received"][src]
        assert sum(infos[src]["sent"]) == 40 * 2 - infos[src]["dropped"]
        assert infos[src]["comm"] > 0 and infos[src]["compute"] >= 0


def _all_errors(outcomes) -> list[str]:
    assert all(status == "error" for status, _ in outcomes.values()), outcomes
    return [message for _, message in outcomes.values()]


def test_ranks_with_different_weights_all_fail_clearly():
    for message in _all_errors(spawn(2, mismatched_layer_job)):
        assert "rank 1 holds a different MoELayer than rank 0 (weight checksum differs)" in message


def test_ranks_with_different_top_k_all_fail_clearly():
    for message in _all_errors(spawn(2, mismatched_top_k_job)):
        assert "(top_k differs)" in message


def test_world_size_above_num_experts_fails_on_every_rank():
    for message in _all_errors(spawn(3, too_many_ranks_job)):
        assert "world_size (3) must be <= num_experts (2)" in message


def test_wrong_input_width_on_one_rank_errors_everywhere_without_a_hang():
    outcomes = spawn(2, wrong_width_job)
    assert outcomes[1][0] == "error" and "its last dim must be d_model (16)" in outcomes[1][1]
    assert outcomes[0][0] == "error" and "rank(s) [1] could not dispatch their tokens" in outcomes[0][1]


def test_bf16_works_on_gloo():
    for rank, (status, result) in spawn(2, bf16_job).items():
        assert status == "ok", result
        assert result["dtype"] == result["grad_dtype"] == "torch.bfloat16"
        assert result["max_diff"] < 0.05 and result["max_grad_diff"] < 0.05  # bf16 rounding; fp32 tests are exact


def test_wrapping_leaves_the_callers_layer_intact():
    for rank, (status, result) in spawn(2, caller_layer_job).items():
        assert status == "ok", result
        assert result["same_experts"] and result["shares_router"]
        assert result["after_wrap"] == 0.0 and result["after_step"] == 0.0
        assert result["ep_vs_layer"] < TOLERANCE


def test_expert_parallel_experts_is_a_drop_in_experts_module():
    outcomes = spawn(3, experts_module_job)
    for rank, (status, result) in outcomes.items():
        assert status == "ok", result
        assert result["diff"] < TOLERANCE
        assert sum(result["sent"]) == 60
    assert [outcomes[r][1]["local"] for r in range(3)] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert outcomes[2][1]["local_w1"] == (2, 16, 32)
