"""Paths every test uses: the repository root and the app's entry script."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
