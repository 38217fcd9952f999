"""Command: check moe_core's expert parallelism against the single-process layer and report traffic and timings.

    torchrun --nproc-per-node 4 -m moe_core.ep_tool --experts 8 --top-k 2 [--json-out DIR]

Parses the flags, initialises the process group (gloo on CPU, NCCL when every local rank has a GPU), runs
moe_core.ep_check.run_check and writes the results: rank 0 prints the tables, or with --json-out every rank writes
DIR/rank<r>.json (its result, or {"rank": r, "error": "..."} when it failed).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

import torch
import torch.distributed as dist

from .capacity import DROP_POLICIES
from .ep_check import EPCheckConfig, format_report, run_check
from .routers import ROUTERS


def build_parser() -> argparse.ArgumentParser:
    """The flags; each one's dest is an EPCheckConfig field, except --backend and --json-out."""
    parser = argparse.ArgumentParser(prog="torchrun --nproc-per-node N -m moe_core.ep_tool",
                                     description="Expert-parallel MoE layer over torch.distributed: per-rank traffic, "
                                                 "the check against the single-process layer, timings.")
    parser.add_argument("--tokens", type=int, default=256, help="tokens per rank")
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--d-ff", type=int, default=128)
    parser.add_argument("--experts", type=int, default=8)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--router", default="topk_softmax", choices=sorted(ROUTERS))
    parser.add_argument("--capacity-factor", type=float, default=None, help="omit for dropless")
    parser.add_argument("--drop-policy", default="position", choices=DROP_POLICIES)
    parser.add_argument("--hot-expert-bias", type=float, default=0.0,
                        help="add this to expert 0's router logit (skews the load)")
    parser.add_argument("--router-scale", type=float, default=None,
                        help="router weight std = this / sqrt(d-model), so logits have std ~this (default: the layer's "
                             "init)")
    parser.add_argument("--num-groups", type=int, default=1, help="sigmoid_group_limited: expert groups")
    parser.add_argument("--topk-groups", type=int, default=1, help="sigmoid_group_limited: groups each token may use")
    parser.add_argument("--empty-rank", type=int, default=-1, help="this rank brings no tokens (an edge case)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", type=int, default=0, metavar="STEPS",
                        help="also time STEPS forward+backward steps and report tokens/s")
    parser.add_argument("--fail-rank", type=int, default=-1, help=argparse.SUPPRESS)  # tests: this rank raises
    parser.add_argument("--backend", default="auto", choices=["auto", "gloo", "nccl"])
    parser.add_argument("--json-out", type=Path, default=None, metavar="DIR",
                        help="write each rank's result (or error) to DIR/rank<r>.json instead of printing tables")
    return parser


def config_from_args(args: argparse.Namespace) -> EPCheckConfig:
    return EPCheckConfig(**{f.name: getattr(args, f.name) for f in fields(EPCheckConfig)})


def _backend(choice: str) -> str:
    if choice != "auto":
        return choice
    local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", 1)))
    return "nccl" if torch.cuda.is_available() and torch.cuda.device_count() >= local_ranks else "gloo"


def write_json(folder: Path, rank: int, result: dict) -> None:
    """DIR/rank<r>.json, written whole (a temporary file renamed) so a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".rank{rank}.json.partial"
    partial.write_text(json.dumps(result))
    partial.replace(folder / f"rank{rank}.json")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    backend = _backend(args.backend)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    if "RANK" not in os.environ:  # plain `python -m moe_core.ep_tool`: a one-process world
        os.environ.update(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29512")
    dist.init_process_group(backend)
    rank = dist.get_rank()
    try:
        try:
            result = run_check(config_from_args(args))
        except Exception as error:  # noqa: BLE001 - report it as this rank's result; the caller sees the message
            message = f"{type(error).__name__}: {error}"
            print(f"rank {rank}: {message}", file=sys.stderr, flush=True)
            if args.json_out is not None:
                write_json(args.json_out, rank, {"rank": rank, "error": message})
            return 1
        if args.json_out is not None:
            write_json(args.json_out, rank, result)
            return 0
        gathered = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, result)
        if rank == 0:
            print(format_report(gathered), flush=True)
        return 0
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
