"""The UI catalogs: both languages define the same keys, no text is empty, placeholders match, t() formats; the
language a browser gets."""
from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml

from questions.ui.i18n import LANGUAGES, LOCALES_DIR, catalog, initial_language, language_from_locale, t

from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_locale_files_exist_in_both_languages():
    files = {lang: sorted(path.name for path in (LOCALES_DIR / lang).glob("*.yaml")) for lang in LANGUAGES}
    assert files["en"], "no English catalog"
    assert files["en"] == files["zh"]


@pytest.mark.parametrize("name", sorted(path.name for path in (LOCALES_DIR / "en").glob("*.yaml")))
def test_each_area_has_the_same_keys_in_both_languages(name):
    area = Path(name).stem
    entries = {lang: yaml.safe_load((LOCALES_DIR / lang / name).read_text(encoding="utf-8")) or {}
               for lang in LANGUAGES}
    assert set(entries["en"]) == set(entries["zh"]), set(entries["en"]) ^ set(entries["zh"])
    for key in entries["en"]:
        assert str(key).startswith(f"{area}."), f"{name}: key {key!r} must be namespaced '{area}.'"


def test_catalogs_match_and_no_text_is_empty():
    english, chinese = catalog("en"), catalog("zh")
    assert set(english) == set(chinese)
    for key in english:
        assert english[key].strip(), f"en {key} is empty"
        assert chinese[key].strip(), f"zh {key} is empty"
        assert _placeholders(english[key]) == _placeholders(chinese[key]), key


def test_t_formats_and_shows_missing_keys():
    assert t("practice.saved", "en", rating="Good", interval="3d") == "Saved “Good”: next review in 3d."
    assert t("practice.show_answer", "zh") == "显示答案"
    assert t("no.such.key", "zh") == "no.such.key"
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR):
        catalog(UNKNOWN_LANGUAGE)


def test_language_from_the_browser_locale():
    assert language_from_locale("zh-Hans-CN") == "zh"
    assert language_from_locale("de-DE") == "en" and language_from_locale(None) == "en"


def test_the_url_language_wins_over_the_locale_when_it_is_one_of_ours():
    assert initial_language("en", "zh-CN") == "en"
    assert initial_language(None, "zh-CN") == "zh"
    assert initial_language("fr", "en-US") == "en"
