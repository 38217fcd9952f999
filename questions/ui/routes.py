"""The app's pages: one table of routes (file, URL path, title, icon, the link parameters it reads) and the query
parameters pages link with."""
from __future__ import annotations

from dataclasses import dataclass

QUESTION_PARAM = "q"         # the practice page opens the question named here first
EXERCISE_PARAM = "exercise"  # the exercises page opens the exercise (slug) named here
PRESET_PARAM = "preset"      # the sandbox page opens the preset named here
EXPERIMENT_PARAM = "experiment"  # the sandbox page opens the guided experiment named here
PROFILE_PARAM = "profile"    # the local profile, kept in the URL so a reload or a bookmark stays in it (every page)
LINK_PARAMS = (QUESTION_PARAM, EXERCISE_PARAM, PRESET_PARAM, EXPERIMENT_PARAM)


@dataclass(frozen=True)
class PageRoute:
    path: str         # the page script, relative to the repository root (st.Page and st.page_link take it)
    url_path: str     # /practice, /quiz, ...
    title_key: str    # the UI catalog key of its title
    icon: str
    params: tuple[str, ...] = ()  # the link parameters it reads; app.py drops the others (a stale ?preset=)


TODAY = PageRoute("questions/pages/today.py", "today", "app.nav_today", ":material/today:")
PRACTICE = PageRoute("questions/pages/practice.py", "practice", "app.nav_practice", ":material/style:",
                     (QUESTION_PARAM,))
QUIZ = PageRoute("questions/pages/quiz.py", "quiz", "app.nav_quiz", ":material/quiz:")
MOCK = PageRoute("questions/pages/mock.py", "mock", "app.nav_mock", ":material/record_voice_over:")
BROWSE = PageRoute("questions/pages/browse.py", "browse", "app.nav_browse", ":material/table_rows:")
PROGRESS = PageRoute("questions/pages/progress.py", "progress", "app.nav_progress", ":material/insights:")
EXERCISES = PageRoute("questions/pages/exercises.py", "exercises", "app.nav_exercises", ":material/code:",
                      (EXERCISE_PARAM,))
SANDBOX = PageRoute("sandbox/page.py", "sandbox", "app.nav_sandbox", ":material/science:",
                    (PRESET_PARAM, EXPERIMENT_PARAM))
PAGES: tuple[PageRoute, ...] = (TODAY, PRACTICE, QUIZ, MOCK, BROWSE, PROGRESS, EXERCISES, SANDBOX)  # navigation order
DEFAULT_PAGE = TODAY  # the landing page: what today holds, and one "Start"


def stale_params(route: PageRoute, present: list[str]) -> list[str]:
    """The link parameters among `present` that `route` does not read: left over from a link to another page."""
    return [name for name in present if name in LINK_PARAMS and name not in route.params]
