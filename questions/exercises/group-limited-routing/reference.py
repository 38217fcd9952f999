"""Reference for group-limited-routing: moe_core.sigmoid_group_limited, fed logit(scores) so that its sigmoid gives
back the scores."""
import torch

import moe_core


def group_limited_topk(scores, bias, k, num_groups, topk_groups):
    if topk_groups > num_groups:
        raise ValueError(f"topk_groups ({topk_groups}) must be <= num_groups ({num_groups})")
    routing = moe_core.sigmoid_group_limited(torch.logit(scores.float(), eps=1e-7), bias.float(), k, num_groups,
                                             topk_groups)
    return routing.weights, routing.indices
