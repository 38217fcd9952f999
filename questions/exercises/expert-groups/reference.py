"""Reference for expert-groups: moe_core's create_expert_groups."""
from moe_core import create_expert_groups  # noqa: F401
