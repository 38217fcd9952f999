"""Reference for moe-layer-forward: moe_core.MoELayer called with the given weights (torch.func.functional_call)."""
import torch
from torch.func import functional_call

from moe_core import MoELayer


def moe_forward(x, router_weight, w1, w2, w3, top_k, capacity_factor=None):
    num_experts, d_model = router_weight.shape
    with torch.device("meta"):  # the layer's own weights are replaced by the caller's, so allocate none
        layer = MoELayer(d_model, w1.shape[2], num_experts, top_k, capacity_factor=capacity_factor)
    weights = {"router.weight": router_weight, "experts.w1": w1, "experts.w2": w2, "experts.w3": w3}
    out, _ = functional_call(layer, weights, (x,))
    return out
