"""Entry point of `python -m questions` (validate, stats, import, bench)."""
import sys

from .cli import main

sys.exit(main())
