"""Profiles and login as plain rules: new-name checks, the selector's order, named providers, the user's identity."""
from __future__ import annotations

from questions.ui.accounts import (
    DEFAULT_PROFILE, PROFILE_NAME_LIMIT, login_providers, profile_name_problem, profile_options, user_identity)
from questions.ui.i18n import t


def test_profile_names_must_be_given_and_short():
    assert profile_name_problem("", "en") == t("app.profile_name_empty", "en")
    assert profile_name_problem("x" * (PROFILE_NAME_LIMIT + 1), "zh") == t(
        "app.profile_name_too_long", "zh", limit=PROFILE_NAME_LIMIT)
    assert profile_name_problem("x" * PROFILE_NAME_LIMIT, "en") is None
    assert profile_name_problem("艾达", "zh") is None


def test_profile_options_put_the_default_first_then_names_alphabetically_once():
    assert profile_options(["bob", "Alice"], ["carol", "bob"]) == [DEFAULT_PROFILE, "Alice", "bob", "carol"]
    assert profile_options() == [DEFAULT_PROFILE]
    assert profile_options([DEFAULT_PROFILE, "a"]) == [DEFAULT_PROFILE, "a"]


def test_login_providers_are_the_named_sections_of_auth():
    single = {"client_id": "id", "redirect_uri": "http://localhost/oauth2callback"}
    assert login_providers(single) == []
    named = {"redirect_uri": "http://localhost/oauth2callback", "google": {"client_id": "g"},
             "microsoft": {"client_id": "m"}}
    assert login_providers(named) == ["google", "microsoft"]


def test_the_identity_is_the_email_else_the_subject():
    assert user_identity({"email": "ada@example.com", "sub": "123"}) == "ada@example.com"
    assert user_identity({"email": "", "sub": 123}) == "123"
    assert user_identity({"is_logged_in": True}) is None
