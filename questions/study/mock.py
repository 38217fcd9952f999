"""Mock interviews: picking open questions across topics, timing each answer, saving the self-grades to the scheduler.

A session is a plain dict (kept in the page's session state): ids, hide_difficulty, index (the question on screen),
started (when its clock started, time.time()), answers and seconds per id, phase ("answer" -> "review" -> "saved"),
saved (id -> rating once saved), stage ("main", or "follow_up" while the interviewer's follow-up to the question on
screen is being answered; its clock runs on) and follow_up_answers per id.
"""
from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Iterable, Mapping, Optional, Sequence

from fsrs import Rating

from questions.bank.schema import Question
from questions.store import Store
from questions.study.queues import topics_of
from questions.study.quiz import HISTORY_ROWS
from questions.study.scheduler import preview


def pick_mock_questions(questions: Sequence[Any], count: int, topics: Optional[Iterable[str]] = None,
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
    picked: list[str] = []
    while len(picked) < count and any(pools):
        for pool in pools:
            if pool and len(picked) < count:
                picked.append(pool.pop())
    return picked


def open_topics(questions: Iterable[Question]) -> list[str]:
    """The topics that have open questions (what a mock interview can pick from), in bank order."""
    return topics_of(question for question in questions if question.type == "open")


def start_session(ids: Sequence[str], hide_difficulty: bool, clock: float) -> dict[str, Any]:
    """A new session on `ids`, its first question's clock started at `clock` (seconds, time.time())."""
    return {"ids": list(ids), "hide_difficulty": bool(hide_difficulty), "index": 0, "started": clock,
            "answers": {}, "seconds": {}, "phase": "answer", "saved": None, "stage": "main",
            "follow_up_answers": {}}


def close_question(session: dict[str, Any], answer: str, clock: float, follow_up: bool = False) -> None:
    """Keep the current question's answer. With `follow_up` the interviewer asks the question's first follow-up next
    (same clock); otherwise keep its time and start the next one's clock; after the last, go to review."""
    qid = session["ids"][session["index"]]
    session["answers"][qid] = answer
    if follow_up:
        session["stage"] = "follow_up"
        return
    _next_question(session, qid, clock)


def close_follow_up(session: dict[str, Any], answer: str, clock: float) -> None:
    """Keep the answer to the follow-up of the question on screen, then move on as close_question does."""
    qid = session["ids"][session["index"]]
    session["follow_up_answers"][qid] = answer
    session["stage"] = "main"
    _next_question(session, qid, clock)


def _next_question(session: dict[str, Any], qid: str, clock: float) -> None:
    session["seconds"][qid] = round(clock - session["started"], 1)
    session["index"] += 1
    session["started"] = clock
    if session["index"] >= len(session["ids"]):
        session["phase"] = "review"


def is_stale(session: Mapping[str, Any], known_ids: Iterable[str]) -> bool:
    """True when the bank lost a question of the session (it changed under a running interview: start over)."""
    known = set(known_ids)
    return any(qid not in known for qid in session["ids"])


def ungraded(session: Mapping[str, Any], grades: Mapping[str, Optional[int]]) -> list[str]:
    """The session's questions without a self-grade yet."""
    return [qid for qid in session["ids"] if grades.get(qid) is None]


def save_session(store: Store, profile: str, session: dict[str, Any], grades: Mapping[str, int],
                 now: datetime) -> dict[str, int]:
    """Record the session and feed each self-grade to the scheduler (source "mock"), all in one transaction.

    Each grade commits the scheduler's preview of that rating at `now`, as practice does. Marks the session saved and
    returns id -> rating. Every question must be graded (see `ungraded`)."""
    if missing := ungraded(session, grades):
        raise ValueError(f"grades must rate every question; missing {missing}")
    items = []
    for qid in session["ids"]:
        rating = int(grades[qid])
        card, log = preview(store.reviews.card(profile, qid), qid, now)[Rating(rating)]
        items.append({"question_id": qid, "answer_text": session["answers"].get(qid) or None,
                      "seconds": session["seconds"].get(qid), "rating": rating, "card": card, "log": log})
    store.mocks.record(profile, items)
    session["phase"] = "saved"
    session["saved"] = {qid: int(grades[qid]) for qid in session["ids"]}
    return session["saved"]


def mock_history(sessions: Sequence[dict], limit: int = HISTORY_ROWS) -> list[dict]:
    """The last `limit` stored sessions, newest first: taken_at, questions, minutes (answering), mean_rating."""
    rows = []
    for session in reversed(sessions[-limit:]):
        ratings = [item["rating"] for item in session["items"] if item["rating"] is not None]
        seconds = sum(item["seconds"] or 0 for item in session["items"])
        rows.append({"taken_at": session["taken_at"], "questions": len(session["items"]),
                     "minutes": round(seconds / 60, 1),
                     "mean_rating": round(sum(ratings) / len(ratings), 2) if ratings else None})
    return rows
