"""Sort-based token dispatch: permute tokens into expert order, run the experts, unpermute and combine.

No one-hot [T, E, C] tensors: a stable argsort of the expert ids, bincount for the group sizes, index_add_ to combine.
The expert-parallel code reuses these functions around its all-to-all.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .checks import check_choice, check_expert_ids, check_int, check_same_rows, check_tensor

ACTIVATIONS = ("swiglu", "gelu", "relu")


def permute(x: Tensor, indices: Tensor, keep: Tensor | None = None, num_experts: int | None = None
            ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Group the kept (token, slot) pairs by expert, earliest first within an expert.

    x [T, d], indices [T, k], keep [T, k] bool (None = all). Returns x_sorted [N, d], token_index [N] (source token),
    slot_index [N] (flat t * k + j, to gather weights), tokens_per_expert [E]. Pass num_experts so trailing experts
    with no tokens are counted; without it E is taken as indices.max() + 1.
    """
    check_tensor("x", x, ndim=2)
    check_tensor("indices", indices, ndim=2, integer=True)
    check_same_rows("indices", indices, "x", x)
    if num_experts is None:
        num_experts = int(indices.max()) + 1 if indices.numel() else 1
    check_int("num_experts", num_experts, 1)
    check_expert_ids("indices", indices, num_experts)
    experts = indices.reshape(-1)                                # [T*k]
    if keep is None:
        slot_index = torch.argsort(experts, stable=True)         # [N]
    else:
        if keep.shape != indices.shape or keep.dtype != torch.bool:
            raise ValueError(f"keep must be a bool tensor of shape {tuple(indices.shape)}, "
                             f"got {keep.dtype} {tuple(keep.shape)}")
        kept_slots = keep.reshape(-1).nonzero().squeeze(1)
        slot_index = kept_slots[torch.argsort(experts[kept_slots], stable=True)]
    sorted_experts = experts[slot_index]
    tokens_per_expert = torch.bincount(sorted_experts, minlength=num_experts)
    token_index = slot_index.div(indices.shape[1], rounding_mode="floor")
    return x.index_select(0, token_index), token_index, slot_index, tokens_per_expert


def unpermute(y_sorted: Tensor, token_index: Tensor, weights_sorted: Tensor | None, num_tokens: int) -> Tensor:
    """Weight each expert output and sum it back onto its token: out[t] = sum over its slots of w * y. -> [T, d]

    weights_sorted None means y_sorted is already weighted. Tokens with no kept slot get zeros (the residual carries
    them).
    """
    check_tensor("y_sorted", y_sorted, ndim=2, floating=True)
    check_tensor("token_index", token_index, ndim=1, integer=True)
    check_int("num_tokens", num_tokens, 0)
    weighted = y_sorted
    if weights_sorted is not None:
        check_tensor("weights_sorted", weights_sorted, ndim=1)
        check_same_rows("weights_sorted", weights_sorted, "y_sorted", y_sorted)
        weighted = y_sorted * weights_sorted.to(y_sorted.dtype).unsqueeze(1)
    check_same_rows("token_index", token_index, "y_sorted", y_sorted)
    out = y_sorted.new_zeros(num_tokens, y_sorted.shape[1])
    return out.index_add_(0, token_index, weighted)


def ffn(x: Tensor, w1: Tensor, w2: Tensor, w3: Tensor | None = None, activation: str = "swiglu",
        out: Tensor | None = None) -> Tensor:
    """One expert: swiglu = (silu(x w1) * (x w3)) w2; gelu / relu = act(x w1) w2. x [n, d], w1/w3 [d, f], w2 [f, d].

    Without autograd swiglu and relu run in place and `out` (a [n, d] view) receives the result: fewer buffers.
    """
    hidden = x @ w1                                              # [n, f]
    grad = torch.is_grad_enabled()
    if activation == "swiglu":
        hidden = F.silu(hidden) * (x @ w3) if grad else F.silu(hidden, inplace=True).mul_(x @ w3)
    elif activation == "gelu":
        hidden = F.gelu(hidden)
    else:
        hidden = F.relu(hidden) if grad else hidden.relu_()
    return hidden @ w2 if out is None else torch.matmul(hidden, w2, out=out)


def _grouped_mm_ok(x: Tensor, w1: Tensor, w2: Tensor) -> bool:
    """grouped_mm is the CUDA fast path: bf16 on SM >= 80 with 16-byte aligned rows (8 bf16 values)."""
    return (hasattr(F, "grouped_mm") and x.is_cuda and x.dtype == torch.bfloat16 and w1.dtype == torch.bfloat16
            and torch.cuda.get_device_capability(x.device) >= (8, 0)
            and w1.shape[1] % 8 == 0 and w1.shape[2] % 8 == 0 and w2.shape[2] % 8 == 0)


def expert_ffn(x_sorted: Tensor, tokens_per_expert, w1: Tensor, w2: Tensor, w3: Tensor | None = None,
               activation: str = "swiglu") -> Tensor:
    """Run expert e on its contiguous rows of x_sorted [N, d]; w1/w3 [E, d, f], w2 [E, f, d]. -> [N, d]

    CUDA + bf16: torch.nn.functional.grouped_mm (one kernel per GEMM for all experts). Elsewhere a loop over the
    non-empty slices, which on CPU beats grouped_mm (measured: ~150 vs ~170 ms at T=4096, E=64).
    tokens_per_expert: [E] counts (tensor or list of ints) summing to N. A tensor is read to the host once
    (.tolist(), for the checks and the split): on CUDA that is a device sync on both paths.
    """
    check_tensor("x_sorted", x_sorted, ndim=2, floating=True)
    check_tensor("w1", w1, ndim=3, floating=True)
    check_tensor("w2", w2, ndim=3, floating=True)
    check_choice("activation", activation, ACTIVATIONS)
    num_experts, d_model, d_ff = w1.shape
    if x_sorted.shape[1] != d_model:
        raise ValueError(f"x_sorted has last dim {x_sorted.shape[1]}, w1 expects d_model ({d_model})")
    if w2.shape != (num_experts, d_ff, d_model):
        raise ValueError(f"w2 shape {tuple(w2.shape)} must be [E, d_ff, d_model] = {(num_experts, d_ff, d_model)}")
    if (activation == "swiglu") != (w3 is not None) or (w3 is not None and w3.shape != w1.shape):
        raise ValueError(f"w3 must have w1's shape {tuple(w1.shape)} for 'swiglu' and be None for {activation!r}")
    counts = tokens_per_expert.tolist() if isinstance(tokens_per_expert, Tensor) else list(tokens_per_expert)
    if len(counts) != num_experts or sum(counts) != x_sorted.shape[0]:
        raise ValueError(f"tokens_per_expert must have num_experts ({num_experts}) entries summing to the rows of "
                         f"x_sorted ({x_sorted.shape[0]}), got {len(counts)} entries summing to {sum(counts)}")
    if _grouped_mm_ok(x_sorted, w1, w2) and x_sorted.shape[0] > 0:
        offsets = torch.as_tensor(counts, device=x_sorted.device).cumsum(0).to(torch.int32)
        hidden = F.grouped_mm(x_sorted, w1, offs=offsets)
        if activation == "swiglu":
            hidden = F.silu(hidden) * F.grouped_mm(x_sorted, w3, offs=offsets)
        else:
            hidden = F.gelu(hidden) if activation == "gelu" else F.relu(hidden)
        return F.grouped_mm(hidden, w2, offs=offsets)
    # split / unbind, not x[a:b] / w1[e]: the backward of E slices or selects writes E full-size zero gradients,
    # split and unbind concatenate / stack the gradients once
    w3s = w3.unbind(0) if w3 is not None else [None] * num_experts
    parts = zip(x_sorted.split(counts), w1.unbind(0), w2.unbind(0), w3s)
    if not torch.is_grad_enabled():  # inference: each expert writes its rows of one output buffer, no cat
        out = x_sorted.new_empty(x_sorted.shape[0], w2.shape[2])
        for (x_part, w1_e, w2_e, w3_e), out_part in zip(parts, out.split(counts)):
            if x_part.shape[0]:
                ffn(x_part, w1_e, w2_e, w3_e, activation, out=out_part)
        return out
    outputs = [ffn(x_part, w1_e, w2_e, w3_e, activation) for x_part, w1_e, w2_e, w3_e in parts if x_part.shape[0]]
    if not outputs:  # still through the graph, so an expert-parallel rank that got no tokens joins the backward
        return ffn(x_sorted, w1[0], w2[0], None if w3 is None else w3[0], activation)
    return outputs[0] if len(outputs) == 1 else torch.cat(outputs)
