"""Reference for aux-free-bias: moe_core's update_expert_bias."""
from moe_core import update_expert_bias  # noqa: F401
