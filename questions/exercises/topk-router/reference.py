"""Reference for topk-router: moe_core.topk_softmax, returning (weights, indices)."""
import moe_core


def topk_softmax(logits, k):
    routing = moe_core.topk_softmax(logits, k)
    return routing.weights, routing.indices
