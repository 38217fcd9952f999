"""What the calculator tab prints from an `Estimate`: readable numbers and the rows of its tables (labels are catalog
keys under `calculator.row.`, translated by the page)."""
from __future__ import annotations

from .scale import Cluster, Estimate, ModelConfig

GIB = 1024 ** 3
NONE = "—"  # a part a mode does not have (a bare "-" would render as a Markdown list item)


def format_count(count: float) -> str:
    """1_234_567_890 -> "1.23B", 37_552_282_624 -> "37.6B", 5_000_000 -> "5.00M"."""
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(count) >= size:
            value = count / size
            return f"{value:.3g}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return f"{count:.0f}"


def format_bytes(count: float) -> str:
    """Bytes in binary units: 70272 -> "68.6 KiB", 2.5 * 2**30 -> "2.50 GiB"."""
    for size, unit in ((1024 ** 4, "TiB"), (GIB, "GiB"), (1024 ** 2, "MiB"), (1024, "KiB")):
        if abs(count) >= size:
            value = count / size
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{count:.0f} B"


def format_seconds(seconds: float) -> str:
    """0.00123 -> "1.23 ms", 4.5e-5 -> "45.0 µs"."""
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def format_flops(flops: float) -> str:
    """FLOPs with SI prefixes: 7.5e10 -> "75.0 GFLOP"."""
    for size, unit in ((1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP")):
        if flops >= size:
            return f"{flops / size:.3g} {unit}"
    return f"{flops:.0f} FLOP"


def parameter_rows(result: Estimate) -> list[tuple[str, str]]:
    """(label key, value) of the headline metrics."""
    return [("total", format_count(result.total_params)), ("active", format_count(result.active_params)),
            ("active_compute", format_count(result.active_compute_params)),
            ("flops_forward", format_flops(result.flops_per_token_forward)),
            ("flops_training", format_flops(result.flops_per_token_training))]


def memory_rows(result: Estimate) -> list[dict]:
    """Memory per GPU: {"what": label key, "training": text, "serving": text}; a part a mode does not have is "—"."""
    training = result.train_weight_bytes + result.train_grad_bytes + result.train_optimizer_bytes
    serving = result.serve_weight_bytes + result.serve_kv_cache_bytes
    return [
        {"what": "weights", "training": format_bytes(result.train_weight_bytes),
         "serving": format_bytes(result.serve_weight_bytes)},
        {"what": "gradients", "training": format_bytes(result.train_grad_bytes), "serving": NONE},
        {"what": "optimizer", "training": format_bytes(result.train_optimizer_bytes), "serving": NONE},
        {"what": "kv_cache", "training": NONE, "serving": format_bytes(result.serve_kv_cache_bytes)},
        {"what": "memory_total", "training": format_bytes(training), "serving": format_bytes(serving)},
    ]


def traffic_rows(result: Estimate) -> list[dict]:
    """All-to-all per token per MoE layer, without and with node-limited routing: {"what", "plain", "limited"}."""
    return [
        {"what": "a2a_bytes", "plain": format_bytes(result.a2a_bytes_per_token),
         "limited": format_bytes(result.a2a_bytes_per_token)},
        {"what": "intra_node", "plain": format_bytes(result.intra_node_bytes),
         "limited": format_bytes(result.intra_node_bytes_node_limited)},
        {"what": "inter_node", "plain": format_bytes(result.inter_node_bytes),
         "limited": format_bytes(result.inter_node_bytes_node_limited)},
        {"what": "inter_copies", "plain": f"{result.inter_node_copies:.2f}",
         "limited": f"{result.inter_node_copies_node_limited:.2f}"},
        {"what": "a2a_time", "plain": format_seconds(result.a2a_seconds),
         "limited": format_seconds(result.a2a_seconds_node_limited)},
        {"what": "expert_time", "plain": format_seconds(result.expert_seconds),
         "limited": format_seconds(result.expert_seconds)},
    ]


def comm_to_compute(result: Estimate) -> tuple[float, float]:
    """(all-to-all time / expert compute time) without and with node-limited routing: above 1 the layer waits on the
    network unless the two overlap (DeepSeek-V3's DualPipe overlaps them)."""
    return result.a2a_seconds / result.expert_seconds, result.a2a_seconds_node_limited / result.expert_seconds


def cluster_summary(cluster: Cluster, model: ModelConfig) -> dict:
    """Numbers the page states about the layout: world size, experts per GPU, nodes an EP group spans."""
    return {"world": cluster.world, "experts_per_gpu": model.num_experts // cluster.ep,
            "ep_nodes": max(1, cluster.ep // cluster.gpus_per_node)}
