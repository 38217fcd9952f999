"""The app's pages: one table of routes (file, URL path, title, icon) and the query parameters pages link with."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageRoute:
    path: str         # the page script, relative to the repository root (st.Page and st.page_link take it)
    url_path: str     # /practice, /quiz, ...
    title_key: str    # the UI catalog key of its title
    icon: str


PRACTICE = PageRoute("questions/pages/practice.py", "practice", "app.nav_practice", ":material/style:")
QUIZ = PageRoute("questions/pages/quiz.py", "quiz", "app.nav_quiz", ":material/quiz:")
MOCK = PageRoute("questions/pages/mock.py", "mock", "app.nav_mock", ":material/record_voice_over:")
PROGRESS = PageRoute("questions/pages/progress.py", "progress", "app.nav_progress", ":material/insights:")
EXERCISES = PageRoute("questions/pages/exercises.py", "exercises", "app.nav_exercises", ":material/code:")
SANDBOX = PageRoute("sandbox/page.py", "sandbox", "app.nav_sandbox", ":material/science:")
PAGES: tuple[PageRoute, ...] = (PRACTICE, QUIZ, MOCK, PROGRESS, EXERCISES, SANDBOX)  # navigation order
DEFAULT_PAGE = PRACTICE

QUESTION_PARAM = "q"         # the practice page opens the question named here first
EXERCISE_PARAM = "exercise"  # the exercises page opens the exercise (slug) named here
PRESET_PARAM = "preset"      # the sandbox page opens the preset named here
PROFILE_PARAM = "profile"    # the local profile, kept in the URL so a reload or a bookmark stays in it
