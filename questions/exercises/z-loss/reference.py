"""Reference for z-loss: moe_core's z_loss."""
from moe_core import z_loss  # noqa: F401
