"""Reference for shared-experts: moe_core.MoELayer with fused shared experts (and Qwen's shared gate)."""
import torch
from torch.func import functional_call

from moe_core import MoELayer


def moe_with_shared_experts(x, router_weight, w1, w2, w3, shared, top_k, shared_gate=None):
    num_experts, d_model = router_weight.shape
    params = {"router.weight": router_weight, "experts.w1": w1, "experts.w2": w2, "experts.w3": w3}
    kwargs = {}
    if shared:
        # the layer stores n shared experts fused as one of width n * f: w1 / w3 side by side, w2 stacked
        kwargs = {"num_shared_experts": len(shared), "shared_d_ff": shared[0][0].shape[1],
                  "shared_expert_gate": shared_gate is not None}
        params["shared_experts.w1"] = torch.cat([s[0] for s in shared], dim=1).unsqueeze(0)
        params["shared_experts.w2"] = torch.cat([s[1] for s in shared], dim=0).unsqueeze(0)
        params["shared_experts.w3"] = torch.cat([s[2] for s in shared], dim=1).unsqueeze(0)
        if shared_gate is not None:
            params["shared_gate.weight"] = shared_gate
    with torch.device("meta"):  # the layer's own weights are replaced by the caller's
        layer = MoELayer(d_model, w1.shape[2], num_experts, top_k, **kwargs)
    out, _ = functional_call(layer, params, (x,))
    return out
