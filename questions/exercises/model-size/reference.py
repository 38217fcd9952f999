"""Reference for model-size: moe_core.model_size."""
from dataclasses import asdict

import moe_core


def model_size(config):
    return asdict(moe_core.model_size(config))
