"""Entry point of `python -m questions` (validate, stats, import, bench): tells the bank's CLI which exercises and
sandbox presets exist, so `validate` reports links to neither."""
import os
import sys

from .bank.cli import main
from .ui.link_targets import link_targets

try:
    sys.exit(main(link_targets=link_targets))
except BrokenPipeError:  # output piped into `head`: stop quietly, as other command line tools do
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
