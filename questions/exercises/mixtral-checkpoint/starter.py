"""Mixtral checkpoint (per-expert w1 / w2 / w3, [out, in]) to stacked weights for x @ w."""
import torch


def grouped_from_mixtral(state_dict: dict[str, torch.Tensor],
                         prefix: str) -> dict[str, torch.Tensor]:
    """{prefix}.gate.weight and {prefix}.experts.{i}.w1/w2/w3.weight ->
    {"router.weight" [E, d], "experts.w1" [E, d, ff], "experts.w3" [E, d, ff],
     "experts.w2" [E, ff, d]}."""
    raise NotImplementedError
