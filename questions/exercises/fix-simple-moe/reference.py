"""Reference for fix-simple-moe: the original module structure, routed and combined with moe_core."""
import torch
import torch.nn as nn

import moe_core


class SimpleMoE(nn.Module):
    def __init__(self, input_dim, output_dim, num_experts, k=2):
        super().__init__()
        self.num_experts = num_experts
        self.k = k
        self.router = nn.Linear(input_dim, num_experts)
        self.experts = nn.ModuleList([
            nn.Sequential(nn.Linear(input_dim, input_dim // 2), nn.ReLU(), nn.Linear(input_dim // 2, output_dim))
            for _ in range(num_experts)
        ])

    def forward(self, x):
        tokens = x.reshape(-1, x.shape[-1])                                   # [T, d_in]
        routing = moe_core.topk_softmax(self.router(tokens), self.k)          # softmax over the top-k logits
        x_sorted, token_index, slot_index, tokens_per_expert = moe_core.permute(
            tokens, routing.indices, num_experts=self.num_experts)
        chunks = x_sorted.split(tokens_per_expert.tolist())                   # one contiguous block per expert
        y_sorted = torch.cat([expert(chunk) for expert, chunk in zip(self.experts, chunks)])
        out = moe_core.unpermute(y_sorted, token_index, routing.weights.reshape(-1)[slot_index], tokens.shape[0])
        return out.reshape(*x.shape[:-1], out.shape[-1])
