"""Reference for expert-choice: moe_core.expert_choice, read back per expert as [E, C] gates and token ids."""
import torch

import moe_core


def expert_choice_routing(scores, capacity):
    if not 1 <= capacity <= scores.shape[0]:  # moe_core checks too; this keeps the exercise's message
        raise ValueError(f"capacity ({capacity}) must be in [1, T = {scores.shape[0]}]")
    # moe_core takes logits and applies a softmax over experts; log(scores) gives back the scores when rows sum to 1,
    # and the order of tokens per expert depends only on the scores, so we take the choice from moe_core ...
    routing = moe_core.expert_choice(scores.clamp_min(1e-30).log(), capacity)
    valid = routing.valid.t()                                     # [E, T]: which tokens each expert took
    chosen = valid.nonzero()[:, 1].view(scores.shape[1], capacity)  # [E, C] token ids, ascending
    gates = scores.t().gather(1, chosen)                          # ... and the gates from the caller's scores
    order = gates.argsort(dim=1, descending=True, stable=True)    # highest score first
    return gates.gather(1, order), chosen.gather(1, order)
