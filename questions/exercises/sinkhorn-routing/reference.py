"""Reference for sinkhorn-routing: moe_core.sinkhorn_balance and moe_core.sinkhorn_routing."""
from moe_core import sinkhorn_balance, sinkhorn_routing


def sinkhorn_route(logits, k):
    routing = sinkhorn_routing(logits, k)
    return routing.weights, routing.indices
