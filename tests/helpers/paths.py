"""Paths every test uses: the repository root, the app's entry script, the test copies of the seed notes."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
SEEDS = ROOT / "tests" / "questions" / "bank" / "seeds"  # copies of the seed notes, so the tests need nothing outside
