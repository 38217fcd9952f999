"""A correct mixtral-checkpoint solution written without moe_core; wrong.yaml breaks it in plausible ways."""
import re

import torch

EXPERT_KEY = re.compile(r"experts\.(\d+)\.(w1|w2|w3)\.weight")


def grouped_from_mixtral(state_dict, prefix):
    prefix = prefix + "."
    entries = {key[len(prefix):]: value for key, value in state_dict.items() if key.startswith(prefix)}
    if "gate.weight" not in entries:
        raise ValueError(f"{prefix}gate.weight is missing")
    router = entries.pop("gate.weight")
    found = {"w1": {}, "w2": {}, "w3": {}}
    for key, value in entries.items():
        match = EXPERT_KEY.fullmatch(key)
        if match is None:
            raise ValueError(f"unknown key {prefix}{key}")
        found[match.group(2)][int(match.group(1))] = value
    num_experts = router.shape[0]
    stacked = {}
    for name, by_index in found.items():
        missing = [i for i in range(num_experts) if i not in by_index]
        if missing:
            raise ValueError(f"{prefix}experts.{{i}}.{name}.weight missing for i in {missing}")
        stacked[name] = torch.stack([by_index[i].T for i in range(num_experts)])
    return {"router.weight": router.clone(), "experts.w1": stacked["w1"].contiguous().clone(),
            "experts.w3": stacked["w3"].contiguous().clone(), "experts.w2": stacked["w2"].contiguous().clone()}
