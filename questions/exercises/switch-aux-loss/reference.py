"""Reference for switch-aux-loss: moe_core's switch_aux_loss."""
from moe_core import switch_aux_loss  # noqa: F401
