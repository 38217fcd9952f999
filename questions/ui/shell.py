"""Shared helpers for every page: language, profile, the cached bank and store, and small pure helpers pages test."""
from __future__ import annotations

import os
import random
from contextlib import contextmanager
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from questions.languages import LANGUAGES
from questions.ui.i18n import t
from questions.bank.loader import BANK_DIR, BankLoadResult, bank_files, load_bank
from questions.study.progress import local_text  # noqa: F401 - pages use it as common.local_text
from questions.store.db import Store, StoreError, default_db_path

BANK_ENV = "MOE_LAB_BANK"  # a directory (or one file) replacing questions/bank/, used by tests and benchmarks
DEFAULT_PROFILE = "default"
PROFILE_NAME_LIMIT = 60



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


def language_from_locale(locale: Optional[str]) -> str:
    """The app language for a browser locale such as "zh-CN" or "en-US": Chinese for zh*, else English."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"


# ---- the bank ---------------------------------------------------------------------------------------------------------
def bank_path() -> Path:
    """Where the bank is read from: $MOE_LAB_BANK when set (the loader's own default ignores it), else questions/bank/."""
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
    """One parsed bank per (path, file versions), shared by every session; pages only read it, never mutate it."""
    return load_bank(Path(path_text))


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
    topics = list(dict.fromkeys(question.topic for question in result.questions))
    return {"by_id": by_id, "tags": tags, "topics": topics}


def bank_index() -> dict[str, Any]:
    path = bank_path()
    return _index(str(path), bank_signature(path))


def _short_problem(problem) -> str:
    """str(problem) with the repository prefix dropped: questions/bank/x.yaml:12: field: message."""
    root = str(BANK_DIR.parent.parent) + os.sep
    text = str(problem)
    return text[len(root):] if text.startswith(root) else text


def bank() -> list:
    """The bank's questions; draws a warning listing every problem (file:line: field: message) when files are broken."""
    result = bank_result()
    if result.problems:
        shown = result.problems[:50]
        lines = "\n".join(f"- `{_short_problem(problem)}`" for problem in shown)
        more = f"\n- … (+{len(result.problems) - len(shown)})" if len(result.problems) > len(shown) else ""
        st.warning(t("app.bank_problems", lang(), count=len(result.problems)) + "\n\n" + lines + more, icon="⚠️")
    if not result.questions:
        st.info(t("app.bank_empty", lang()))
    return result.questions


# ---- the progress store -----------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=8)
def _cached_store(path_text: str) -> Store:
    """One Store per database path, shared by every session (it keeps one SQLite connection per thread)."""
    return Store(Path(path_text))


def open_store():
    """(Store, None) or (None, error message); never raises for an unreadable DB and never overwrites it."""
    try:
        return _cached_store(str(default_db_path())), None
    except (StoreError, OSError) as exc:  # OSError: the data folder cannot be created
        return None, str(exc)


def show_store_error(message: str) -> None:
    st.error(t("app.store_error", lang(), error=message) + "\n\n" + t("app.store_error_hint", lang()), icon="🛑")


def store():
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


# ---- pure helpers (no Streamlit calls; unit-testable) -----------------------------------------------------------------
def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def topic_label(topic: str, language: str) -> str:
    label = t(f"app.topic.{topic}", language)
    return topic if label == f"app.topic.{topic}" else label


def difficulty_label(difficulty: int, language: str) -> str:
    return t(f"app.difficulty_{int(difficulty)}", language)


def rating_label(rating: int, language: str) -> str:
    return t(f"app.rating_{int(rating)}", language)


def format_source(source: Any, language: str) -> str:
    """One source as a line: "Fedus et al. 2021, Switch Transformers (Sec. 2.2)" or "seed 001_... (Q4)"."""
    get = source.get if isinstance(source, dict) else (lambda name: getattr(source, name, None))
    parts = []
    if get("paper"):
        parts.append(str(get("paper")))
    if get("seed"):
        parts.append(t("practice.source_seed", language, seed=get("seed")))
    text = ", ".join(parts)
    if get("ref"):
        text += f" ({get('ref')})"
    if get("url"):
        text = f"[{text}]({get('url')})"
    return text


def practice_queue(queue: str, filtered_ids: Sequence[str], due_ids: Sequence[str], seen_ids: Iterable[str],
                   bookmarked: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """The question ids of one practice queue, in the order they are shown.
    due: due cards (the store's order) among the filtered; new: filtered never reviewed; bookmarked; all."""
    allowed = set(filtered_ids)
    excluded = set(exclude)
    if queue == "due":
        ids = [qid for qid in due_ids if qid in allowed]
    elif queue == "new":
        seen = set(seen_ids)
        ids = [qid for qid in filtered_ids if qid not in seen]
    elif queue == "bookmarked":
        marks = set(bookmarked)
        ids = [qid for qid in filtered_ids if qid in marks]
    elif queue == "all":
        ids = list(filtered_ids)
    else:
        raise ValueError(f"queue ({queue!r}) must be one of 'due', 'new', 'bookmarked', 'all'")
    return [qid for qid in ids if qid not in excluded]


def choice_is_correct(correct_indices: Iterable[int], selected: Iterable[int]) -> bool:
    """A choice question is right when exactly the correct options are selected."""
    return set(correct_indices) == set(selected)


def draw_mock_questions(questions: Sequence[Any], count: int, topics: Optional[Iterable[str]] = None,
                        rng: Optional[random.Random] = None) -> list[str]:
    """`count` open question ids spread across topics: shuffle each topic, then take one per topic in turn."""
    rng = rng or random.Random()
    wanted = set(topics or ())
    by_topic: dict[str, list[str]] = {}
    for question in questions:
        if question.type != "open" or (wanted and question.topic not in wanted):
            continue
        by_topic.setdefault(question.topic, []).append(question.id)
    pools = list(by_topic.values())
    for pool in pools:
        rng.shuffle(pool)
    rng.shuffle(pools)
    drawn: list[str] = []
    while len(drawn) < count and any(pools):
        for pool in pools:
            if pool and len(drawn) < count:
                drawn.append(pool.pop())
    return drawn


def format_elapsed(seconds: float) -> str:
    """12 -> "0:12", 754 -> "12:34"."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
