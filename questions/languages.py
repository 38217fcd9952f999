"""The languages of the app, the bank and the exercises: one list, read by everything that names a language."""
from moe_core.checks import check_choice  # the project's argument checks; this module of moe_core imports no torch

LANGUAGES: tuple[str, ...] = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def check_language(lang, name: str = "lang") -> str:
    """`lang` must be one of LANGUAGES: "lang ('fr') must be one of ['en', 'zh']"."""
    return check_choice(name, lang, LANGUAGES)
