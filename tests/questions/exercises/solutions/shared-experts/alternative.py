"""A correct shared-experts solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn.functional as F


def swiglu(h, w1, w2, w3):
    return (F.silu(h @ w1) * (h @ w3)) @ w2


def moe_with_shared_experts(x, router_weight, w1, w2, w3, shared, top_k, shared_gate=None):
    probs = (x.float() @ router_weight.float().T).softmax(-1)
    weights, indices = probs.topk(top_k, dim=-1)
    weights = weights / weights.sum(-1, keepdim=True)
    out = torch.zeros_like(x)
    for e in range(router_weight.shape[0]):
        token, slot = (indices == e).nonzero(as_tuple=True)
        if token.numel():
            out = out.index_add(0, token, weights[token, slot, None] * swiglu(x[token], w1[e], w2[e], w3[e]))
    shared_out = torch.zeros_like(x)
    for s in shared:
        shared_out = shared_out + swiglu(x, *s)
    if shared_gate is not None:
        shared_out = shared_out * torch.sigmoid(x @ shared_gate.T)
    return out + shared_out
