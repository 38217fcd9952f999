"""`python -m questions.exercises`: the exercises' command line."""
import sys

from .cli import main

sys.exit(main())
