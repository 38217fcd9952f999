"""MoE Interview Lab entry point: sidebar (language, profile / login) and the navigation over every page."""
from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from questions.languages import LANGUAGE_NAMES, LANGUAGES
from questions.ui.i18n import t
from questions.ui.routes import DEFAULT_PAGE, PAGES
from questions.ui import shell as common

st.set_page_config(page_title="MoE Interview Lab", page_icon="🧠", layout="wide")


def initial_language() -> str:
    """?lang= in the URL wins (a shared link keeps its language), else the browser's locale."""
    from_url = st.query_params.get("lang")
    if from_url in LANGUAGES:
        return from_url
    return common.language_from_locale(st.context.locale)


def auth_settings() -> Mapping | None:
    """The [auth] section of secrets.toml, or None when there is no secrets file or no [auth] in it."""
    try:
        if "auth" in st.secrets:
            return st.secrets["auth"]
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        pass
    return None


def login_providers(auth: Mapping) -> list[str]:
    """Named providers ([auth.google], [auth.microsoft]); empty when [auth] itself holds one provider's settings."""
    return [name for name, value in auth.items() if isinstance(value, Mapping)]


def language_switch() -> str:
    if "lang_select" not in st.session_state:
        st.session_state["lang_select"] = initial_language()
    chosen = st.sidebar.selectbox(
        t("app.language", st.session_state.get("lang_select", "en")), LANGUAGES, key="lang_select", format_func=LANGUAGE_NAMES.__getitem__)
    # Kept in the URL so a reload or a shared link opens in the same language.
    if st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen
    return chosen


def _create_profile(lang: str) -> None:
    """on_click of "Create": runs before the selector is drawn, so the new profile can be selected at once."""
    name = st.session_state.get("new_profile_name", "").strip()
    if not name:
        st.session_state["profile_message"] = ("warning", t("app.profile_name_empty", lang))
        return
    if len(name) > common.PROFILE_NAME_LIMIT:
        st.session_state["profile_message"] = (
            "warning", t("app.profile_name_too_long", lang, limit=common.PROFILE_NAME_LIMIT))
        return
    store, error = common.open_store()
    if store is not None:
        try:
            store.ensure_profile(name)
        except Exception as exc:  # a StoreError; the page shows the store problem itself
            st.session_state["profile_message"] = ("error", str(exc))
            return
    st.session_state["extra_profiles"] = sorted(set(st.session_state.get("extra_profiles", [])) | {name})
    st.session_state["profile_select"] = name
    st.session_state["new_profile_name"] = ""
    st.session_state["profile_message"] = ("success", t("app.profile_created", lang, name=name))


def local_profile_selector(lang: str) -> str:
    store, _error = common.open_store()
    names = {common.DEFAULT_PROFILE, *st.session_state.get("extra_profiles", [])}
    if store is not None:
        try:
            names.update(store.profiles())
        except Exception:  # an unreadable DB: the page draws the StoreError; the sidebar keeps working
            pass
    options = sorted(names, key=lambda name: (name != common.DEFAULT_PROFILE, name.casefold()))
    if st.session_state.get("profile_select") not in options:
        st.session_state["profile_select"] = common.DEFAULT_PROFILE
    chosen = st.sidebar.selectbox(t("app.profile", lang), options, key="profile_select",
                                  help=t("app.profile_help", lang))
    with st.sidebar.expander(t("app.new_profile", lang)):
        st.text_input(t("app.new_profile_name", lang), key="new_profile_name", max_chars=common.PROFILE_NAME_LIMIT)
        st.button(t("app.create_profile", lang), key="create_profile", on_click=_create_profile, args=(lang,))
    message = st.session_state.pop("profile_message", None)
    if message:
        getattr(st.sidebar, message[0])(message[1])
    return chosen


def logged_in_profile(lang: str, auth: Mapping) -> str | None:
    """The logged-in user's email (or subject id) as the profile; None after drawing the login screen."""
    if st.user.get("is_logged_in"):  # .get: st.user has no key at all before the first login round-trip
        identity = st.user.get("email") or st.user.get("sub")
        if not identity:
            st.error(t("app.login_missing_identity", lang))
            return None
        st.sidebar.markdown(t("app.signed_in_as", lang, user=identity))
        if st.sidebar.button(t("app.logout", lang), key="logout"):
            st.logout()
        return str(identity)
    st.title(t("app.title", lang))
    st.info(t("app.login_required", lang), icon=":material/lock:")
    providers = login_providers(auth)
    if providers:
        for provider in providers:
            if st.button(t("app.login_with", lang, provider=provider), key=f"login_{provider}", type="primary"):
                st.login(provider)
    elif st.button(t("app.login", lang), key="login", type="primary"):
        st.login()
    return None


def pages(lang: str) -> list:
    """st.Page for every route, in navigation order."""
    return [st.Page(route.path, title=t(route.title_key, lang), icon=route.icon, url_path=route.url_path,
                    default=route is DEFAULT_PAGE) for route in PAGES]


def main() -> None:
    lang = language_switch()
    st.session_state["lang"] = lang
    auth = auth_settings()
    if auth is not None:
        profile = logged_in_profile(lang, auth)
        if profile is None:
            return  # no navigation until logged in: nobody reaches a profile that is not theirs
        st.session_state.pop("profile_select", None)
    else:
        profile = local_profile_selector(lang)
    st.session_state["profile"] = profile
    st.navigation(pages(lang)).run()


main()
