"""Benchmark: MoELayer vs a Mixtral-style (HF transformers) reference vs the bare expert GEMMs.

python -m moe_core.bench [--device cuda] [--dtype bf16] [--repeat 7] [--shapes 4096,512,1024,8,2 ...]
Forward is timed under torch.no_grad (inference); forward+backward with autograd, backward from sum(y).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from .dispatch import expert_ffn, ffn
from .layer import MoELayer

DEFAULT_SHAPES = [(4096, 512, 1024, 8, 2), (4096, 256, 512, 64, 2), (8192, 128, 256, 64, 4)]


def mixtral_reference(layer: MoELayer, x: torch.Tensor) -> torch.Tensor:
    """The algorithm of HF transformers' Mixtral block on the layer's weights: loop over hit experts, torch.where,
    index_add_."""
    num_experts, top_k = layer.num_experts, layer.top_k
    probs = F.linear(x.float(), layer.router.weight.float()).softmax(dim=-1)
    weights, selected = probs.topk(top_k, dim=-1)
    weights = (weights / weights.sum(dim=-1, keepdim=True)).to(x.dtype)
    out = torch.zeros_like(x)
    expert_mask = F.one_hot(selected, num_classes=num_experts).permute(2, 1, 0)   # [E, k, T]
    e = layer.experts
    w1s, w2s, w3s = e.w1.unbind(0), e.w2.unbind(0), e.w3.unbind(0)  # as cheap as Mixtral's per-expert nn.Linear
    for expert in (expert_mask.sum(dim=(-1, -2)) > 0).nonzero().flatten().tolist():
        slot, token = torch.where(expert_mask[expert])
        y = ffn(x[token], w1s[expert], w2s[expert], w3s[expert], e.activation)
        out.index_add_(0, token, y * weights[token, slot, None])
    return out


def bare_gemms(layer: MoELayer, x_sorted: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """The limit: only the expert GEMMs and activation (expert_ffn) on tokens already sorted by expert."""
    e = layer.experts
    return expert_ffn(x_sorted, counts, e.w1, e.w2, e.w3, e.activation)


def _interleaved_medians(runs: dict, repeat: int, device: torch.device) -> dict[str, float]:
    """Median seconds of each callable; rounds run every callable once in turn, so load from other processes on a
    shared machine hits all of them alike instead of one. The first round is a warm-up."""
    times = {name: [] for name in runs}
    for round_index in range(repeat + 1):
        for name, (fn, grad) in runs.items():
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            with torch.set_grad_enabled(grad):
                fn()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if round_index:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_shape(shape, device, dtype, repeat) -> dict[str, float]:
    num_tokens, d_model, d_ff, num_experts, top_k = shape
    torch.manual_seed(0)
    layer = MoELayer(d_model, d_ff, num_experts, top_k).to(device=device, dtype=dtype)
    x = torch.randn(num_tokens, d_model, device=device, dtype=dtype)
    with torch.no_grad():
        _, info = layer(x)
        counts = info.tokens_per_expert.tolist()
        x_sorted = x[info.routing.indices.reshape(-1).argsort(stable=True) // top_k]
    x_grad, x_sorted_grad = x.clone().requires_grad_(), x_sorted.clone().requires_grad_()

    def backward(y):
        y.float().sum().backward()
        layer.zero_grad(set_to_none=True)
        x_grad.grad = x_sorted_grad.grad = None

    runs = {  # name: (callable, autograd on)
        "moe_fwd": (lambda: layer(x), False),
        "ref_fwd": (lambda: mixtral_reference(layer, x), False),
        "gemm_fwd": (lambda: bare_gemms(layer, x_sorted, counts), False),
        "moe_fb": (lambda: backward(layer(x_grad)[0]), True),
        "ref_fb": (lambda: backward(mixtral_reference(layer, x_grad)), True),
        "gemm_fb": (lambda: backward(bare_gemms(layer, x_sorted_grad, counts)), True),
    }
    return _interleaved_medians(runs, repeat, device)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement (median reported)")
    parser.add_argument("--shapes", nargs="*", default=None, help="T,d_model,d_ff,E,k (default: DEFAULT_SHAPES)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads on CPU")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    shapes = [tuple(int(v) for v in s.split(",")) for s in args.shapes] if args.shapes else DEFAULT_SHAPES
    print(f"device={device} dtype={args.dtype} threads={torch.get_num_threads()} repeat={args.repeat} "
          f"torch={torch.__version__}; median ms; fwd under no_grad, fb = forward+backward")
    header = (f"{'T,d,ff,E,k':>22} | {'moe fwd':>8} {'ref fwd':>8} {'gemm fwd':>8} | {'ref/moe':>7} {'moe/gemm':>8} | "
              f"{'moe fb':>8} {'ref fb':>8} {'gemm fb':>8} | {'ref/moe':>7} {'moe/gemm':>8}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        r = {key: value * 1e3 for key, value in bench_shape(shape, device, dtype, args.repeat).items()}
        print(f"{','.join(map(str, shape)):>22} | {r['moe_fwd']:8.1f} {r['ref_fwd']:8.1f} {r['gemm_fwd']:8.1f} | "
              f"{r['ref_fwd'] / r['moe_fwd']:7.2f} {r['moe_fwd'] / r['gemm_fwd']:8.2f} | "
              f"{r['moe_fb']:8.1f} {r['ref_fb']:8.1f} {r['gemm_fb']:8.1f} | "
              f"{r['ref_fb'] / r['moe_fb']:7.2f} {r['moe_fb'] / r['gemm_fb']:8.2f}", flush=True)


if __name__ == "__main__":
    main()
