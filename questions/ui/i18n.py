"""UI text in English and Chinese: one catalog per language, merged from questions/ui/locales/<lang>/*.yaml."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from questions.languages import LANGUAGES, check_language

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """All UI strings of one language; keys are namespaced by area ("practice.show_answer")."""
    check_language(lang)
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(entries, dict):
            raise ValueError(f"{path}: a locale file must be a mapping of key: text")
        for key, text in entries.items():
            if key in merged:
                raise ValueError(f"{path}: key {key!r} is defined twice in the {lang} catalog")
            merged[str(key)] = str(text)
    return merged


def t(key: str, lang: str = "en", **fmt) -> str:
    """The text for `key` in `lang`, formatted with `fmt`; a missing key shows itself so it is easy to spot."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog("en").get(key, key)
    return text.format(**fmt) if fmt else text


def language_from_locale(locale: Optional[str]) -> str:
    """The app language for a browser locale such as "zh-CN" or "en-US": Chinese for zh*, else English."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"


def initial_language(from_url: Optional[str], locale: Optional[str]) -> str:
    """?lang= in the URL wins (a shared link keeps its language), else the browser's locale."""
    return from_url if from_url in LANGUAGES else language_from_locale(locale)
