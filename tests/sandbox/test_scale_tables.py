"""sandbox.scale_tables: readable numbers and the rows the calculator tab prints."""
from sandbox.scale import MODELS, Cluster, estimate
from sandbox.scale_tables import (NONE, cluster_summary, comm_to_compute, format_bytes, format_count, format_flops,
                                  format_seconds, memory_rows, parameter_rows, traffic_rows)


def test_formats():
    assert [format_count(n) for n in (671_026_000_000, 37_552_282_624, 1_282_000_000, 5_000_000, 950)] == \
        ["671B", "37.6B", "1.28B", "5M", "950"]
    assert format_bytes(70272) == "68.6 KiB" and format_bytes(2.5 * 2 ** 30) == "2.5 GiB" and format_bytes(12) == "12 B"
    assert format_seconds(0.00123) == "1.23 ms" and format_seconds(4.5e-5) == "45 µs" and format_seconds(2) == "2 s"
    assert format_flops(7.5e10) == "75 GFLOP" and format_flops(2.2e12) == "2.2 TFLOP"


def test_rows_hold_the_estimate():
    model, cluster = MODELS["deepseek-v3"], Cluster(nodes=8, ep=64, dp=64)
    result = estimate(model, cluster)
    assert dict(parameter_rows(result))["total"] == "671B"
    memory = {row["what"]: row for row in memory_rows(result)}
    assert memory["weights"]["training"] == format_bytes(result.train_weight_bytes)
    assert memory["kv_cache"]["training"] == NONE and memory["gradients"]["serving"] == NONE
    assert memory["memory_total"]["training"] == format_bytes(
        result.train_weight_bytes + result.train_grad_bytes + result.train_optimizer_bytes)
    traffic = {row["what"]: row for row in traffic_rows(result)}
    assert traffic["inter_copies"] == {"what": "inter_copies", "plain": f"{result.inter_node_copies:.2f}",
                                       "limited": f"{result.inter_node_copies_node_limited:.2f}"}
    plain, limited = comm_to_compute(result)
    assert plain == result.a2a_seconds / result.expert_seconds and limited < plain
    assert cluster_summary(cluster, model) == {"world": 64, "experts_per_gpu": 4, "ep_nodes": 8}
