"""A small study group at once (4 Chromium sessions, one server): no exception shown, every grade saved exactly once
in its own profile, quizzes and exercise runs saved, memory bounded. The 20-session run is
`python -m tests.load.study_group` (its figures are in the README)."""
import asyncio

from tests.helpers.server import streamlit_app
from tests.load.study_group import report, run_group


def test_four_sessions_at_once_keep_every_grade_in_its_own_profile(tmp_path):
    with streamlit_app(tmp_path) as server:
        result = asyncio.run(run_group(server, sessions=4, cards=4))
    print(report(result, 0))
    assert result.problems == []
    assert all(len(session.graded) == 4 and session.quizzes == 1 and session.exercise_runs == 1
               for session in result.sessions)
