"""The one AppTest factory (app.py with language, locale and time zone preset), a run that fails on page errors, and a
reader of visible text."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.helpers.paths import APP

TIMEOUT = 120  # the first run imports plotly / pandas (and torch on the sandbox page): far more than AppTest's 3 s


def app_test(lang: str | None = None, locale: str = "en-US", timeout: float = TIMEOUT, page: str | None = None,
             **query) -> AppTest:
    """AppTest of app.py; lang goes to ?lang=, other query parameters (page links such as q=, preset=) as given;
    `page` (a route's path) is the page the first run opens instead of the landing page: before the first run
    AppTest finds a page by its file name, so this works for pages whose URL path is their file name (not the
    sandbox's page.py; switch to it after a first run)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if page:
        at.switch_page(page)
    at.context = {"locale": locale, "timezone": "UTC"}
    if lang:
        at.query_params["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    return at


def run_ok(target) -> AppTest:
    """Run the app (an AppTest, or a widget after an interaction) and fail on any exception in the page."""
    at = target.run()
    assert not at.exception, [exception.value for exception in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Every visible text of a run, joined: markdown, captions, titles, alerts, widget labels, button labels."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    for kind in ("button", "checkbox", "toggle", "text_area", "text_input", "selectbox", "multiselect"):
        parts.extend(str(widget.label) for widget in getattr(at, kind))
    return "\n".join(parts)


def open_link(page: str, lang: str | None = "en", **params) -> AppTest:
    """A page opened by a link carrying `params`, as a browser opens /sandbox?preset=...: the app runs first (the
    landing page, which drops link parameters it does not read), then the link's parameters are set and the page
    opens; fails on a page error."""
    at = app_test(lang=lang)
    at.run()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(page)
    return run_ok(at)
