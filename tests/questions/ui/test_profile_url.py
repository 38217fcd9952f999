"""The local profile is kept in the URL (?profile=), so a reload, which starts a new session, stays in it."""
from tests.helpers.apptest import run_ok


def test_choosing_a_profile_puts_it_in_the_url_and_the_default_leaves_none(make_app, db_path):
    at = run_ok(make_app())
    assert "profile" not in at.query_params
    at.sidebar.text_input(key="new_profile_name").input("ada")
    at = run_ok(at.sidebar.button(key="create_profile").click())
    assert at.query_params["profile"] == ["ada"] or at.query_params["profile"] == "ada"


def test_a_new_session_opens_in_the_profile_named_in_the_url(make_app, db_path):
    at = run_ok(make_app(profile="grace"))
    assert at.sidebar.selectbox(key="profile_select").value == "grace"
    assert at.session_state["profile"] == "grace"


def test_a_bad_profile_name_in_the_url_falls_back_to_the_default(make_app, db_path):
    at = run_ok(make_app(profile="x" * 500))
    assert at.session_state["profile"] != "x" * 500
