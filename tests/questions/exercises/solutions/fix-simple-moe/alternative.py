"""A correct fix-simple-moe solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import torch
import torch.nn as nn


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
        flat = x.reshape(-1, x.shape[-1])
        weights, indices = torch.topk(self.router(flat), self.k, dim=-1)
        weights = torch.softmax(weights, dim=-1)
        output = flat.new_zeros(flat.shape[0], self.experts[0][-1].out_features)
        for expert_idx in range(self.num_experts):
            token_ids, slot = torch.where(indices == expert_idx)
            if token_ids.numel():
                expert_output = self.experts[expert_idx](flat[token_ids])
                output = output.index_add(0, token_ids, expert_output * weights[token_ids, slot, None])
        return output.reshape(*x.shape[:-1], -1)
