"""The languages of the app, the bank and the exercises: one list, read by everything that names a language."""
LANGUAGES: tuple[str, ...] = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
