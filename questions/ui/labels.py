"""How pages name things: topics, difficulties, ratings, sources, interval units, elapsed and saved times, in the UI
language."""
from __future__ import annotations

import re
from datetime import timezone
from typing import Any

from questions.bank.seeds import seed_title
from questions.store.values import read_time
from questions.study.scheduler import INTERVAL_UNITS
from questions.ui.i18n import t

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|$<>~:])")


def markdown_literal(text: str) -> str:
    """`text` escaped so that st.markdown shows it as typed: no emphasis, links, math or :colour[] directives."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def topic_label(topic: str, language: str) -> str:
    """The topic's name in `language`; a topic the catalog does not know shows its id."""
    key = f"app.topic.{topic}"
    label = t(key, language)
    return topic if label == key else label


def topic_or_all_label(topic: str | None, language: str) -> str:
    """topic_label, or "All topics" for no topic (the selectors' and the histories' "all" entry)."""
    return topic_label(topic, language) if topic else t("app.topic_all", language)


def difficulty_label(difficulty: int, language: str) -> str:
    """1 -> "easy", 2 -> "medium", 3 -> "hard" (in `language`)."""
    return t(f"app.difficulty_{int(difficulty)}", language)


def rating_label(rating: int, language: str) -> str:
    """1-4 (or an fsrs.Rating) -> "Again", "Hard", "Good", "Easy" (in `language`)."""
    return t(f"app.rating_{int(rating)}", language)


def verdict_label(verdict: str, language: str) -> str:
    """A run's verdict ("timeout", "syntax-error", ...) in words; an unknown one as it is."""
    label = t(f"exercises.verdict.{verdict}", language)
    return verdict if label == f"exercises.verdict.{verdict}" else label


def interval_units(language: str) -> dict[str, str]:
    """The suffix of each interval unit in `language` ("day" -> "d" / "天"), for study.scheduler.format_interval."""
    return {unit: t(f"practice.interval_{unit}", language) for unit in INTERVAL_UNITS}


def format_source(source: Any, language: str) -> str:
    """One source as a line: "Fedus et al. 2021, Switch Transformers (Sec. 2.2)" or, for a source note, its title
    ("MoE parallelism interview questions (zh), Q4"): users never see the notes' file names."""
    get = source.get if isinstance(source, dict) else (lambda name: getattr(source, name, None))
    parts = []
    if get("paper"):
        parts.append(str(get("paper")))
    if get("seed"):
        parts.append(seed_title(get("seed"), language))
    text = ", ".join(parts)
    if get("ref"):
        text += f", {get('ref')}" if get("seed") and not get("paper") else f" ({get('ref')})"
    if get("url"):
        text = f"[{text}]({get('url')})"
    return text


def format_elapsed(seconds: float) -> str:
    """12 -> "0:12", 754 -> "12:34" (minutes:seconds; negative counts as 0)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def format_taken_at(stored: str) -> str:
    """A stored UTC ISO time as the histories show it: "2026-03-01 12:00" (UTC)."""
    return read_time(stored).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def exercise_status_columns(rows: list[dict], language: str) -> dict[str, list]:
    """The exercises' status table (rows of `questions.exercises.status.status_rows`) as columns, headers and states
    in `language`."""
    return {t("progress.exercise_title", language): [row["title"] for row in rows],
            t("progress.exercise_state", language): [t(f"progress.exercise_{row['state']}", language) for row in rows],
            t("progress.exercise_best", language): [row["best"] for row in rows],
            t("progress.exercise_attempts", language): [row["attempts"] for row in rows]}
