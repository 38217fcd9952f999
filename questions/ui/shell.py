"""The shell every page imports: language and profile (set by the sidebar), the cached bank and store, the time zone."""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from questions.bank.links import link_problems
from questions.bank.loader import BANK_DIR, BankLoadResult, bank_files, load_bank
from questions.languages import LANGUAGES
from questions.store import Store, StoreError, default_db_path
from questions.study.queues import topics_of
from questions.ui.accounts import DEFAULT_PROFILE
from questions.ui.i18n import t
from questions.ui.link_targets import link_targets

BANK_ENV = "MOE_LAB_BANK"  # a directory (or one file) replacing questions/bank/, used by tests and benchmarks
PROBLEMS_SHOWN = 50  # bank problems listed in the warning; the rest are counted


# ---- language and profile (set by app.py before the page runs) -----------------------------------------------------
def lang() -> str:
    """The UI / question language chosen in the sidebar ("en" or "zh")."""
    value = st.session_state.get("lang", "en")
    return value if value in LANGUAGES else "en"


def profile() -> str:
    """The current profile name (the logged-in user when [auth] is configured)."""
    return st.session_state.get("profile") or DEFAULT_PROFILE


def browser_zone() -> tzinfo:
    """The browser's time zone (st.context.timezone), UTC when unknown: "today" and calendar days are local days."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


# ---- the bank --------------------------------------------------------------------------------------------------------
def bank_path() -> Path:
    """Where the bank is read from: $MOE_LAB_BANK when set (the loader's default ignores it), else questions/bank/."""
    configured = os.environ.get(BANK_ENV, "").strip()
    return Path(configured) if configured else BANK_DIR


def bank_signature(path: Path) -> tuple:
    """(name, mtime, size) of every bank file, so an edited file invalidates the cache without a restart."""
    try:
        stats = [(p.name, p.stat()) for p in bank_files([path])]
        return tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
    except OSError:
        return ()


@st.cache_resource(show_spinner=False, max_entries=4)
def _cached_bank(path_text: str, signature: tuple) -> BankLoadResult:
    """One parsed bank per (path, file versions), shared by every session; pages only read it, never mutate it.
    Its problems include links to exercises or sandbox presets that do not exist."""
    result = load_bank(Path(path_text))
    result.problems += link_problems(result, *link_targets())
    return result


def bank_result() -> BankLoadResult:
    """The loaded bank (cached); no UI."""
    path = bank_path()
    return _cached_bank(str(path), bank_signature(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _index(path_text: str, signature: tuple) -> dict[str, Any]:
    """Look-ups derived from the bank once: questions by id, the sorted tag list, the topics in bank order."""
    result = _cached_bank(path_text, signature)
    by_id = result.by_id()
    tags = sorted({tag for question in result.questions for tag in question.tags})
    return {"by_id": by_id, "tags": tags, "topics": topics_of(result.questions)}


def bank_index() -> dict[str, Any]:
    """The cached look-ups of the bank: "by_id", "tags" (sorted), "topics" (bank order)."""
    path = bank_path()
    return _index(str(path), bank_signature(path))


def short_problem(problem: Any) -> str:
    """str(problem) with the repository prefix dropped: questions/bank/x.yaml:12: field: message."""
    root = str(BANK_DIR.parent.parent) + os.sep
    text = str(problem)
    return text[len(root):] if text.startswith(root) else text


def bank_problems_message(problems: Sequence[Any], language: str, shown: int = PROBLEMS_SHOWN) -> str:
    """The warning above every page when bank files are broken: a count, then one `file:line: field: message` each."""
    lines = "\n".join(f"- `{short_problem(problem)}`" for problem in problems[:shown])
    more = f"\n- … (+{len(problems) - shown})" if len(problems) > shown else ""
    return t("app.bank_problems", language, count=len(problems)) + "\n\n" + lines + more


def bank() -> list:
    """The bank's questions; draws a warning listing every problem (file:line: field: message) when files are broken."""
    result = bank_result()
    if result.problems:
        st.warning(bank_problems_message(result.problems, lang()), icon="⚠️")
    if not result.questions:
        st.info(t("app.bank_empty", lang()))
    return result.questions


def study_page(area: str) -> tuple[str, list, Store]:
    """The head every study page starts with: its title and introduction (`{area}.title`, `{area}.intro`), then the
    bank and the store; the page stops when the bank is empty or the store cannot be used. Returns (lang, questions,
    store)."""
    language = lang()
    st.title(t(f"{area}.title", language))
    st.caption(t(f"{area}.intro", language))
    questions = bank()
    if not questions:
        st.stop()
    return language, questions, store()


# ---- the progress store ----------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_store(path_text: str) -> Store:
    """One Store per database path, shared by every session (it keeps one SQLite connection per thread)."""
    return Store(Path(path_text))


def open_store() -> tuple[Optional[Store], Optional[str]]:
    """(Store, None) or (None, error message); never raises for an unreadable DB and never overwrites it."""
    try:
        return _cached_store(str(default_db_path())), None
    except (StoreError, OSError) as exc:  # OSError: the data folder cannot be created
        return None, str(exc)


def show_store_error(message: str) -> None:
    """The store's problem in an error box with what to do about it."""
    st.error(t("app.store_error", lang(), error=message) + "\n\n" + t("app.store_error_hint", lang()), icon="🛑")


def store() -> Store:
    """The cached Store for $MOE_LAB_DB / the user's data dir; on StoreError draws the error and stops the page."""
    opened, error = open_store()
    if opened is None:
        show_store_error(error)
        st.stop()
    return opened


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a StoreError raised mid-page (file damaged while the app runs) into the same clear error box."""
    try:
        yield
    except StoreError as exc:
        show_store_error(str(exc))
        st.stop()
