"""Named sandbox settings from the papers and model cards, each with a one-line description in both languages."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    id: str
    description: dict                            # {"en": ..., "zh": ...}: one line
    settings: dict                               # simulate() arguments overriding the defaults (sandbox.settings)
    train: dict = field(default_factory=dict)    # train() settings overriding the defaults


PRESETS: dict[str, Preset] = {preset.id: preset for preset in (
    Preset("switch-top1",
           {"en": "Switch Transformer: top-1 routing, capacity factor 1.25; overflow tokens skip the layer through the "
                  "residual.",
            "zh": "Switch Transformer：top-1 路由，容量因子 1.25；溢出的 token 经残差连接跳过该层。"},
           dict(router="switch", top_k=1, capacity_factor=1.25, num_experts=8, ep_size=4)),
    Preset("gshard-top2",
           {"en": "GShard: top-2 with capacity 2T/E per expert (capacity factor 1.0 in our ceil(cf·k·T/E)); GShard's "
                  "random second expert is not in moe_core, so the second expert here is the deterministic top-2.",
            "zh": "GShard：top-2，每个专家容量 2T/E（即本项目 ceil(cf·k·T/E) 中的容量因子 1.0）；moe_core 未实现 GShard "
                  "的随机第二专家，这里第二专家是确定性的 top-2。"},
           dict(router="topk_softmax", top_k=2, capacity_factor=1.0, num_experts=32, ep_size=8)),
    Preset("mixtral-8x7b",
           {"en": "Mixtral 8x7B: 8 experts, top-2 softmax renormalised over the two, no token dropping (dropless).",
            "zh": "Mixtral 8x7B：8 个专家，top-2 softmax 并在两个之间重新归一化，不丢弃 token（dropless）。"},
           dict(router="topk_softmax", top_k=2, capacity_factor=None, num_experts=8, ep_size=2)),
    Preset("deepseek-v3",
           {"en": "DeepSeek-V3: 256 routed experts, top-8, sigmoid scores with a selection bias, 8 groups of which 4 "
                  "are kept, weights x 2.5, dropless; with 8 ranks (one group each) a token reaches at most 4 ranks.",
            "zh": "DeepSeek-V3：256 个路由专家，top-8，sigmoid 打分加选择偏置，8 组中选 4 组，权重乘 2.5，不丢 token；"
                  "8 个 rank（每个一组）时每个 token 最多发往 4 个 rank。"},
           dict(router="sigmoid_group_limited", num_experts=256, top_k=8, num_groups=8, topk_groups=4,
                routed_scaling_factor=2.5, capacity_factor=None, ep_size=8, num_tokens=4096)),
    Preset("uneven-grouping",
           {"en": "Experts grouped with a remainder (as some interview notes do it): 10 experts on 4 ranks -> 3, 3, 2, "
                  "2 experts; the first ranks carry more load.",
            "zh": "按余数分组专家（一些面试笔记的做法）：10 个专家分到 4 个 rank -> 3、3、2、2；前面的 rank "
                  "负载更重。"},
           dict(num_experts=10, ep_size=4, top_k=2, capacity_factor=1.25)),
    Preset("collapse-no-balance",
           {"en": "Collapse without a balance loss: skewed input and a hot expert; train it with no balancing, then "
                  "with the aux loss or the aux-loss-free bias.",
            "zh": "没有均衡损失时的塌缩：输入有偏且有一个热点专家；先不做均衡训练，再对比辅助损失或无辅助损失偏置。"},
           dict(skew="hot-expert", hot_bias=3.0, capacity_factor=1.25, num_experts=8, top_k=2),
           dict(balances=["none", "aux", "bias"], hot_bias=2.0, zipf_exponent=1.2, aux_coef=1e-1)),
)}
