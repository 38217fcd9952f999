"""MoE Interview Lab entry point: page config, the sidebar (language, profile or login), navigation over every page."""
from __future__ import annotations

import streamlit as st

from questions.ui.i18n import t
from questions.ui.routes import DEFAULT_PAGE, PAGES
from questions.ui.sidebar import draw_sidebar


def main() -> None:
    st.set_page_config(page_title="MoE Interview Lab", page_icon="🧠", layout="wide")
    lang, profile = draw_sidebar()
    if profile is None:
        return  # no navigation until logged in: nobody reaches a profile that is not theirs
    st.navigation([st.Page(route.path, title=t(route.title_key, lang), icon=route.icon, url_path=route.url_path,
                           default=route is DEFAULT_PAGE) for route in PAGES]).run()


main()
