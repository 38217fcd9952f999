"""Reference for mixtral-checkpoint: moe_core.state_dict_from_hf (the per-expert w1 / w2 / w3 layout)."""
from moe_core import state_dict_from_hf


def grouped_from_mixtral(state_dict, prefix):
    return state_dict_from_hf(state_dict, prefix)
