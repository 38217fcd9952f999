"""How the store writes times, and which profile names and question ids it accepts (repositories and import)."""
from __future__ import annotations

from datetime import datetime, timezone

MAX_PROFILE_NAME = 200


def utc_iso(moment: datetime) -> str:
    """One fixed ISO format for stored times, so string order is time order: 2026-01-02T03:04:05.000006+00:00."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment.isoformat()} must be timezone-aware (UTC)")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def read_time(stored: str) -> datetime:
    """A stored time (ISO 8601 with a UTC offset) as an aware datetime; ValueError when it carries no offset."""
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        raise ValueError(f"datetime {stored!r} must carry a UTC offset")
    return moment


def now_iso() -> str:
    """The current time in the stored format."""
    return utc_iso(datetime.now(timezone.utc))


def stored_time(moment: datetime | None) -> str:
    """`moment` in the stored format; now when it is None."""
    return utc_iso(moment) if moment is not None else now_iso()


def check_profile(profile: str) -> str:
    """A profile name: a non-empty string of at most MAX_PROFILE_NAME characters."""
    if not isinstance(profile, str) or not profile.strip():
        raise ValueError(f"profile must be a non-empty string, got {profile!r}")
    if len(profile) > MAX_PROFILE_NAME:
        raise ValueError(f"profile name is {len(profile)} characters long; the limit is {MAX_PROFILE_NAME}")
    return profile


def check_question_id(question_id: str) -> str:
    """A question id: a non-empty string."""
    if not isinstance(question_id, str) or not question_id:
        raise ValueError(f"question_id must be a non-empty string, got {question_id!r}")
    return question_id
