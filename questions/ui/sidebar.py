"""The app's sidebar: the language switch, then the local profile selector or, with [auth] in secrets, the login."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from questions.languages import LANGUAGE_NAMES, LANGUAGES
from questions.store import StoreError
from questions.ui import shell
from questions.ui.accounts import (
    DEFAULT_PROFILE, PROFILE_NAME_LIMIT, login_providers, profile_name_problem, profile_options, user_identity)
from questions.ui.i18n import initial_language, t
from questions.ui.routes import PROFILE_PARAM


def auth_settings() -> Optional[Mapping]:
    """The [auth] section of secrets.toml, or None when there is no secrets file or no [auth] in it."""
    try:
        if "auth" in st.secrets:
            return st.secrets["auth"]
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        pass
    return None


def language_switch() -> str:
    """The language selector; the choice is kept in the URL so a reload or a shared link opens in it."""
    if "lang_select" not in st.session_state:
        st.session_state["lang_select"] = initial_language(st.query_params.get("lang"), st.context.locale)
    chosen = st.sidebar.selectbox(t("app.language", st.session_state["lang_select"]), LANGUAGES, key="lang_select",
                                  format_func=LANGUAGE_NAMES.__getitem__)
    if st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen
    return chosen


def create_profile(lang: str) -> None:
    """on_click of "Create": runs before the selector is drawn, so the new profile can be selected at once."""
    name = st.session_state.get("new_profile_name", "").strip()
    if problem := profile_name_problem(name, lang):
        st.session_state["profile_message"] = ("warning", problem)
        return
    store, _error = shell.open_store()
    if store is not None:  # without a store the page shows the store problem; the profile lives in the session
        try:
            store.profiles.ensure(name)
        except StoreError as exc:
            st.session_state["profile_message"] = ("error", str(exc))
            return
    st.session_state["extra_profiles"] = sorted(set(st.session_state.get("extra_profiles", [])) | {name})
    st.session_state["profile_select"] = name
    st.session_state["new_profile_name"] = ""
    st.session_state["profile_message"] = ("success", t("app.profile_created", lang, name=name))


def stored_profiles() -> list[str]:
    """The profile names in the store; none when it cannot be read (the page draws that error, the sidebar works)."""
    store, _error = shell.open_store()
    if store is None:
        return []
    try:
        return store.profiles.names()
    except StoreError:
        return []


def local_profile_selector(lang: str) -> str:
    """The profile selector and the "New profile" form; returns the chosen profile."""
    if "profile_select" not in st.session_state:  # a new session (a reload): the profile named in the URL
        url_profile = (st.query_params.get(PROFILE_PARAM) or "").strip()
        if url_profile and profile_name_problem(url_profile, lang) is None:
            st.session_state["extra_profiles"] = sorted(set(st.session_state.get("extra_profiles", [])) | {url_profile})
            st.session_state["profile_select"] = url_profile
    options = profile_options(stored_profiles(), st.session_state.get("extra_profiles", []))
    if st.session_state.get("profile_select") not in options:
        st.session_state["profile_select"] = DEFAULT_PROFILE
    # index= the current profile, not the first option: under load a browser could send the selector's default back
    # as if chosen (the 20-session load moved sessions to "default" at their first grade, when another session's
    # new profile had changed the options), and that default must be the profile in use
    current_index = options.index(st.session_state["profile_select"])
    chosen = st.sidebar.selectbox(t("app.profile", lang), options, index=current_index, key="profile_select",
                                  help=t("app.profile_help", lang))
    if chosen == DEFAULT_PROFILE:
        st.query_params.pop(PROFILE_PARAM, None)
    elif st.query_params.get(PROFILE_PARAM) != chosen:
        st.query_params[PROFILE_PARAM] = chosen
    with st.sidebar.expander(t("app.new_profile", lang)):
        st.text_input(t("app.new_profile_name", lang), key="new_profile_name", max_chars=PROFILE_NAME_LIMIT)
        st.button(t("app.create_profile", lang), key="create_profile", on_click=create_profile, args=(lang,))
    if message := st.session_state.pop("profile_message", None):
        kind, text = message
        getattr(st.sidebar, kind)(text)
    return chosen


def draw_login(lang: str, auth: Mapping) -> None:
    """The login screen: one button per named provider, or one for the single provider [auth] configures."""
    st.title(t("app.title", lang))
    st.info(t("app.login_required", lang), icon=":material/lock:")
    providers = login_providers(auth)
    for provider in providers:
        if st.button(t("app.login_with", lang, provider=provider), key=f"login_{provider}", type="primary"):
            st.login(provider)
    if not providers and st.button(t("app.login", lang), key="login", type="primary"):
        st.login()


def logged_in_profile(lang: str, auth: Mapping) -> Optional[str]:
    """The logged-in user's email (or subject id) as the profile; None after drawing the login screen."""
    if not st.user.get("is_logged_in"):  # .get: st.user has no key at all before the first login round-trip
        draw_login(lang, auth)
        return None
    identity = user_identity(st.user)
    if identity is None:
        st.error(t("app.login_missing_identity", lang))
        return None
    st.sidebar.markdown(t("app.signed_in_as", lang, user=identity))
    if st.sidebar.button(t("app.logout", lang), key="logout"):
        st.logout()
    return identity


def draw_sidebar() -> tuple[str, Optional[str]]:
    """(language, profile) for the pages, kept in session state; the profile is None until the user logs in."""
    lang = language_switch()
    st.session_state["lang"] = lang
    auth = auth_settings()
    if auth is None:
        profile = local_profile_selector(lang)
    else:
        profile = logged_in_profile(lang, auth)
        st.session_state.pop("profile_select", None)
    st.session_state["profile"] = profile
    return lang, profile
