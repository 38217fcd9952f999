"""Reference for sequence-aux-loss: moe_core.sequence_aux_loss."""
from moe_core import sequence_aux_loss
