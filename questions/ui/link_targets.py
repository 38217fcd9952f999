"""The ids a bank link may name, for the bank's link check (the app's warning and `python -m questions validate`):
exercise slugs from the catalog and sandbox preset ids."""
from __future__ import annotations

from questions.exercises.catalog import exercise_slugs
from sandbox.presets import PRESETS  # a table of settings: imports neither torch nor the simulation


def link_targets() -> tuple[list[str], list[str]]:
    """(exercise slugs, sandbox preset ids): what questions.bank.links.link_problems checks links against."""
    return exercise_slugs(), list(PRESETS)
