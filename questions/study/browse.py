"""The card browser: one row per bank question with the profile's schedule, bookmark and note; filters, a literal search
whose hits are marked in a snippet, and the sorts (due date, difficulty, lapses)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, Optional, Sequence

from fsrs import Card

from questions.bank.loader import filter_questions
from questions.bank.schema import Question
from questions.bank.titles import clip
from questions.languages import LANGUAGES

SORTS = ("bank", "due", "difficulty", "lapses")
SNIPPET_CHARS = 60  # characters shown on each side of a search hit
PROMPT_CHARS = 110  # characters of the prompt shown in the table
MARKUP_RE = re.compile(r"\*\*|__|`|^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)  # bold, code, list markers: not in snippets


@dataclass(frozen=True)
class BrowseFilters:
    """What the browser's filter row selects; empty means no constraint. `search` is literal, both languages."""
    topics: Sequence[str] = ()
    types: Sequence[str] = ()
    difficulties: Sequence[int] = ()
    bookmarked_only: bool = False
    search: str = ""


def marked_snippet(text: str, needle: str, mark: Callable[[str], str], width: int = SNIPPET_CHARS) -> Optional[str]:
    """The words around the first case-insensitive occurrence of `needle` (literal) in `text`, on one line, with each
    occurrence inside wrapped by `mark`; None when `needle` is not in `text`."""
    wanted = " ".join(needle.split())
    if not wanted:
        return None
    pattern = re.compile(re.escape(wanted), re.IGNORECASE)
    flat = " ".join(text.split())
    first = pattern.search(flat)
    if first is None:
        return None
    begin, end = max(0, first.start() - width), min(len(flat), first.end() + width)
    body = pattern.sub(lambda hit: mark(hit.group()), flat[begin:end])
    return ("…" if begin else "") + body + ("…" if end < len(flat) else "")


def search_snippet(question: Question, needle: str, lang: str, mark: Callable[[str], str]) -> Optional[str]:
    """The hit in the question's prompt, answer or tags, in `lang` first, else the other language."""
    for one in (lang, *[other for other in LANGUAGES if other != lang]):
        for text in (question.text("prompt", one), question.text("answer", one), " ".join(question.tags)):
            if (snippet := marked_snippet(MARKUP_RE.sub("", text), needle, mark)) is not None:
                return snippet
    return None


def _sort_key(sort: str) -> Callable[[dict], tuple]:
    if sort == "due":  # soonest first; never-seen cards last, in bank order
        return lambda row: (row["due"] is None, row["due"] or datetime.max, row["position"])
    if sort == "difficulty":  # hardest first
        return lambda row: (-row["difficulty"], row["position"])
    if sort == "lapses":  # most lapses first
        return lambda row: (-row["lapses"], row["position"])
    return lambda row: (row["position"],)


def browse_rows(questions: Sequence[Question], cards: Mapping[str, Card], counts: Mapping[str, tuple[int, int]],
                bookmarks: set[str], notes: Mapping[str, str], filters: BrowseFilters, lang: str,
                sort: str = "bank", mark: Callable[[str], str] = "**{}**".format) -> list[dict]:
    """The rows of the browser: id, topic, type, difficulty, prompt (one line), due (None: never reviewed), reviews,
    lapses (`counts`: store.reviews.counts), bookmarked, note, snippet (the search hit marked with `mark`; None
    without a search)."""
    if sort not in SORTS:
        raise ValueError(f"sort ({sort!r}) must be one of {', '.join(map(repr, SORTS))}")
    selected = filter_questions(questions, topics=filters.topics, types=filters.types,
                                difficulties=filters.difficulties, search=filters.search)
    rows = []
    for position, question in enumerate(selected):
        if filters.bookmarked_only and question.id not in bookmarks:
            continue
        card = cards.get(question.id)
        reviews, lapses = counts.get(question.id, (0, 0))
        rows.append({
            "id": question.id, "topic": question.topic, "type": question.type, "difficulty": question.difficulty,
            "prompt": clip(question.text("prompt", lang), PROMPT_CHARS),
            "due": card.due if card is not None else None, "reviews": reviews, "lapses": lapses,
            "bookmarked": question.id in bookmarks, "note": notes.get(question.id, ""), "position": position,
            "snippet": search_snippet(question, filters.search, lang, mark) if filters.search.strip() else None,
        })
    return sorted(rows, key=_sort_key(sort))
