"""The one list of languages and its check."""
import subprocess
import sys

import pytest

from questions.languages import LANGUAGE_NAMES, LANGUAGES, check_language

from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR
from tests.helpers.paths import ROOT


def test_every_language_has_a_name():
    assert LANGUAGES == ("en", "zh") and set(LANGUAGE_NAMES) == set(LANGUAGES)


def test_check_language_accepts_the_languages_and_names_the_parameter():
    assert [check_language(lang) for lang in LANGUAGES] == list(LANGUAGES)
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR) as caught:
        check_language(UNKNOWN_LANGUAGE)
    assert str(caught.value) == "lang ('fr') must be one of ['en', 'zh']"
    with pytest.raises(ValueError, match=r"language \(None\) must be one of \['en', 'zh'\]"):
        check_language(None, "language")
    with pytest.raises(ValueError, match=r"lang \(\['en'\]\) must be one of"):
        check_language(["en"])


def test_the_language_list_imports_no_torch():
    # every part of the app reads this module; moe_core's checks it uses must not pull in torch (seconds)
    done = subprocess.run([sys.executable, "-c", "import questions.languages, sys; assert 'torch' not in sys.modules"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
