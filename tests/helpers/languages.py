"""A language the app does not have, and the error every check of a language gives for it."""
import re

from questions.languages import LANGUAGES

UNKNOWN_LANGUAGE = "fr"
UNKNOWN_LANGUAGE_ERROR = re.escape(f"lang ('{UNKNOWN_LANGUAGE}') must be one of {list(LANGUAGES)}")
