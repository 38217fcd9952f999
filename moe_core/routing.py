"""Routing functions: router logits -> RoutingResult, one plain function per strategy (the modules are in routers.py)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .checks import check_int, check_len, check_logits, check_positive, check_tensor


@dataclass
class RoutingResult:
    """What a router decided. T tokens, E experts, k slots per token."""
    weights: Tensor             # [T, k] combine weights (0 where not valid)
    indices: Tensor             # [T, k] long expert ids
    probs: Tensor               # [T, E] router probabilities the balance losses use
    logits: Tensor              # [T, E] raw router logits (for the z-loss)
    valid: Tensor | None = None  # [T, k] bool; None means every slot is valid
    load: Tensor | None = None   # [E] Shazeer's smooth load estimate (noisy top-k while training), else None


def _check_k(k, num_experts: int) -> int:
    return check_int("top_k", k, 1, num_experts, "num_experts")


def topk_softmax(logits: Tensor, k: int, renormalize: bool = True) -> RoutingResult:
    """Softmax over all E experts, keep the top-k, renormalise them to sum 1 (Mixtral; Megatron-Core).

    Equal to a softmax over the k selected logits. Dividing the raw top-k logits by their sum (a common interview
    answer) is wrong: logits can be negative or sum to ~0. Computed in float32 (Switch: router in fp32).
    """
    check_logits("logits", logits)
    _check_k(k, logits.shape[1])
    probs = logits.float().softmax(dim=-1)                       # [T, E]
    weights, indices = probs.topk(k, dim=-1)                     # [T, k]
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return RoutingResult(weights, indices, probs, logits)


def switch_top1(logits: Tensor) -> RoutingResult:
    """Switch Transformer top-1: the gate is the (not renormalised) probability p_i, so the router gets a gradient."""
    return topk_softmax(logits, 1, renormalize=False)


def noisy_topk_load(clean_logits: Tensor, noisy_logits: Tensor, noise_std: Tensor, k: int) -> Tensor:
    """Shazeer 2017 smooth load estimate [E]: sum over tokens of P(expert i stays in the top-k under fresh noise).

    P = Phi((clean_i - threshold_i) / std_i), threshold_i the k-th largest noisy logit among the *other* experts:
    the (k+1)-th largest if i is currently in the top-k, else the k-th. Differentiable in clean logits and std.
    """
    num_tokens, num_experts = clean_logits.shape
    if k >= num_experts:  # every expert is always selected
        return torch.full((num_experts,), float(num_tokens), device=clean_logits.device)
    top = noisy_logits.topk(k + 1, dim=-1).values                # [T, k+1]
    threshold_if_in, threshold_if_out = top[:, k:k + 1], top[:, k - 1:k]
    is_in = noisy_logits > threshold_if_in                       # [T, E]
    threshold = torch.where(is_in, threshold_if_in, threshold_if_out)
    return torch.special.ndtr((clean_logits - threshold) / noise_std).sum(dim=0)


def noisy_topk(logits: Tensor, noise_logits: Tensor, k: int, train: bool = True,
               generator: torch.Generator | None = None) -> RoutingResult:
    """Noisy top-k gating with learned noise (Shazeer et al. 2017).

    H = logits + N(0, 1) * softplus(noise_logits) while training (clean logits at eval); the weights are a softmax
    over the top-k of H. `probs` = softmax(H) over all experts; `load` = the smooth load estimate (training only).
    """
    check_logits("logits", logits)
    check_logits("noise_logits", noise_logits, logits.shape[1])
    if noise_logits.shape != logits.shape:
        raise ValueError(f"noise_logits shape {tuple(noise_logits.shape)} must equal logits shape "
                         f"{tuple(logits.shape)}")
    _check_k(k, logits.shape[1])
    clean = logits.float()
    load = None
    if train:
        noise_std = F.softplus(noise_logits.float()) + 1e-2      # floor keeps the load estimate finite
        noise = torch.randn(clean.shape, generator=generator, device=clean.device)
        noisy = clean + noise * noise_std
        load = noisy_topk_load(clean, noisy, noise_std, k)
    else:
        noisy = clean
    probs = noisy.softmax(dim=-1)
    weights, indices = probs.topk(k, dim=-1)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return RoutingResult(weights, indices, probs, logits, load=load)


def expert_choice(logits: Tensor, capacity: int) -> RoutingResult:
    """Expert choice (Zhou et al. 2022): every expert takes its top-`capacity` tokens by softmax score.

    A token may get 0..E experts, so the result has k = E slots (slot e = expert e) and a `valid` mask; the weight
    of a slot is the token's softmax probability for that expert. Looks at every token of the batch, so it is not
    causal (not usable as-is in autoregressive decoding).
    """
    check_logits("logits", logits)
    num_tokens, num_experts = logits.shape
    check_int("capacity", capacity, 1, num_tokens, "num_tokens")
    probs = logits.float().softmax(dim=-1)                       # [T, E]
    chosen = probs.t().topk(capacity, dim=-1).indices            # [E, C] token ids per expert
    valid = torch.zeros(num_experts, num_tokens, dtype=torch.bool, device=logits.device)
    valid.scatter_(1, chosen, True)
    valid = valid.t()                                            # [T, E]
    indices = torch.arange(num_experts, device=logits.device).expand(num_tokens, num_experts)
    weights = probs * valid
    return RoutingResult(weights, indices, probs, logits, valid=valid)


def hash_routing(token_ids: Tensor, num_experts: int, k: int = 1) -> RoutingResult:
    """Hash layers (Roller et al. 2021): a fixed token id -> expert map, nothing learned.

    Expert = Knuth multiplicative hash of the id, mapped onto [0, E); slot j takes the next expert (e0 + j) % E so the k
    experts differ. Weights are 1/k. `probs` is the assignment itself (one-hot / k) and `logits` are zeros: there is
    no router to balance or stabilise.
    """
    check_tensor("token_ids", token_ids, ndim=1, integer=True)
    check_int("num_experts", num_experts, 1)
    _check_k(k, num_experts)
    if token_ids.numel() and token_ids.min() < 0:
        raise ValueError(f"token_ids must be >= 0, got {int(token_ids.min())}")
    hashed = (token_ids.long() * 2654435761) % (1 << 32)         # spreads consecutive ids
    first = (hashed * num_experts) >> 32                          # [T] in [0, E)
    indices = (first[:, None] + torch.arange(k, device=token_ids.device)) % num_experts  # [T, k]
    num_tokens = token_ids.shape[0]
    weights = torch.full((num_tokens, k), 1.0 / k, device=token_ids.device)
    probs = torch.zeros(num_tokens, num_experts, device=token_ids.device).scatter_(1, indices, 1.0 / k)
    logits = torch.zeros(num_tokens, num_experts, device=token_ids.device)
    return RoutingResult(weights, indices, probs, logits)


def check_group_limited(num_experts: int, k: int, num_groups: int, topk_groups: int,
                        routed_scaling_factor: float) -> int:
    """Check group-limited settings against E and k (numbers only, so a router can be built on the meta device);
    returns the experts per group."""
    check_int("num_groups", num_groups, 1, num_experts, "num_experts")
    if num_experts % num_groups:
        raise ValueError(f"num_experts ({num_experts}) must be divisible by num_groups ({num_groups})")
    check_int("topk_groups", topk_groups, 1, num_groups, "num_groups")
    per_group = num_experts // num_groups
    check_int("top_k", k, 1, topk_groups * per_group, "topk_groups * experts per group")
    check_positive("routed_scaling_factor", routed_scaling_factor)
    return per_group


def sigmoid_group_limited(logits: Tensor, bias: Tensor, k: int, num_groups: int, topk_groups: int,
                          routed_scaling_factor: float = 1.0, renormalize: bool = True) -> RoutingResult:
    """DeepSeek-V3 routing: sigmoid scores, bias-adjusted group-limited selection, unbiased weights.

    s = sigmoid(logits); selection uses s + bias: each group of E / num_groups experts is scored by the sum of its
    top-2 (top-1 if a group has one expert), only the best `topk_groups` groups stay, and the top-k experts among them
    are chosen. The weights are the *unbiased* s of the chosen experts, renormalised to sum 1 when `renormalize`
    (HF's norm_topk_prob), times routed_scaling_factor: the bias only selects. `probs` = s / sum(s) (the normalised
    scores DeepSeek's sequence-wise loss uses).
    """
    check_logits("logits", logits)
    num_tokens, num_experts = logits.shape
    check_tensor("bias", bias, ndim=1, floating=True)
    check_len("bias", bias, num_experts, "num_experts")
    per_group = check_group_limited(num_experts, k, num_groups, topk_groups, routed_scaling_factor)
    scores = logits.float().sigmoid()                            # [T, E]
    choice = scores + bias.detach().float()                      # [T, E] selection only
    group_scores = choice.view(num_tokens, num_groups, per_group).topk(min(2, per_group), dim=-1).values.sum(-1)
    best_groups = group_scores.topk(topk_groups, dim=-1).indices  # [T, topk_groups]
    group_mask = torch.zeros_like(group_scores, dtype=torch.bool).scatter_(1, best_groups, True)
    expert_mask = group_mask.repeat_interleave(per_group, dim=1)  # [T, E]
    indices = choice.masked_fill(~expert_mask, float("-inf")).topk(k, dim=-1).indices
    weights = scores.gather(1, indices)
    if renormalize:
        weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
    weights = weights * routed_scaling_factor
    probs = scores / scores.sum(dim=-1, keepdim=True)
    return RoutingResult(weights, indices, probs, logits)


def sinkhorn_balance(logits: Tensor, iterations: int = 100, tol: float = 1e-4) -> Tensor:
    """Sinkhorn-Knopp balancing of exp(logits) [T, E]: the plan P = diag(a) exp(logits) diag(b), no gradient.

    Each row of P sums to 1 (a token spends one unit) and each column to T / E (every expert receives the same
    share), the balanced transport plan closest to the softmax scores. Computed in log space (logits of 1e4 do not
    overflow): alternately fix the rows and the columns until no column sum is off by more than `tol` (relative to
    T / E), at most `iterations` rounds. The last step fixes the rows, so they sum to 1 exactly. BASE layers
    (Lewis et al. 2021) solve this assignment exactly; Megatron-Core's sinkhorn router approximates it like this.
    """
    check_logits("logits", logits)
    check_int("iterations", iterations, 1)
    check_positive("tol", tol)
    num_tokens, num_experts = logits.shape
    with torch.no_grad():
        log_kernel = logits.detach().float()                     # [T, E]
        log_col_share = torch.log(torch.tensor(num_tokens / num_experts))
        row = torch.zeros(num_tokens, device=logits.device)      # log a
        for _ in range(iterations):
            col = log_col_share - torch.logsumexp(log_kernel + row[:, None], dim=0)  # log b: columns sum to T / E
            row = -torch.logsumexp(log_kernel + col, dim=1)      # rows sum to 1
            col_sums = torch.logsumexp(log_kernel + row[:, None] + col, dim=0).exp()
            if float((col_sums * num_experts / num_tokens - 1).abs().max()) <= tol:
                break
        return (log_kernel + row[:, None] + col).exp()


def sinkhorn_routing(logits: Tensor, k: int = 1, iterations: int = 100) -> RoutingResult:
    """Balanced token choice: pick the top-k experts of the Sinkhorn plan, weight them by the plain softmax.

    The plan (sinkhorn_balance) only selects; the weights are the softmax probabilities of the chosen experts, not
    renormalised, so the router gets a gradient even with k = 1 (as Switch). Megatron-Core's "sinkhorn" router does
    the same (it uses a sigmoid for k = 1); BASE layers replace the plan by an exact linear assignment.
    """
    check_logits("logits", logits)
    _check_k(k, logits.shape[1])
    plan = sinkhorn_balance(logits, iterations)                  # [T, E] selection only
    indices = plan.topk(k, dim=-1).indices                       # [T, k]
    probs = logits.float().softmax(dim=-1)                       # [T, E]
    return RoutingResult(probs.gather(1, indices), indices, probs, logits)
