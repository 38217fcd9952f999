"""The reviews repository: FSRS cards (one per profile and question) and the review log, undo of the last review."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Card, ReviewLog

from .repositories import Profiles, _Repository
from .values import check_profile, check_question_id, now_iso, utc_iso

if TYPE_CHECKING:
    from .db import Store

# Where a review came from: a grade in practice or a mock interview, or a miss sent back to review (a wrong quiz
# answer, a failed or abandoned exercise).
REVIEW_SOURCES = ("practice", "mock", "quiz", "exercise")
CARD_CACHE_SIZE = 50_000  # parsed cards kept per store (about 1 KB each); the cache empties when full
NO_CARD_BEFORE = "null"  # review_log.card_before_json of a question's first review (NULL: the card before is unknown)


class Reviews(_Repository):
    """FSRS cards (one per profile and question, updated in place) and the review log (one row per review)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._card_cache: dict[str, Card] = {}  # stored card text -> Card (a text is immutable, so never stale)

    def card(self, profile: str, question_id: str) -> Card | None:
        """The FSRS card of a question, or None if it was never reviewed by this profile."""
        rows = self._store.read(
            "SELECT c.card_json FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? AND c.question_id = ?",
            (check_profile(profile), check_question_id(question_id)),
        )
        return Card.from_json(rows[0]["card_json"]) if rows else None

    def cards(self, profile: str) -> dict[str, Card]:
        """question_id -> Card for every question this profile has reviewed, by question id. The Cards are shared
        between calls (parsed once per stored text): read them, never change them (the scheduler works on copies)."""
        rows = self._store.read(
            "SELECT c.question_id, c.card_json FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? ORDER BY c.question_id",
            (check_profile(profile),),
        )
        return {row["question_id"]: self._parsed(row["card_json"]) for row in rows}

    def _parsed(self, card_json: str) -> Card:
        """The Card of a stored text, parsed once: every page rerun reads all cards, most of them unchanged."""
        parsed = self._card_cache.get(card_json)
        if parsed is None:
            if len(self._card_cache) >= CARD_CACHE_SIZE:
                self._card_cache.clear()
            parsed = self._card_cache[card_json] = Card.from_json(card_json)
        return parsed

    def record(self, profile: str, question_id: str, card: Card, log: ReviewLog, answer_text: str | None = None,
               source: str = "practice") -> None:
        """Save the reviewed card and its log in one transaction (both or neither)."""
        self._insert_for(profile, check_question_id(question_id), card, log, answer_text, source)

    def record_many(self, profile: str, reviews: list[tuple[str, Card, ReviewLog]], source: str) -> None:
        """Save several (question_id, card, log) reviews from one `source` in one transaction (all or none)."""
        with self._store.write() as conn:
            profile_id = Profiles.id_in(conn, profile)
            for question_id, card, log in reviews:
                self.insert(conn, profile_id, check_question_id(question_id), card, log, None, source)

    def insert(self, conn: sqlite3.Connection, profile_id: int, question_id: str, card: Card, log: ReviewLog,
               answer_text: str | None, source: str) -> None:
        """Check a review (card and log of the same card) and save both; call inside a write transaction."""
        if source not in REVIEW_SOURCES:
            raise ValueError(f"source must be one of {REVIEW_SOURCES}, got {source!r}")
        if not isinstance(card, Card) or not isinstance(log, ReviewLog):
            raise TypeError("card must be an fsrs.Card and log an fsrs.ReviewLog")
        if log.card_id != card.card_id:
            raise ValueError(f"log.card_id ({log.card_id}) must equal card.card_id ({card.card_id})")
        before = conn.execute("SELECT card_json FROM cards WHERE profile_id = ? AND question_id = ?",
                              (profile_id, question_id)).fetchone()
        self.insert_card(conn, profile_id, question_id, card)
        self.insert_log(conn, profile_id, question_id, log, answer_text, source,
                        before["card_json"] if before else NO_CARD_BEFORE)

    @staticmethod
    def insert_card(conn: sqlite3.Connection, profile_id: int, question_id: str, card: Card) -> None:
        """Save the question's card, replacing the previous one."""
        conn.execute(
            "INSERT INTO cards(profile_id, question_id, card_json, due, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(profile_id, question_id) DO UPDATE SET "
            "card_json = excluded.card_json, due = excluded.due, updated_at = excluded.updated_at",
            (profile_id, question_id, card.to_json(), utc_iso(card.due), now_iso()),
        )

    @staticmethod
    def insert_log(conn: sqlite3.Connection, profile_id: int, question_id: str, log: ReviewLog,
                   answer_text: str | None, source: str, card_before_json: str | None = None) -> None:
        """Append one review to the log; `card_before_json` is the card it replaced (NO_CARD_BEFORE: none, None:
        unknown, so the review cannot be undone)."""
        conn.execute(
            "INSERT INTO review_log(profile_id, question_id, rating, review_datetime, source, answer_text, log_json, "
            "card_before_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (profile_id, question_id, int(log.rating), utc_iso(log.review_datetime), source, answer_text,
             log.to_json(), card_before_json),
        )

    def undo_last(self, profile: str, source: str = "practice") -> str | None:
        """Undo the profile's latest review when it came from `source`: put back the card it replaced (or remove the
        card of a first review) and delete its log row, in one transaction. Returns the question id, or None when
        there is nothing to undo (no review, the latest came from elsewhere, or its card before is unknown)."""
        with self._store.write() as conn:
            row = conn.execute(
                "SELECT r.id, r.question_id, r.source, r.card_before_json FROM review_log r "
                "JOIN profiles p ON p.id = r.profile_id WHERE p.name = ? ORDER BY r.id DESC LIMIT 1",
                (check_profile(profile),),
            ).fetchone()
            if row is None or row["source"] != source or row["card_before_json"] is None:
                return None
            profile_id = conn.execute("SELECT id FROM profiles WHERE name = ?", (profile,)).fetchone()[0]
            conn.execute("DELETE FROM review_log WHERE id = ?", (row["id"],))
            if row["card_before_json"] == NO_CARD_BEFORE:
                conn.execute("DELETE FROM cards WHERE profile_id = ? AND question_id = ?",
                             (profile_id, row["question_id"]))
            else:
                self.insert_card(conn, profile_id, row["question_id"], Card.from_json(row["card_before_json"]))
            return row["question_id"]

    def logs(self, profile: str, with_log: bool = False) -> list[dict]:
        """Every review of the profile, oldest first: question_id, rating (1-4), review_datetime (UTC ISO), source,
        answer_text; with_log adds `log`, the fsrs ReviewLog as a dict, and `card_before`, the card it replaced as
        stored (JSON text, NO_CARD_BEFORE for a first review, None when unknown)."""
        # the statistics never read the fsrs log: leave it unread
        log_column = ", r.log_json, r.card_before_json" if with_log else ""
        rows = self._store.read(
            "SELECT r.question_id, r.rating, r.review_datetime, r.source, r.answer_text" + log_column + " FROM "
            "review_log r JOIN profiles p ON p.id = r.profile_id WHERE p.name = ? ORDER BY r.review_datetime, r.id",
            (check_profile(profile),),
        )
        entries = []
        for row in rows:
            entry = dict(row)
            if with_log:
                entry["log"] = json.loads(entry.pop("log_json"))
                entry["card_before"] = entry.pop("card_before_json")
            entries.append(entry)
        return entries

    def counts(self, profile: str) -> dict[str, tuple[int, int]]:
        """question_id -> (reviews, lapses = reviews rated Again) of every question the profile has reviewed."""
        rows = self._store.read(
            "SELECT r.question_id, count(*) AS reviews, sum(r.rating = 1) AS lapses FROM review_log r "
            "JOIN profiles p ON p.id = r.profile_id WHERE p.name = ? GROUP BY r.question_id",
            (check_profile(profile),),
        )
        return {row["question_id"]: (row["reviews"], row["lapses"]) for row in rows}

    def due_ids(self, profile: str, now: datetime) -> list[str]:
        """Questions whose card is due at or before `now`, most overdue first (never-seen questions are not here)."""
        rows = self._store.read(
            "SELECT c.question_id FROM cards c JOIN profiles p ON p.id = c.profile_id "
            "WHERE p.name = ? AND c.due <= ? ORDER BY c.due, c.question_id",
            (check_profile(profile), utc_iso(now)),
        )
        return [row["question_id"] for row in rows]
