"""Run moe_core's expert-parallel layer on N local processes (gloo over loopback) and collect per-rank results.

The same code path as `torchrun --nproc-per-node N -m moe_core.ep_tool`: one `python -m moe_core.ep_tool --json-out DIR`
process per rank, rendezvous on 127.0.0.1; each rank writes its result (or its error) to DIR/rank<r>.json. A timeout, a
progress callback and a cancel check; every process is killed on any way out, and a failed rank becomes an EPRunError
naming the rank and its own error, never a hang.
run_expert_parallel (below) is the sandbox's entry: validated settings in, an EPRunResult of plain numbers out.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from moe_core import DROP_POLICIES, ROUTERS
from moe_core.checks import check_choice, check_float, check_int, check_positive
from moe_core.ep_check import MATCH_TOLERANCE

from .simulate import HOT_BIAS_RANGE, ROUTER_SCALE_RANGE

REPO_ROOT = Path(__file__).resolve().parent.parent


class EPRunError(RuntimeError):
    """A multi-process run that failed, timed out or was cancelled; the message says which and why."""


class EPRunCancelled(EPRunError):
    """The caller's cancel() asked to stop; every process was stopped."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now: the rendezvous port of a local run."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cli_args(options: dict) -> list[str]:
    """{"top_k": 2, "capacity_factor": None} -> ["--top-k", "2"] (None means the command's default)."""
    args = []
    for name, value in options.items():
        if value is not None:
            args += ["--" + name.replace("_", "-"), str(value)]
    return args


def start_ranks(world_size: int, args: list[str], stderr_dir: Path | None = None) -> list[subprocess.Popen]:
    """One `python -m moe_core.ep_tool --backend gloo ARGS` process per rank on 127.0.0.1, as torchrun starts them.

    Each rank gets torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR / MASTER_PORT), one thread and no GPU, and
    runs in its own session so that stop_ranks also stops what it started. stderr_dir: rank r's stderr goes to
    stderr_dir/rank<r>.err and its stdout is dropped; None: stdout and stderr are text pipes (communicate()).
    """
    port = free_port()
    command = [sys.executable, "-m", "moe_core.ep_tool", "--backend", "gloo", *args]
    processes: list[subprocess.Popen] = []
    try:
        for rank in range(world_size):
            env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                       LOCAL_WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                       OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT), CUDA_VISIBLE_DEVICES="")
            if stderr_dir is None:
                streams = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            else:  # the child holds its own copy of the file: closing ours right away is fine
                streams = dict(stdout=subprocess.DEVNULL, stderr=open(stderr_dir / f"rank{rank}.err", "wb"))
            try:
                processes.append(subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                                                  start_new_session=True, **streams))
            finally:
                if stderr_dir is not None:
                    streams["stderr"].close()
    except BaseException:
        stop_ranks(processes)
        raise
    return processes


def stop_ranks(processes: list[subprocess.Popen]) -> None:
    """Kill every rank still running (with anything it started) and reap them all."""
    for process in processes:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for process in processes:
        process.wait()


def _tail(path: Path, limit: int = 800) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = [line for line in text.splitlines() if line.strip() and "Warning" not in line]
    return "\n".join(lines)[-limit:]


def run_local(world_size: int, timeout_s: float = 120.0, progress: Callable[[float, str], None] | None = None,
              cancel: Callable[[], bool] | None = None, **options) -> dict:
    """Run the expert-parallel check on `world_size` local processes (start_ranks) and read their JSON results.

    options are moe_core.ep_tool's flags (tokens, d_model, d_ff, experts, top_k, router, capacity_factor,
    drop_policy, hot_expert_bias, router_scale, seed, bench). Returns {"world_size", "ranks": [per-rank dicts in rank
    order], "traffic": [src][dst] token slots, "max_abs_diff", "matches", "seconds"}. Raises EPRunError otherwise.
    """
    check_int("world_size", world_size, 1, options.get("experts", 8), "num_experts")
    report = progress or (lambda fraction, message: None)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="moe-ep-") as folder:
        results = Path(folder) / "results"
        logs = [(results / f"rank{rank}.json", Path(folder) / f"rank{rank}.err") for rank in range(world_size)]
        processes = start_ranks(world_size, _cli_args(options) + ["--json-out", str(results)], Path(folder))
        try:
            report(0.0, f"started {world_size} processes")
            _wait_for_ranks(processes, logs, started, timeout_s, report, cancel)
            ranks = [_rank_result(json_path, rank) for rank, (json_path, _) in enumerate(logs)]
        finally:
            stop_ranks(processes)
    worst = max(max(r["max_abs_diff"].values()) for r in ranks)
    report(1.0, "done")
    return {"world_size": world_size, "ranks": ranks, "traffic": [r["tokens_sent"] for r in ranks],
            "max_abs_diff": worst, "matches": worst < MATCH_TOLERANCE, "seconds": time.monotonic() - started}


def _wait_for_ranks(processes: list[subprocess.Popen], logs: list[tuple[Path, Path]], started: float,
                    timeout_s: float, report: Callable[[float, str], None], cancel: Callable[[], bool] | None) -> None:
    """Poll until every rank exits 0; a failed rank, a cancel or the timeout raises EPRunError (ranks stopped)."""
    world_size = len(processes)
    while True:
        codes = [process.poll() for process in processes]
        if any(code not in (None, 0) for code in codes):
            time.sleep(0.5)  # a crash makes its peers fail too: give the root cause a moment to surface
            codes = [process.poll() for process in processes]
            stop_ranks(processes)
            errors = {rank: _rank_error(logs[rank]) or f"exit code {code}"
                      for rank, code in enumerate(codes) if code not in (None, 0)}
            rank = next((r for r, e in errors.items() if not _is_peer_error(e)), min(errors))
            raise EPRunError(f"rank {rank} of {world_size} failed: {errors[rank]}")
        done = sum(code == 0 for code in codes)
        if done == world_size:
            return
        if cancel is not None and cancel():
            stop_ranks(processes)
            raise EPRunCancelled("cancelled")
        elapsed = time.monotonic() - started
        if elapsed > timeout_s:
            stop_ranks(processes)
            raise EPRunError(f"timed out after {timeout_s:.0f} s ({done} of {world_size} ranks finished); "
                             f"every process was stopped")
        report(min(0.95, 0.1 + 0.85 * done / world_size + 0.05 * min(1.0, elapsed / timeout_s)),
               f"{done} of {world_size} ranks finished")
        time.sleep(0.05)


def _is_peer_error(message: str) -> bool:
    """gloo's error on the ranks that lost a peer: a consequence, not the cause."""
    return "Connection closed by peer" in message or "remote worker" in message


def _result_file(json_path: Path) -> dict | None:
    """The rank's JSON result (or error), parsed; None when it wrote none."""
    try:
        return json.loads(json_path.read_text())
    except (OSError, ValueError):
        return None


def _rank_result(json_path: Path, rank: int) -> dict:
    result = _result_file(json_path)
    if result is None or "error" in result:
        raise EPRunError(f"rank {rank} finished without a result")
    return result


def _rank_error(paths: tuple[Path, Path]) -> str:
    """The rank's own error (the "error" of its JSON file), else the tail of its stderr."""
    json_path, err_path = paths
    return (_result_file(json_path) or {}).get("error") or _tail(err_path)


# ---- the sandbox's view of a run ----------------------------------------------------------------------------------
MAX_WORLD_SIZE = 8  # local processes; each imports torch (~0.3 GB)


def local_rank_limit() -> int:
    """How many ranks a local run starts at most: one per usable CPU core, 2 to MAX_WORLD_SIZE."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(2, min(MAX_WORLD_SIZE, cores))


def world_size_for(ep_size: int, limit: int | None = None) -> int:
    """The processes of a local run of a layer split over `ep_size` ranks: ep_size, capped at the machine's limit."""
    check_int("ep_size", ep_size, 1)
    return min(ep_size, local_rank_limit() if limit is None else limit)


@dataclass
class EPRunResult:
    """Per-rank traffic and the check against the single-process layer of one multi-process run (plain numbers)."""
    world_size: int
    settings: dict
    ranks: list[dict] = field(default_factory=list)           # moe_core.ep_check.run_check's dict per rank, in order
    traffic: list[list[int]] = field(default_factory=list)    # [world, world] slots sent from rank i (row) to j
    tokens_per_rank: list[int] = field(default_factory=list)  # [world] slots each rank's experts processed
    max_abs_diff: float = 0.0                                 # worst |EP - single process|: outputs and gradients
    matches: bool = False                                     # max_abs_diff < MATCH_TOLERANCE
    step_ms: list[float] = field(default_factory=list)        # [world] forward+backward wall time per rank
    comm_ms: list[float] = field(default_factory=list)        # [world] count exchange + both all-to-alls
    compute_ms: list[float] = field(default_factory=list)     # [world] this rank's experts
    wall_seconds: float = 0.0                                 # the whole run: process start, imports, rendezvous
    cancelled: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def run_expert_parallel(world_size: int = 2, *, tokens: int = 128, d_model: int = 32, d_ff: int = 64,
                        num_experts: int = 8, top_k: int = 2, router: str = "topk_softmax",
                        capacity_factor: float | None = None, drop_policy: str = "position", hot_bias: float = 0.0,
                        router_scale: float | None = None, seed: int = 0, timeout_s: float = 120.0,
                        progress: Callable[[float, str], None] | None = None,
                        cancel: Callable[[], bool] | None = None) -> EPRunResult:
    """moe_core's expert-parallel layer on `world_size` local processes (run_local), as an EPRunResult.

    Each rank routes `tokens` tokens of its own (capacity applies per source rank, as in layer(x_local)), sends the
    kept slots to the experts' owners (create_expert_groups) with all_to_all_single, and checks output and gradients
    against the single-process MoELayer. hot_bias is added to expert 0's logit and router_scale sets the router
    weight's std to router_scale / sqrt(d_model) (None: MoELayer's init), as simulate() does; the tokens are N(0, I).
    progress(fraction, message); cancel() -> True stops every process and
    returns cancelled=True. Bad settings raise ValueError naming the constraint; a failed rank or a timeout raises
    EPRunError with the rank's message.
    """
    check_int("world_size", world_size, 1, MAX_WORLD_SIZE)  # local processes
    for name, value, low in (("tokens", tokens, 0), ("d_model", d_model, 1), ("d_ff", d_ff, 1),
                             ("num_experts", num_experts, 1)):
        check_int(name, value, low)
    check_int("seed", seed)
    check_int("top_k", top_k, 1, num_experts, "num_experts")
    check_choice("router", router, sorted(ROUTERS))
    check_choice("drop_policy", drop_policy, DROP_POLICIES)
    if capacity_factor is not None:  # None = dropless
        check_positive("capacity_factor", capacity_factor)
    check_float("hot_bias", hot_bias, *HOT_BIAS_RANGE)
    if router_scale is not None:
        check_float("router_scale", router_scale, *ROUTER_SCALE_RANGE)
    check_positive("timeout_s", timeout_s)
    settings = dict(tokens=tokens, d_model=d_model, d_ff=d_ff, num_experts=num_experts, top_k=top_k, router=router,
                    capacity_factor=capacity_factor, drop_policy=drop_policy, hot_bias=hot_bias,
                    router_scale=router_scale, seed=seed)
    started = time.monotonic()
    try:
        raw = run_local(world_size, timeout_s=timeout_s, progress=progress, cancel=cancel, tokens=tokens,
                        d_model=d_model, d_ff=d_ff, experts=num_experts, top_k=top_k, router=router,
                        capacity_factor=capacity_factor, drop_policy=drop_policy,
                        hot_expert_bias=hot_bias or None, router_scale=router_scale, seed=seed)
    except EPRunCancelled:
        return EPRunResult(world_size, settings, cancelled=True, wall_seconds=time.monotonic() - started)
    ranks = raw["ranks"]
    traffic = [[int(v) for v in row] for row in raw["traffic"]]
    return EPRunResult(
        world_size=world_size, settings=settings, ranks=ranks, traffic=traffic,
        tokens_per_rank=[sum(row[j] for row in traffic) for j in range(world_size)],
        max_abs_diff=float(raw["max_abs_diff"]), matches=bool(raw["matches"]),
        step_ms=[1e3 * r.get("step_seconds", 0.0) for r in ranks],
        comm_ms=[1e3 * r.get("comm_seconds", 0.0) for r in ranks],
        compute_ms=[1e3 * r.get("compute_seconds", 0.0) for r in ranks],
        wall_seconds=time.monotonic() - started)
