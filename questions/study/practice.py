"""Grading one practice card: preview the four ratings when the answer is shown, then save exactly the chosen one."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from fsrs import Card

from questions.store import Store
from questions.study.scheduler import preview


def answer_preview(card: Optional[Card], question_id: str, now: datetime) -> dict[str, Any]:
    """What "Show answer" keeps: the question, the moment, and the (Card, ReviewLog) of every rating at that moment.

    The grade buttons show these cards' intervals and the grade saves one of them, so the interval shown is the
    interval saved (FSRS fuzzes intervals: reviewing again on commit could give another)."""
    return {"question_id": question_id, "at": now, "options": preview(card, question_id, now)}


def commit_grade(store: Store, profile: str, shown: Optional[dict[str, Any]], question_id: str, rating: int,
                 answer_text: Optional[str] = None) -> Optional[Card]:
    """Save the previewed card of `rating` with the typed answer (blank: none); returns the saved card.

    None, and nothing saved, when `shown` is not the preview of `question_id` (a stale click, e.g. from another tab)."""
    if not shown or shown["question_id"] != question_id:
        return None
    card, log = shown["options"][rating]  # keyed by fsrs.Rating, an IntEnum: 1-4 find it
    store.reviews.record(profile, question_id, card, log, answer_text=(answer_text or "").strip() or None,
                         source="practice")
    return card
