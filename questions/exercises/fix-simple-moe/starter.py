"""A widely shared SimpleMoE, verbatim. It runs, but it has bugs: fix them."""
import torch
import torch.nn as nn

class SimpleMoE(nn.Module):
    def __init__(self, input_dim, output_dim, num_experts, k=2):
        super().__init__()
        self.num_experts = num_experts
        self.k = k
        
        # 路由网络
        self.router = nn.Linear(input_dim, num_experts)
        
        # 专家网络
        self.experts = nn.ModuleList([
            nn.Sequential(
                nn.Linear(input_dim, input_dim // 2),
                nn.ReLU(),
                nn.Linear(input_dim // 2, output_dim)
            ) for _ in range(num_experts)
        ])
    
    def forward(self, x):
        # 计算路由权重
        router_logits = self.router(x)
        weights, indices = torch.topk(router_logits, self.k, dim=-1)
        weights = torch.softmax(weights, dim=-1)
        
        # 初始化输出
        output = torch.zeros_like(x[..., :self.experts[0][-1].out_features])
        
        # 处理每个专家
        for expert_idx in range(self.num_experts):
            # 找到需要该专家的样本
            expert_mask = (indices == expert_idx).any(dim=-1)
            if expert_mask.any():
                expert_input = x[expert_mask]
                expert_output = self.experts[expert_idx](expert_input)
                
                # 加权组合
                for k_idx in range(self.k):
                    k_mask = (indices[expert_mask][:, k_idx] == expert_idx)
                    if k_mask.any():
                        output[expert_mask][k_mask] += (
                            expert_output[k_mask] * 
                            weights[expert_mask][k_mask, k_idx].unsqueeze(-1)
                        )
        
        return output
