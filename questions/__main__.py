"""Entry point of `python -m questions` (validate, stats, import, bench)."""
import os
import sys

from .bank.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # output piped into `head`: stop quietly, as other command line tools do
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
