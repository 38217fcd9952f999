"""MoE Interview Lab entry point: page config, the sidebar (language, profile or login), navigation over every page."""
from __future__ import annotations

import streamlit as st

from questions.ui.i18n import t
from questions.ui.routes import DEFAULT_PAGE, PAGES, stale_params
from questions.ui.sidebar import draw_sidebar


def main() -> None:
    st.set_page_config(page_title="MoE Interview Lab", page_icon="🧠", layout="wide")
    lang, profile = draw_sidebar()
    if profile is None:
        return  # no navigation until logged in: nobody reaches a profile that is not theirs
    pages = {route.url_path: st.Page(route.path, title=t(route.title_key, lang), icon=route.icon,
                                     url_path=route.url_path, default=route is DEFAULT_PAGE) for route in PAGES}
    page = st.navigation(list(pages.values()))
    route = next(route for route in PAGES if pages[route.url_path] is page)
    for name in stale_params(route, list(st.query_params)):
        del st.query_params[name]  # a link's ?preset= must not follow the user to another page
    page.run()


main()
