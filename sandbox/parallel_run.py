"""Run moe_core's expert-parallel layer on N local processes (gloo over loopback) and collect per-rank results.

The same code path as `torchrun --nproc-per-node N -m moe_core.parallel`: one `python -m moe_core.parallel --json`
process per rank, rendezvous on 127.0.0.1. A timeout, a progress callback and a cancel check; every process is killed
on any way out, and a failed rank becomes an EPRunError naming the rank and its error, never a hang.
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
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "EP_RESULT "
MATCH_TOLERANCE = 1e-4  # max |diff| against the single-process layer (fp32 sums in a different order)


class EPRunError(RuntimeError):
    """A multi-process run that failed, timed out or was cancelled; the message says which and why."""


def _free_port() -> int:
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


def _kill(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the rank and anything it started
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
    """Run the expert-parallel check on `world_size` local processes.

    options are moe_core.parallel's flags (tokens, d_model, d_ff, experts, top_k, router, capacity_factor,
    drop_policy, hot_expert_bias, seed, bench). Returns {"world_size", "ranks": [per-rank dicts in rank order],
    "traffic": [src][dst] token slots, "max_abs_diff", "matches", "seconds"}. Raises EPRunError otherwise.
    """
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size ({world_size!r}) must be an integer >= 1")
    experts = options.get("experts", 8)
    if world_size > experts:
        raise ValueError(f"world_size ({world_size}) must be <= num_experts ({experts})")
    report = progress or (lambda fraction, message: None)
    port = _free_port()
    command = [sys.executable, "-m", "moe_core.parallel", "--json", "--backend", "gloo"] + _cli_args(options)
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="moe-ep-") as folder:
        logs = [(Path(folder) / f"rank{rank}.out", Path(folder) / f"rank{rank}.err") for rank in range(world_size)]
        try:
            for rank, (out_path, err_path) in enumerate(logs):
                env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                           LOCAL_WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                           OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT), CUDA_VISIBLE_DEVICES="")
                with open(out_path, "wb") as out, open(err_path, "wb") as err:
                    processes.append(subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=err,
                                                      stdin=subprocess.DEVNULL, start_new_session=True))
            report(0.0, f"started {world_size} processes")
            while True:
                codes = [process.poll() for process in processes]
                failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
                if failed:
                    time.sleep(0.5)  # a crash makes its peers fail too: give the root cause a moment to surface
                    codes = [process.poll() for process in processes]
                    _kill(processes)
                    errors = {rank: _rank_error(logs[rank]) or f"exit code {code}"
                              for rank, code in enumerate(codes) if code not in (None, 0)}
                    rank = next((r for r, e in errors.items() if not _is_peer_error(e)), min(errors))
                    raise EPRunError(f"rank {rank} of {world_size} failed: {errors[rank]}")
                done = sum(code == 0 for code in codes)
                if done == world_size:
                    break
                if cancel is not None and cancel():
                    _kill(processes)
                    raise EPRunError("cancelled")
                elapsed = time.monotonic() - started
                if elapsed > timeout_s:
                    _kill(processes)
                    raise EPRunError(f"timed out after {timeout_s:.0f} s ({done} of {world_size} ranks finished); "
                                     f"every process was stopped")
                report(min(0.95, 0.1 + 0.85 * done / world_size + 0.05 * min(1.0, elapsed / timeout_s)),
                       f"{done} of {world_size} ranks finished")
                time.sleep(0.05)
            ranks = [_rank_result(out_path, rank) for rank, (out_path, _) in enumerate(logs)]
        finally:
            _kill(processes)
    worst = max(max(r["max_abs_diff"].values()) for r in ranks)
    report(1.0, "done")
    return {"world_size": world_size, "ranks": ranks, "traffic": [r["tokens_sent"] for r in ranks],
            "max_abs_diff": worst, "matches": worst < MATCH_TOLERANCE, "seconds": time.monotonic() - started}


def _is_peer_error(message: str) -> bool:
    """gloo's error on the ranks that lost a peer: a consequence, not the cause."""
    return "Connection closed by peer" in message or "remote worker" in message


def _rank_result(out_path: Path, rank: int) -> dict:
    for line in out_path.read_text(errors="replace").splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise EPRunError(f"rank {rank} finished without a result")


def _rank_error(paths: tuple[Path, Path]) -> str:
    """The rank's own error line (EP_RESULT with "error"), else the tail of its stderr."""
    out_path, err_path = paths
    if out_path.exists():
        for line in out_path.read_text(errors="replace").splitlines():
            if line.startswith(RESULT_PREFIX):
                error = json.loads(line[len(RESULT_PREFIX):]).get("error")
                if error:
                    return error
    return _tail(err_path)
